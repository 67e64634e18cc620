"""``genloom doctor``: what this installation is made of and what is wrong with it."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from genloom.cli import main as codes
from genloom.cli.context import emit_json, load_settings

if TYPE_CHECKING:
    import argparse


def doctor(args: argparse.Namespace) -> int:
    from genloom.core import diagnostics

    try:
        device = load_settings().device
    except Exception:  # unreadable settings are reported by the commands that need them
        device = "auto"
    quiet = args.json

    def progress(name: str) -> None:
        if not quiet and sys.stderr.isatty():
            print(f"genloom doctor: checking {name}...", file=sys.stderr)

    report = diagnostics.collect(settings_device=device, progress=progress)
    if args.smoke:
        progress("a tiny generation")
        with tempfile.TemporaryDirectory(prefix="genloom-smoke-") as folder:
            report.sections.append(diagnostics.smoke_test(Path(folder) / "smoke"))
    if args.json:
        emit_json(report.to_dict())
    else:
        print(report.text())
    return codes.EXIT_FAILED if report.problems else codes.EXIT_OK
