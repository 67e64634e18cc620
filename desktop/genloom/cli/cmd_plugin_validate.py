"""``genloom plugin validate PATH``: the conformance checks on a plugin, with a report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from genloom.cli import main as codes
from genloom.cli.context import emit_json

if TYPE_CHECKING:
    import argparse


def plugin_validate(args: argparse.Namespace) -> int:
    from genloom.sdk.errors import GenloomError
    from genloom.testing.validate import validate_plugin

    try:
        report = validate_plugin(args.path)
    except FileNotFoundError as exc:
        raise GenloomError(str(exc)) from None
    if args.json:
        emit_json(report.to_dict())
    else:
        print(f"plugin {report.plugin} at {report.path}")
        for check in report.checks:
            mark = "pass" if check.passed else "FAIL"
            print(f"  {mark}  {check.name}" + (f": {check.reason}" if check.reason else ""))
        failed = [c for c in report.checks if not c.passed]
        print(f"{len(report.checks) - len(failed)} passed, {len(failed)} failed")
    return codes.EXIT_OK if report.ok else codes.EXIT_FAILED
