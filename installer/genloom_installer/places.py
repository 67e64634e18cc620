"""Where the installer puts things: one runtime folder (the environment, the manifest, the
log), kept apart from the user's projects, models and settings (which Genloom keeps in the
places :mod:`genloom.core.paths` names, untouched by an update or an uninstall)."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "install.json"
#: What a manifest must say before the uninstaller deletes the folder holding it.
MARK = "genloom-installer"


def default_root(system: str | None = None, home: Path | None = None) -> Path:
    """Per user, no administrator rights; not ``Genloom`` itself, which holds the user's data
    (and on macOS's case-insensitive disks ``genloom`` would be the same folder)."""
    system = system or platform.system()
    home = home or Path.home()
    if system == "Windows":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        return base / "Genloom Runtime"
    if system == "Darwin":
        return home / "Library" / "Application Support" / "Genloom Runtime"
    base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "genloom-runtime"


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def env(self) -> Path:
        return self.root / "env"

    @property
    def scripts(self) -> Path:
        return self.env / ("Scripts" if os.name == "nt" else "bin")

    def script(self, name: str) -> Path:
        return self.scripts / (f"{name}.exe" if os.name == "nt" else name)

    @property
    def python(self) -> Path:
        return self.scripts / ("python.exe" if os.name == "nt" else "python")

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST

    @property
    def log(self) -> Path:
        return self.root / "logs" / "install.log"
