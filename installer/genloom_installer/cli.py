"""The installer's command line: install (or update), repair, uninstall, detect, lock, bundle."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from genloom_installer import bundle as bundles
from genloom_installer import install as inst
from genloom_installer.backend import BACKENDS, InstallerError, choose, platform_key
from genloom_installer.gpu import detect
from genloom_installer.places import Layout, default_root
from genloom_installer.ui import Ui
from genloom_installer.uvtool import find_uv, uv_from_wheel


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--prefix", type=Path, help="the runtime folder (default: a per-user folder, "
                   f"here {default_root()})")
    p.add_argument("--uv", help="the uv program to use (default: $GENLOOM_UV, uv on PATH)")


def _sources(p: argparse.ArgumentParser) -> None:
    p.add_argument("--torch-backend", choices=("auto", *BACKENDS), default=None,
                   help="the PyTorch build (default auto: from the GPU found)")
    p.add_argument("--torch-index", default=os.environ.get("GENLOOM_TORCH_INDEX"),
                   help="the index PyTorch comes from ($GENLOOM_TORCH_INDEX; 'none': only "
                        "--find-links and the default index)")
    p.add_argument("--find-links", action="append", default=[
        d for d in os.environ.get("GENLOOM_FIND_LINKS", "").split(os.pathsep) if d],
                   help="a folder of wheels to use as well ($GENLOOM_FIND_LINKS); repeatable")
    p.add_argument("--source", type=Path, help="a Genloom checkout or wheel (default: the checkout "
                   "this installer is in)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="genloom-installer", description=__doc__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("install", help="install Genloom, or update an installation in place")
    _common(p)
    _sources(p)
    p.add_argument("--bundle", type=Path, help="install from an offline bundle, with no network")
    p.add_argument("--yes", "-y", action="store_true", help="answer yes (repair when the check fails)")
    p.add_argument("--no-smoke-test", action="store_true", help="skip the check at the end")
    p.add_argument("--no-desktop-entry", action="store_true", help="do not add a desktop entry")
    p = sub.add_parser("update", help="the same as install, for an existing installation")
    _common(p)
    _sources(p)
    p.add_argument("--bundle", type=Path)
    p.add_argument("--yes", "-y", action="store_true")
    p.add_argument("--no-smoke-test", action="store_true")
    p.add_argument("--no-desktop-entry", action="store_true")
    p = sub.add_parser("repair", help="reinstall every package and check again")
    _common(p)
    _sources(p)
    p = sub.add_parser("uninstall", help="remove Genloom; projects, models and settings stay")
    _common(p)
    p.add_argument("--remove-settings", action="store_true", help="also remove the settings")
    p.add_argument("--remove-data", action="store_true",
                   help="also remove Genloom's data (the model index, plugins, logs); models stay")
    p = sub.add_parser("detect", help="say which GPU was found and which PyTorch build it gets")
    p.add_argument("--uv", help=argparse.SUPPRESS)
    p.add_argument("--torch-backend", choices=("auto", *BACKENDS), default=None)
    p = sub.add_parser("lock", help="(maintainers) resolve a locked dependency set with uv")
    _common(p)
    _sources(p)
    p.add_argument("--platform", default=platform_key())
    p.add_argument("--kind", default="cpu", choices=("cpu", "cuda", "rocm", "mps"))
    p = sub.add_parser("bundle", help="build an offline bundle (on a connected machine)")
    _common(p)
    _sources(p)
    p.add_argument("--platform", default=platform_key())
    p.add_argument("--kind", default="cpu", choices=("cpu", "cuda", "rocm", "mps"))
    p.add_argument("--output", "-o", type=Path, help="the archive (default: "
                   "genloom-offline-PLATFORM-KIND.tar here)")
    return parser


def _options(args: argparse.Namespace) -> inst.Options:
    return inst.Options(
        root=(args.prefix or default_root()).expanduser().absolute(), home=Path.home(),
        source=args.source.expanduser().absolute() if getattr(args, "source", None) else None,
        torch_backend=getattr(args, "torch_backend", None), torch_index=getattr(args, "torch_index", None),
        find_links=list(getattr(args, "find_links", []) or []), uv=args.uv,
        assume_yes=getattr(args, "yes", False), smoke=not getattr(args, "no_smoke_test", False),
        desktop_entry=not getattr(args, "no_desktop_entry", False))


def _install_from_bundle(opts: inst.Options, archive: Path) -> int:
    # Beside the runtime folder (same disk, so no second copy elsewhere), not inside it.
    opts.root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".genloom-bundle-", dir=opts.root.parent) as tmp:
        print(f"Unpacking {archive}...", flush=True)
        stage, info = bundles.unpack(archive.expanduser().absolute(), Path(tmp))
        if info["platform"] != platform_key():
            raise InstallerError(f"this bundle is for {info['platform']}; this machine is "
                                 f"{platform_key()}: build one for it with the bundle command")
        wheels = stage / "wheels"
        opts.wheels, opts.locks = wheels, stage / "installer" / "locks"
        opts.source = next(iter(sorted(wheels.glob("genloom-*.whl"))), None)
        if opts.source is None:
            raise InstallerError(f"{archive} holds no genloom wheel; it is not a complete bundle")
        opts.torch_backend = info["backend"]
        if opts.uv is None and not os.environ.get("GENLOOM_UV") and shutil.which("uv") is None:
            try:
                find_uv()
            except InstallerError:
                uv_wheel = next(iter(sorted(wheels.glob("uv-*.whl"))), None)
                if uv_wheel is None:
                    raise
                opts.uv = str(uv_from_wheel(uv_wheel, Path(tmp) / "uv"))
        return inst.install(opts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        if args.command == "detect":
            gpu = detect()
            choice = choose(gpu, platform_key(), args.torch_backend)
            print(f"platform: {platform_key()} ({platform.system()} {platform.machine()})")
            print(f"GPU: {gpu.describe()}")
            for note in gpu.notes:
                print(f"note: {note}")
            print(f"PyTorch build: {choice.backend} ({choice.reason})")
            return 0
        opts = _options(args)
        if args.command in ("install", "update"):
            if args.command == "update" and inst.read_manifest(Layout(opts.root)) is None:
                raise InstallerError(f"there is no Genloom installation in {opts.root} to update; "
                                     "use install")
            if args.bundle is not None:
                return _install_from_bundle(opts, args.bundle)
            return inst.install(opts)
        if args.command == "repair":
            return inst.repair(opts)
        if args.command == "uninstall":
            return inst.uninstall(opts, remove_settings=args.remove_settings,
                                  remove_data=args.remove_data)
        source = opts.source or inst.default_source()
        log = Path(tempfile.gettempdir()) / "genloom-installer.log"
        ui = Ui(log, total=4 if args.command == "bundle" else 1)
        try:
            uv = find_uv(args.uv)
            if args.command == "lock":
                from genloom_installer.locks import compile_lock

                with ui.step(f"Resolving {args.platform}/{args.kind}"):
                    out = compile_lock(ui, uv, source, args.platform, args.kind,
                                       torch_index=opts.torch_index, find_links=opts.find_links)
                ui.say(str(out))
                return 0
            out = (args.output or Path(f"genloom-offline-{args.platform}-{args.kind}.tar")).absolute()
            bundles.build(ui, uv, source, args.platform, args.kind, out,
                          torch_index=opts.torch_index, find_links=opts.find_links)
            return 0
        finally:
            ui.close()
    except InstallerError as exc:
        print(f"genloom installer: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
