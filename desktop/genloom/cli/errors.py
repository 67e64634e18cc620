"""Turning errors into messages and exit codes."""

from __future__ import annotations

import argparse
import sys

from genloom.cli import main as codes


def run_handler(args: argparse.Namespace) -> int:
    from genloom.core.models import ModelNotFoundError
    from genloom.core.plugins import UnknownGeneratorError
    from genloom.core.project import (
        AssetNotFoundError,
        JobNotFoundError,
        JobStateError,
        ProjectNotFoundError,
        SchemaTooNewError,
    )
    from genloom.core.settings import SettingsError
    from genloom.sdk.errors import GenloomError

    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("genloom: interrupted", file=sys.stderr)
        return codes.EXIT_INTERRUPTED
    except (ProjectNotFoundError, AssetNotFoundError, JobNotFoundError, UnknownGeneratorError,
            ModelNotFoundError) as exc:
        _say(exc)
        return codes.EXIT_NOT_FOUND
    except SchemaTooNewError as exc:
        _say(exc)
        return codes.EXIT_PROJECT
    except (GenloomError, SettingsError, JobStateError, ValueError) as exc:
        _say(exc)
        return codes.EXIT_USAGE


def _say(exc: BaseException) -> None:
    print(f"genloom: {exc}", file=sys.stderr)
