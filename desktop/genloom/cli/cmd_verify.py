"""``genloom verify FILE...``: what each file's content credentials say, and whether they hold.

The exit code is the worst verdict: 5 when any file was changed after it was
signed, 3 when a file does not exist, 6 when a file carries no credentials, 0
when every file's credentials are valid (trusted or not: the output says).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genloom.cli import main as codes
from genloom.cli.context import emit_json, load_settings

if TYPE_CHECKING:
    import argparse

    from genloom.core.credentials.verify import Verification

#: Worse verdicts later: the exit code is the last one any file reached.
_SEVERITY = (codes.EXIT_OK, codes.EXIT_NO_CREDENTIALS, codes.EXIT_NOT_FOUND, codes.EXIT_TAMPERED)


def verify(args: argparse.Namespace) -> int:
    from genloom.core.credentials.verify import ABSENT, TAMPERED, verify_file

    settings = load_settings()
    worst = codes.EXIT_OK
    results: list[dict[str, Any]] = []
    for name in args.files:
        path = Path(name).expanduser()
        if not path.is_file():
            print(f"genloom: {path}: no such file", file=sys.stderr)
            results.append({"path": str(path), "status": "missing"})
            worst = max(worst, codes.EXIT_NOT_FOUND, key=_SEVERITY.index)
            continue
        result = verify_file(path, settings)
        code = {TAMPERED: codes.EXIT_TAMPERED, ABSENT: codes.EXIT_NO_CREDENTIALS}.get(result.status,
                                                                                      codes.EXIT_OK)
        worst = max(worst, code, key=_SEVERITY.index)
        results.append(result.to_dict())
        if not args.json:
            _print(result, recipe=args.recipe)
    if args.json:
        emit_json(results)
    return worst


def _print(result: Verification, *, recipe: bool) -> None:
    print(f"{result.path}: {result.summary}")
    if result.sidecar:
        print(f"  manifest: {result.sidecar}")
    if result.claim_generator:
        print(f"  written by: {result.claim_generator}")
    for action in result.actions:
        source = action["digitalSourceType"].rsplit("/", 1)[-1]
        print(f"  action: {action['action']}" + (f" ({source})" if source else "")
              + (f" by {action['softwareAgent']}" if action["softwareAgent"] else ""))
    if result.model:
        print("  model: " + ", ".join(f"{k} {v}" for k, v in result.model.items()))
    for title in result.ingredients:
        print(f"  ingredient: {title}")
    for problem in result.problems:
        print(f"  problem: {problem}")
    if recipe and result.recipe is not None:
        print("  recipe: " + json.dumps(result.recipe, indent=2, sort_keys=True).replace("\n", "\n  "))
