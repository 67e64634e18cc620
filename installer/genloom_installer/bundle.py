"""The offline bundle: one archive with every wheel an installation needs for one platform
and GPU kind (Genloom's own wheel carries the bundled models), the installer and uv; and
the install from it, which uses no network at all (uv ``--offline --no-index``)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from genloom_installer.backend import LOCKS, PYTHON_VERSION, InstallerError, lock_file
from genloom_installer.install import WATERMARK, build_wheel, lock_backend_of, source_version
from genloom_installer.ui import Ui

INSTALLER_DIR = Path(__file__).resolve().parent.parent
#: pip's --platform tags for each platform key (manylinux wheels of several ages).
PIP_PLATFORMS = {
    "linux-x86_64": ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
                     "manylinux_2_5_x86_64", "manylinux1_x86_64", "linux_x86_64"],
    "linux-aarch64": ["manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"],
    "windows-x86_64": ["win_amd64"],
    "macos-arm64": ["macosx_14_0_arm64", "macosx_13_0_arm64", "macosx_12_0_arm64",
                    "macosx_11_0_arm64", "macosx_10_9_universal2"],
}
BUNDLE_INFO = "bundle.json"


def _pip(uv: str) -> list[str]:
    """pip for ``pip download`` (uv has no download command): this Python's, else uv's tool."""
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    return [uv, "tool", "run", "--from", "pip", "pip"]


def build(ui: Ui, uv: str, source: Path, key: str, kind: str, out: Path, *,
          torch_index: str | None, find_links: list[str]) -> Path:
    lock = lock_file(key, kind)
    if lock.name != f"{key}-{kind}.txt":
        raise InstallerError(f"there is no lock for {key}/{kind} to bundle; make one first with: "
                             f"python -m genloom_installer lock --platform {key} --kind {kind}")
    name = f"genloom-offline-{key}-{kind}"
    with tempfile.TemporaryDirectory(prefix="genloom-bundle-", dir=out.parent) as tmp:
        stage = Path(tmp) / name
        wheels = stage / "wheels"
        wheels.mkdir(parents=True)
        common = ["download", "--no-deps", "--only-binary=:all:", "--dest", str(wheels),
                  "--python-version", PYTHON_VERSION, "--implementation", "cp"]
        for tag in PIP_PLATFORMS[key]:
            common += ["--platform", tag]
        for link in find_links:
            common += ["--find-links", link]
        backend = lock_backend_of(lock)
        if torch_index and torch_index != "none":
            common += ["--extra-index-url", torch_index]
        elif torch_index is None and backend not in ("mps", "cu130") and not key.startswith("windows"):
            common += ["--extra-index-url", f"https://download.pytorch.org/whl/{backend}"]
        with ui.step(f"Downloading the wheels of {lock.name}"):
            ui.run([*_pip(uv), *common, "-r", str(lock), WATERMARK, "uv"], what="downloading wheels")
        with ui.step("Building Genloom's wheel (with the bundled models)"):
            build_wheel(ui, uv, source, Path(tmp) / "build", [], {})
            for wheel in (Path(tmp) / "build" / "dist").glob("genloom-*.whl"):
                shutil.copy2(wheel, wheels / wheel.name)
        with ui.step("Adding the installer"):
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*.in", "*.tmp")
            for part in ("genloom_installer", "locks", "icons", "windows"):
                shutil.copytree(INSTALLER_DIR / part, stage / "installer" / part, ignore=ignore)
            for script in ("install.sh", "install.ps1"):
                shutil.copy2(INSTALLER_DIR / script, stage / "installer" / script)
            info = {"platform": key, "kind": kind, "lock": lock.name, "backend": backend,
                    "python": PYTHON_VERSION, "genloom": source_version(source),
                    "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    "wheels": sorted(p.name for p in wheels.glob("*.whl"))}
            (stage / BUNDLE_INFO).write_text(json.dumps(info, indent=2), encoding="utf-8")
        with ui.step(f"Writing {out.name}"):
            partial = out.with_name(out.name + ".partial")
            # Wheels are zip files already: a plain tar, no second compression.
            with tarfile.open(partial, "w") as archive:
                archive.add(stage, arcname=name)
            os.replace(partial, out)
    size = out.stat().st_size
    ui.say(f"{out}: {size / 1024**2:.0f} MB, {len(info['wheels'])} wheels")
    return out


def unpack(archive_path: Path, into: Path) -> tuple[Path, dict]:
    """Extract a bundle (only regular files and folders inside it) and read its description."""
    if not archive_path.is_file():
        raise InstallerError(f"--bundle {archive_path}: no such file")
    try:
        with tarfile.open(archive_path) as archive:
            members = archive.getmembers()
            for member in members:
                target = (into / member.name).resolve()
                if not (member.isfile() or member.isdir()) or not target.is_relative_to(into.resolve()):
                    raise InstallerError(f"--bundle {archive_path}: {member.name!r} is not a plain "
                                         "file inside the bundle; it is not a Genloom bundle")
            archive.extractall(into, members=members)
    except tarfile.TarError as exc:
        raise InstallerError(f"--bundle {archive_path}: not a readable archive ({exc})") from None
    stages = [p for p in into.iterdir() if (p / BUNDLE_INFO).is_file()]
    if len(stages) != 1:
        raise InstallerError(f"--bundle {archive_path}: no {BUNDLE_INFO} inside; it is not a Genloom bundle")
    return stages[0], json.loads((stages[0] / BUNDLE_INFO).read_text(encoding="utf-8"))


__all__ = ["LOCKS", "build", "unpack"]
