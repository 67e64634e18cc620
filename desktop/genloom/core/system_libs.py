"""The system libraries Qt (PySide6) needs, how to find the missing ones, and how to get them.

One list (:data:`SYSTEM_LIBRARIES`) serves three callers:

- ``installer/setup.sh`` (run by ``make run`` and ``make test``) runs this file
  with the system Python before it builds anything: ``--check`` loads each
  library as the dynamic linker would (``dlopen``), and after the venv exists
  ``--check --qt-dir DIR`` also asks ``ldd`` which libraries the installed Qt
  modules and plugins cannot find. Missing ones are installed with apt-get when
  running as root; otherwise it stops with the exact command to run.
- ``.ci/run`` gets the package names with ``--packages``.
- the app, when QtMultimedia cannot load, turns the loader's message into what
  to install (:func:`install_hint`).

Standard library only, and runnable as a plain script: it runs before the
project's virtual environment exists.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SYSTEM_LIBRARIES", "SystemLibrary", "install_command", "install_hint", "main",
           "missing_libraries", "missing_in_qt"]


@dataclass(frozen=True)
class SystemLibrary:
    """A shared library (its soname) and the Debian/Ubuntu package that provides it."""

    soname: str
    package: str
    needed_for: str


#: What Genloom's Qt needs from the system, probed on this machine with ldd over the
#: PySide6 modules the app imports (QtCore, QtGui, QtWidgets, QtSvg, QtMultimedia,
#: QtMultimediaWidgets) and the offscreen, xcb and FFmpeg media plugins. Libraries
#: those pull in themselves come with the packages below.
SYSTEM_LIBRARIES: tuple[SystemLibrary, ...] = (
    SystemLibrary("libEGL.so.1", "libegl1", "Qt (drawing)"),
    SystemLibrary("libGL.so.1", "libgl1", "Qt (drawing)"),
    SystemLibrary("libfontconfig.so.1", "libfontconfig1", "Qt (fonts)"),
    SystemLibrary("libfreetype.so.6", "libfreetype6", "Qt (fonts)"),
    SystemLibrary("libglib-2.0.so.0", "libglib2.0-0", "Qt (event loop)"),
    SystemLibrary("libdbus-1.so.3", "libdbus-1-3", "Qt (desktop integration)"),
    SystemLibrary("libxkbcommon.so.0", "libxkbcommon0", "Qt (keyboard)"),
    SystemLibrary("libpulse.so.0", "libpulse0", "QtMultimedia (the audio and video players)"),
    SystemLibrary("libX11-xcb.so.1", "libx11-xcb1", "Qt on X11 (the app's window)"),
    SystemLibrary("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "Qt on X11 (the app's window)"),
    SystemLibrary("libxcb-cursor.so.0", "libxcb-cursor0", "Qt on X11 (the app's window)"),
    SystemLibrary("libxcb-icccm.so.4", "libxcb-icccm4", "Qt on X11 (the app's window)"),
    SystemLibrary("libxcb-image.so.0", "libxcb-image0", "Qt on X11 (the app's window)"),
    SystemLibrary("libxcb-keysyms.so.1", "libxcb-keysyms1", "Qt on X11 (the app's window)"),
    SystemLibrary("libxcb-randr.so.0", "libxcb-randr0", "Qt on X11 (the app's window)"),
    SystemLibrary("libxcb-render-util.so.0", "libxcb-render-util0", "Qt on X11 (the app's window)"),
    SystemLibrary("libxcb-shape.so.0", "libxcb-shape0", "Qt on X11 (the app's window)"),
    SystemLibrary("libxcb-xkb.so.1", "libxcb-xkb1", "Qt on X11 (the app's window)"),
)

#: Test hook: extra ``soname=package`` pairs (comma separated) probed like the list,
#: so a test can prove the message and the install path with a library that does
#: not exist, without removing a real one from a shared machine.
EXTRA_ENV = "GENLOOM_SYSTEM_LIBS_EXTRA"

#: The PySide6 files (relative to the PySide6 package folder) whose dependencies
#: ``ldd`` checks once the venv exists: what the app imports and the plugins it loads.
QT_FILES: tuple[str, ...] = (
    "QtCore.abi3.so", "QtGui.abi3.so", "QtWidgets.abi3.so", "QtSvg.abi3.so",
    "QtMultimedia.abi3.so", "QtMultimediaWidgets.abi3.so",
    "Qt/plugins/platforms/libqoffscreen.so", "Qt/plugins/platforms/libqxcb.so",
    "Qt/plugins/multimedia/libffmpegmediaplugin.so",
)

_SONAME = re.compile(r"(lib[A-Za-z0-9_.+-]+\.so(?:\.[0-9]+)*)")


def libraries(extra: str | None = None) -> list[SystemLibrary]:
    """The list, plus the test hook's pairs (``extra``, default: the environment's)."""
    found = list(SYSTEM_LIBRARIES)
    extra = os.environ.get(EXTRA_ENV, "") if extra is None else extra
    for item in filter(None, (part.strip() for part in extra.split(","))):
        soname, _, package = item.partition("=")
        found.append(SystemLibrary(soname.strip(), package.strip() or soname.strip(), "a test"))
    return found


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(wanted: Iterable[SystemLibrary] | None = None) -> list[SystemLibrary]:
    """The libraries of the list the dynamic linker cannot load on this machine."""
    return [lib for lib in (libraries() if wanted is None else wanted) if not _loads(lib.soname)]


def missing_in_qt(qt_dir: Path, files: Sequence[str] = QT_FILES) -> list[str]:
    """Sonames that ``ldd`` reports "not found" for the installed PySide6 files in ``qt_dir``."""
    if shutil.which("ldd") is None:
        return []
    missing: list[str] = []
    for name in files:
        path = qt_dir / name
        if not path.is_file():
            continue
        result = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=False)
        for line in result.stdout.splitlines():
            if "not found" in line:
                soname = line.split("=>")[0].strip()
                if soname and soname not in missing:
                    missing.append(soname)
    return missing


def package_for(soname: str) -> str | None:
    """The package providing ``soname``, if the list knows it."""
    for lib in libraries():
        if lib.soname == soname:
            return lib.package
    return None


def install_command(packages: Sequence[str], *, root: bool) -> str:
    """The one line that installs ``packages`` on Debian/Ubuntu."""
    prefix = "" if root else "sudo "
    return (f"{prefix}apt-get update && {prefix}apt-get install -y --no-install-recommends "
            + " ".join(packages))


def install_hint(error: str) -> str:
    """What to install, from a loader error such as ``libpulse.so.0: cannot open shared object file``."""
    match = _SONAME.search(error or "")
    if match is None:
        return "a system library Qt needs is missing; run `make run` (it finds and installs it)"
    soname = match.group(1)
    package = package_for(soname)
    if package is None:
        return f"the system library {soname} is missing; install the package that provides it"
    return f"the system library {soname} is missing; install it with: sudo apt-get install {package}"


def _report(sonames: list[str]) -> tuple[list[str], list[str]]:
    """Packages for the sonames the list knows, and the sonames it does not."""
    packages: list[str] = []
    unknown: list[str] = []
    for soname in sonames:
        package = package_for(soname)
        if package is None:
            unknown.append(soname)
        elif package not in packages:
            packages.append(package)
    return packages, unknown


def check(qt_dir: Path | None, *, install: bool) -> int:
    """Probe; install with apt-get when allowed and root; else print the command. 0 when all load."""
    sonames = [lib.soname for lib in missing_libraries()]
    if qt_dir is not None:
        sonames += [s for s in missing_in_qt(qt_dir) if s not in sonames]
    if not sonames:
        return 0
    packages, unknown = _report(sonames)
    why = {lib.soname: lib.needed_for for lib in libraries()}
    print("genloom setup: these system libraries that Qt needs are missing:", file=sys.stderr)
    for soname in sonames:
        print(f"  {soname}  ({why.get(soname, 'needed by a Qt module or plugin')})", file=sys.stderr)
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    apt = shutil.which("apt-get") is not None
    if unknown:
        print("genloom setup: no package is known for " + ", ".join(unknown)
              + "; `apt-file search NAME` names the package that provides each", file=sys.stderr)
    if not packages:
        return 1
    if install and root and apt:
        print("genloom setup: installing " + " ".join(packages) + " with apt-get", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        lock = ["-o", "DPkg::Lock::Timeout=600"]
        for argv in (["apt-get", *lock, "update", "-qq"],
                     ["apt-get", *lock, "install", "-y", "-qq", "--no-install-recommends", *packages]):
            if subprocess.run(argv, env=env, check=False).returncode != 0:
                print("genloom setup: apt-get failed (see above); install them yourself with:\n  "
                      + install_command(packages, root=True), file=sys.stderr)
                return 1
        still = [lib.soname for lib in missing_libraries()]
        if qt_dir is not None:
            still += [s for s in missing_in_qt(qt_dir) if s not in still]
        if still:
            print("genloom setup: still missing after apt-get: " + ", ".join(still), file=sys.stderr)
            return 1
        return 0
    if apt:
        print("genloom setup: install them, then run make again:\n  "
              + install_command(packages, root=root), file=sys.stderr)
    else:
        print("genloom setup: install the packages that provide them with your system's package "
              "manager (on Debian/Ubuntu: " + " ".join(packages) + "), then run make again",
              file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="probe the libraries; install them when root, else print the command")
    parser.add_argument("--no-install", action="store_true", help="only report, even as root")
    parser.add_argument("--qt-dir", type=Path, help="the installed PySide6 package folder, to ldd its files")
    parser.add_argument("--packages", action="store_true", help="print the package names, one a line")
    args = parser.parse_args(argv)
    if args.packages:
        seen: list[str] = []
        for lib in libraries():
            if lib.package not in seen:
                seen.append(lib.package)
        print("\n".join(seen))
        return 0
    if args.check:
        return check(args.qt_dir, install=not args.no_install)
    parser.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
