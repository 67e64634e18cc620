"""The ``genloom`` command: every job the app can do, headless.

Exit codes a script can rely on are :data:`EXIT_CODES`; ``genloom --help``
prints them from that one table.

Importing this module is cheap: each command imports the engine only when it
runs, so ``genloom --version`` starts about as fast as Python itself.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from genloom import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_PROJECT, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
#: After SIGTERM: 128 + 15, as a shell reports it.
EXIT_TERMINATED = 143
#: ``genloom verify``: the worst verdict of the files checked.
EXIT_TAMPERED, EXIT_NO_CREDENTIALS = 5, 6
#: ``genloom plugins``: at least one plugin failed to load (the listing says why).
EXIT_PLUGINS = 7

#: Every exit code and what it means: the one table ``--help`` shows.
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "success"),
    (EXIT_FAILED, "a job failed (its error is printed)"),
    (EXIT_USAGE, "bad usage or invalid input (a parameter, an input, a model)"),
    (EXIT_NOT_FOUND, "something named does not exist (project, asset, job, generator, board, shot, take, conversation, message)"),
    (EXIT_PROJECT, "the project cannot be opened or is damaged (newer schema, damaged database or file)"),
    (EXIT_TAMPERED, "verify: a file's content credentials do not match it (changed after signing)"),
    (EXIT_NO_CREDENTIALS, "verify: a file carries no content credentials (and none was tampered with)"),
    (EXIT_PLUGINS, "plugins: at least one plugin failed to load (the listing says why)"),
    (EXIT_INTERRUPTED, "interrupted with Ctrl-C (running jobs were cancelled cleanly)"),
    (EXIT_TERMINATED, "stopped by SIGTERM (a running job was put back in the queue)"),
)


def exit_codes_text() -> str:
    """The exit codes as the help's epilogue shows them."""
    return "exit codes:\n" + "\n".join(f"  {code:<5} {meaning}" for code, meaning in EXIT_CODES)


def terminal_columns() -> int:
    """The terminal's width as :func:`shutil.get_terminal_size` finds it (``COLUMNS``, then
    standard output's terminal, else 80), without importing :mod:`shutil`: argparse's help
    formatter imports it (and with it bz2 and lzma) for every argument a parser is given,
    which was a tenth of a quick command's start."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class _Width:
    """Mixin for argparse's formatters: the width from :func:`terminal_columns`."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        width = terminal_columns() - 2 if width is None else width  # argparse's own margin
        super().__init__(prog, indent_increment, max_help_position, width)  # type: ignore[call-arg]


class HelpFormatter(_Width, argparse.HelpFormatter):
    """argparse's formatter, sized without :mod:`shutil`."""


class RawDescriptionHelpFormatter(_Width, argparse.RawDescriptionHelpFormatter):
    """argparse's raw-description formatter, sized without :mod:`shutil`."""


class ArgumentParser(argparse.ArgumentParser):
    """The CLI's parsers (the top one and every command's): formatters sized without
    :mod:`shutil` unless a command asks for another formatter."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with ``command``, only that command's parser is built
    (all of them when there is no such command, so the usage error lists them)."""
    from genloom.cli import commands

    parser = ArgumentParser(
        prog="genloom",
        description="Genloom, an offline generative studio: generate, queue and manage assets from the command line.",
        epilog=exit_codes_text(),
        formatter_class=RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"genloom {__version__}")
    sub: argparse._SubParsersAction[argparse.ArgumentParser] = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    if not commands.register(sub, only=command):
        commands.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv in (["--version"], ["-V"]):
        print(f"genloom {__version__}")
        return EXIT_OK
    parser = build_parser(argv[0] if argv and not argv[0].startswith("-") else None)
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    from genloom.cli.errors import run_handler

    return run_handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
