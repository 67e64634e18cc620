"""``genloom serve``: the local HTTP API on this project, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING

from genloom.cli import main as codes
from genloom.cli.context import load_plugins, load_settings, open_project
from genloom.cli.errors import Terminated

if TYPE_CHECKING:
    import argparse


def serve(args: argparse.Namespace) -> int:
    from genloom.api.server import ApiServer, require_api_extra
    from genloom.core.jobs.engine import Engine
    from genloom.core.serving.limits import DEFAULT_HOST, ApiLimits
    from genloom.core.serving.token import token_path

    require_api_extra()
    settings = load_settings()
    plugins = load_plugins(settings)
    project = open_project(args, settings, create=True)
    limits = ApiLimits(
        max_request_bytes=(args.max_request_kb * 1024 if args.max_request_kb else ApiLimits.max_request_bytes),
        max_queued_per_client=args.max_queued or ApiLimits.max_queued_per_client)
    # The server runs only what it (or a client of it) queued; the app's queue stays the app's.
    engine = Engine(project, plugins, settings, scope=())
    server = ApiServer(engine, args.host or DEFAULT_HOST,
                       settings.api_port if args.port is None else args.port,
                       allow_remote=args.allow_remote, limits=limits)
    if server.warning:
        print(f"genloom: warning: {server.warning}", file=sys.stderr)
    engine.start()
    try:
        server.start()
        print(f"genloom: serving {project.path} at {server.url} (token in {token_path()}); "
              "Ctrl-C stops", file=sys.stderr, flush=True)
        if args.json:
            import json

            print(json.dumps({"url": server.url, "token_file": str(token_path()),
                              **({"token": server.token} if args.show_token else {})}), flush=True)
        elif args.show_token:
            print(server.token, flush=True)
        stopped = threading.Event()
        while server.running() and not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        print("genloom: stopping the API", file=sys.stderr)
        return codes.EXIT_INTERRUPTED
    except Terminated:
        engine.stop(requeue_running=True)
        raise
    finally:
        server.stop()
        engine.stop()
    return codes.EXIT_OK
