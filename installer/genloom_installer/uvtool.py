"""Finding uv: the one program the installer drives."""

from __future__ import annotations

import os
import shutil
import sys
import zipfile
from pathlib import Path

from genloom_installer.backend import InstallerError


def find_uv(explicit: str | None = None) -> str:
    """``--uv``, then ``$GENLOOM_UV``, then ``uv`` on PATH, then the uv Python package's binary."""
    for candidate in (explicit, os.environ.get("GENLOOM_UV")):
        if candidate:
            if Path(candidate).is_file():
                return str(Path(candidate).resolve())
            raise InstallerError(f"uv: {candidate} does not exist; give the path of the uv program")
    found = shutil.which("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin  # the PyPI package "uv" ships the binary

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    beside = Path(sys.executable).with_name("uv.exe" if os.name == "nt" else "uv")
    if beside.is_file():
        return str(beside)
    raise InstallerError("uv was not found: run installer/install.sh (or install.ps1), which "
                         "fetches it, or install it with: python -m pip install uv")


def uv_from_wheel(wheel: Path, target: Path) -> Path:
    """Take the uv program out of its wheel (the offline bundle carries the wheel)."""
    name = "uv.exe" if os.name == "nt" else "uv"
    with zipfile.ZipFile(wheel) as archive:
        member = next((m for m in archive.namelist()
                       if m.endswith(f".data/scripts/{name}")), None)
        if member is None:
            raise InstallerError(f"{wheel.name} holds no uv program for this system")
        target.mkdir(parents=True, exist_ok=True)
        path = target / name
        with archive.open(member) as src, path.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    path.chmod(0o755)
    return path
