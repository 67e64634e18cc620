"""``genloom models``: the model library from the command line."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from genloom.cli import main as codes
from genloom.cli.context import emit_json, load_plugins, load_settings
from genloom.core.units import human_size

if TYPE_CHECKING:
    import argparse

    from genloom.core.models import ModelLibrary
    from genloom.core.models.entry import ModelEntry, ScanProgress, ScanReport


@contextmanager
def _library(with_plugins: bool = True) -> Iterator[ModelLibrary]:
    """The model library for one command, closed when it is done.

    A model or folder that is not found raises :class:`ModelNotFoundError`, which the
    command runner reports (exit code 3) like every other "not found".
    """
    from genloom.core.models import ModelLibrary

    settings = load_settings()
    plugins = load_plugins(settings) if with_plugins else None
    library = ModelLibrary(plugins, hf_cache=settings.scan_hf_cache)
    try:
        yield library
    finally:
        library.close()


def _resolve(library: ModelLibrary, name: str) -> ModelEntry:
    """The model called ``name``, resolved as the engine resolves it (a file or folder not yet
    in the library is added and scanned first)."""
    from genloom.core.models import ModelNotFoundError, resolve_model

    entry = resolve_model(name, library).entry
    if entry is None:
        raise ModelNotFoundError(f"no model called {name!r} in the library")
    return entry


def _progress_printer(quiet: bool) -> Callable[[ScanProgress], None] | None:
    from genloom.core.models.library import progress_line

    if quiet:
        return None
    tty = sys.stderr.isatty()

    def show(progress: ScanProgress) -> None:
        if tty:
            print("\r\033[K" + progress_line(progress)[:120], end="", file=sys.stderr, flush=True)
        elif progress.phase == "hashing" and progress.bytes_done == progress.bytes_total:
            print(progress_line(progress), file=sys.stderr)

    return show


def _print_report(report: ScanReport) -> None:
    parts = [f"{report.candidates} models found", f"{report.hashed_files} files hashed "
             f"({human_size(report.hashed_bytes)})", f"{len(report.new_models)} new"]
    for name in ("changed_models", "moved", "missing"):
        if getattr(report, name):
            parts.append(f"{len(getattr(report, name))} {name.replace('_models', '')}")
    print(", ".join(parts) + f" in {report.seconds:.1f} s" + (" (cancelled)" if report.cancelled else ""))
    for error in report.errors:
        print(f"  warning: {error}")


def _scan(library: ModelLibrary, roots: list[str] | None, args: argparse.Namespace) -> ScanReport:
    printer = _progress_printer(args.quiet or args.json)
    if printer is not None:
        library.events.scan_progress.connect(printer)
    try:
        return library.scan(roots)
    finally:
        if printer is not None and sys.stderr.isatty():
            print("\r\033[K", end="", file=sys.stderr)


def list_models(args: argparse.Namespace) -> int:
    with _library() as library:
        if args.roots:
            roots = library.roots()
            if args.json:
                emit_json([r.to_dict() for r in roots])
            for root in [] if args.json else roots:
                flags = ("" if root.exists else "  [missing]") + ("  [watched]" if root.watch else "")
                print(f"{root.path}  ({root.layout}){flags}")
            return codes.EXIT_OK
        models = library.models(kind=args.kind, architecture=args.architecture, status=args.status,
                                text=args.search or "")
        if args.json:
            emit_json([m.to_dict() for m in models])
            return codes.EXIT_OK
        if not models:
            print("no models; add a folder with `genloom models add FOLDER`, then `genloom models scan`")
        for m in models:
            kind = m.kind or "?"
            print(f"{m.id}  {m.status:<8} {kind:<24} {m.architecture or '-':<14} {human_size(m.size):>10}  {m.title}")
        return codes.EXIT_OK


def scan_models(args: argparse.Namespace) -> int:
    with _library() as library:
        report = _scan(library, args.folders or None, args)
    if args.json:
        emit_json(report.to_dict())
    else:
        _print_report(report)
    return codes.EXIT_OK


def add_folder(args: argparse.Namespace) -> int:
    with _library() as library:
        root = library.add_folder(args.folder, watch=args.watch)
        report = None if args.no_scan else _scan(library, [root.path], args)
    if args.json:
        emit_json({"root": root.to_dict(), "scan": report.to_dict() if report else None})
        return codes.EXIT_OK
    print(f"added {root.path} ({root.layout})")
    if report is not None:
        _print_report(report)
    return codes.EXIT_OK


def model_info(args: argparse.Namespace) -> int:
    from genloom.core.models.licences import classify

    with _library() as library:
        entry = _resolve(library, args.model)
    if args.json:
        emit_json(entry.to_dict())
        return codes.EXIT_OK
    print(f"{entry.title}  ({entry.id})")
    rows = [("status", entry.status), ("kind", entry.kind + (" (set by you)" if entry.user_kind else "")),
            ("architecture", entry.architecture), ("format", entry.format), ("size", human_size(entry.size)),
            ("licence", f"{classify(entry.licence).label}: {classify(entry.licence).summary}"),
            ("hash", entry.hash), ("generators", ", ".join(entry.generators)),
            ("identified by", ", ".join(p for p in entry.plugins if p)),
            ("pickle allowed", "yes" if entry.allow_pickle else "")]
    for label, value in rows:
        if value:
            print(f"  {label + ':':<15}{value}")
    if entry.reason:
        print(f"  {'note:':<15}{entry.reason}")
    for loc in entry.locations:
        print(f"  {'location:':<15}{loc.path}  [{loc.source}{', missing' if loc.missing else ''}]")
    return codes.EXIT_OK


def forget_model(args: argparse.Namespace) -> int:
    with _library(with_plugins=False) as library:
        entry = library.forget(args.model)
    if args.json:
        emit_json({"forgotten": entry.to_dict()})
    else:
        print(f"forgot {entry.title} ({entry.id}); its files were not touched")
    return codes.EXIT_OK


def set_type(args: argparse.Namespace) -> int:
    with _library() as library:
        entry = library.set_type(args.model, args.type, architecture=args.architecture or "")
    if args.json:
        emit_json(entry.to_dict())
    else:
        users = ", ".join(entry.generators) or "no generator"
        print(f"{entry.title} ({entry.id}) is now {entry.kind or 'as detected'}; used by {users}")
    return codes.EXIT_OK


def allow_pickle(args: argparse.Namespace) -> int:
    with _library() as library:
        # The library places the name itself: a pickle file inside a model folder allows that folder.
        entry = library.allow_pickle(args.model, allowed=not args.revoke)
    if args.json:
        emit_json(entry.to_dict())
    elif args.revoke:
        print(f"{entry.title} ({entry.id}) is refused again")
    else:
        print(f"allowed {entry.title} ({entry.id}); it will be opened only with torch.load(weights_only=True), "
              "which refuses anything but tensors. The permission is for this exact content: a changed "
              "file needs allowing again.")
    return codes.EXIT_OK


def remove_folder(args: argparse.Namespace) -> int:
    with _library(with_plugins=False) as library:
        library.remove_folder(args.folder)
    if args.json:
        emit_json({"removed": str(Path(args.folder).expanduser().resolve())})
    else:
        print(f"stopped scanning {args.folder}; its models left the library, its files were not touched")
    return codes.EXIT_OK
