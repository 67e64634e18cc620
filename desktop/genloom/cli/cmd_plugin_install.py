"""``genloom plugins install|uninstall|rollback|snapshots``: the command line's face of
:mod:`genloom.core.plugin_install` (which owns every rule; this only presents it)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from genloom.cli import main as codes
from genloom.cli.context import emit_json

if TYPE_CHECKING:
    import argparse

    from genloom.core.plugin_install import ChangeResult


def run(args: argparse.Namespace) -> int:
    from genloom.core import plugin_env, plugin_install
    from genloom.sdk.errors import GenloomError

    def echo(line: str) -> None:  # pip's progress, kept off stdout so --json stays parseable
        print(f"  pip: {line}", file=sys.stderr)

    if args.action == "snapshots":
        snapshots = plugin_env.list_snapshots()
        if args.json:
            emit_json([{k: v for k, v in s.to_dict().items() if k != "distributions"} for s in snapshots])
        for snapshot in [] if args.json else snapshots:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(snapshot.created))
            print(f"{snapshot.id}  {when}  before: {snapshot.reason}")
        return codes.EXIT_OK
    if args.action in ("install", "uninstall") and not args.name:
        what = "a package name, wheel file or project folder" if args.action == "install" else "its name"
        raise GenloomError(f"name the plugin to {args.action}: {what}")
    options = plugin_install.PipOptions(find_links=list(args.find_links), no_index=args.no_index,
                                        index_url=args.index_url,
                                        no_build_isolation=args.no_build_isolation)
    if args.action == "install":
        result = plugin_install.install(args.name, options, None if args.json else echo)
        verb = "installed"
    elif args.action == "uninstall":
        result = plugin_install.uninstall(args.name, None if args.json else echo)
        verb = "uninstalled"
    else:
        result = plugin_install.rollback(args.name, options, None if args.json else echo)
        verb = "rolled back"
    _report(result, verb, args.json)
    return codes.EXIT_OK


def _report(result: ChangeResult, verb: str, as_json: bool) -> None:
    if as_json:
        emit_json({"snapshot": result.snapshot.id, "plugins": result.plugins,
                   "changes": result.changes.describe()})
        return
    subject = f"plugin {', '.join(result.plugins)}" if result.plugins else "the environment"
    print(f"{verb} {subject}")
    for line in result.changes.describe():
        print(f"  {line}")
    if not result.changes:
        print("  nothing needed changing")
    print(f"undo with: genloom plugins rollback {result.snapshot.id}")
    print("the change applies when Genloom next starts")
