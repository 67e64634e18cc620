"""Turning errors into messages and exit codes."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any

from genloom.cli import main as codes
from genloom.cli.remedies import CLI_PHRASES
from genloom.sdk.errors import explain


class Terminated(BaseException):
    """SIGTERM arrived: commands that run jobs put them back in the queue and stop."""


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise Terminated


def run_handler(args: argparse.Namespace) -> int:
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:
        pass  # not the main thread (a test calling main()): leave signals alone
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("genloom: interrupted", file=sys.stderr)
        return codes.EXIT_INTERRUPTED
    except Terminated:
        print("genloom: stopped by SIGTERM; a running job was put back in the queue",
              file=sys.stderr)
        return codes.EXIT_TERMINATED
    except BrokenPipeError:
        # The reader went away (`genloom jobs | head`): not an error of ours. Point
        # stdout at nothing so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return codes.EXIT_OK
    except Exception as exc:
        code = exit_code_for(exc)
        if code is None:
            raise
        return code


def exit_code_for(exc: Exception) -> int | None:
    """Say ``exc`` and return the exit code it means; None for an error that is a bug.

    The error classes are imported here, once an error happened, not before every command:
    they bring most of core with them (projects, boards, models), which a command such as
    ``genloom generators`` never needs.
    """
    import sqlite3

    from genloom.core.boards.errors import BoardError
    from genloom.core.conversations.errors import ConversationError
    from genloom.core.models import ModelNotFoundError
    from genloom.core.plugins import UnknownGeneratorError, UnknownPluginError
    from genloom.core.project import (
        AssetNotFoundError,
        JobNotFoundError,
        JobStateError,
        ProjectError,
        ProjectNotFoundError,
    )
    from genloom.core.settings import SettingsError
    from genloom.sdk.errors import GenloomError

    if isinstance(exc, (ProjectNotFoundError, AssetNotFoundError, JobNotFoundError, UnknownGeneratorError,
                        UnknownPluginError, ModelNotFoundError)):
        say(exc)
        return codes.EXIT_NOT_FOUND
    if isinstance(exc, JobStateError):
        say(exc)
        return codes.EXIT_USAGE
    if isinstance(exc, (BoardError, ConversationError)):
        # a board, shot, take, conversation or message not found; a script that cannot be
        # read; a turn refused
        say(exc)
        return codes.EXIT_NOT_FOUND if isinstance(exc, LookupError) else codes.EXIT_USAGE
    if isinstance(exc, ProjectError):  # newer schema, damaged database or file, a link out
        say(exc)
        return codes.EXIT_PROJECT
    if isinstance(exc, sqlite3.OperationalError):
        if "locked" in str(exc) or "busy" in str(exc):
            say(f"the project database is busy: another process has held its write lock "
                f"for longer than the wait allows ({exc}); try the command again")
        else:
            say(f"the project database cannot be used: {exc}")
        return codes.EXIT_PROJECT
    if isinstance(exc, sqlite3.DatabaseError):
        say(f"the project database is damaged: {exc}; run `genloom project check`, or "
            "restore genloom.db from a backup")
        return codes.EXIT_PROJECT
    if isinstance(exc, (GenloomError, SettingsError, ValueError)):
        say(exc)
        return codes.EXIT_USAGE
    return None


def say(exc: BaseException | str) -> None:
    """Print an error for the user: its message and its remedy in the command line's words."""
    text = exc if isinstance(exc, str) else explain(exc, CLI_PHRASES)
    print(f"genloom: {text}", file=sys.stderr)
