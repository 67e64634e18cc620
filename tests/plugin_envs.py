"""Throwaway Python environments and tiny plugin wheels, for the plugin install tests.

The tests must never change the environment they run in, so each builds a fresh
venv in tmp (no pip of its own: ``--without-pip`` is much faster) whose only
``.pth`` file adds the running environment's site folders with ``site.addsitedir``:
torch, PySide6, pip and the rest are shared read-only, and Genloom is the same
installation as the test run's (for a developer, the editable install of the checkout).
Whatever a test installs lands in the throwaway venv's own site-packages, which comes
first on its ``sys.path``, and is gone with the tmp folder.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import site
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass
class ThrowawayEnv:
    root: Path
    python: Path
    site_packages: Path
    home: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV", "GENLOOM_"))}
        env.update({"GENLOOM_HOME": str(self.home), "PIP_NO_CACHE_DIR": "1",
                    "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1",
                    "PIP_CONFIG_FILE": os.devnull, "QT_QPA_PLATFORM": "offscreen"})
        env.update(extra)
        return env

    def genloom(self, *args: str, timeout: float = 300, **extra: str) -> subprocess.CompletedProcess[str]:
        """Run this environment's ``genloom`` command (``python -m genloom``)."""
        return subprocess.run([str(self.python), "-m", "genloom", *map(str, args)],
                              capture_output=True, text=True, env=self.env(**extra),
                              timeout=timeout, cwd=self.root)

    def python_run(self, *args: str, timeout: float = 300, cwd: Path | None = None,
                   **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.python), *map(str, args)], capture_output=True, text=True,
                              env=self.env(**extra), timeout=timeout, cwd=cwd or self.root)

    def distributions(self) -> dict[str, str]:
        """Every distribution the environment sees: name -> version (first on sys.path wins)."""
        code = ("import importlib.metadata as m, json\nout = {}\n"
                "for d in m.distributions():\n"
                "    n = (d.metadata['Name'] or '').lower().replace('_', '-')\n"
                "    out.setdefault(n, d.version)\nprint(json.dumps(out))")
        done = self.python_run("-c", code)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def own_files(self) -> list[str]:
        """The files in the venv's own site-packages (what an install adds or removes)."""
        return sorted(str(p.relative_to(self.site_packages)) for p in self.site_packages.rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pth")


def shared_site_dirs() -> list[str]:
    """The site folders of the running environment, in sys.path order."""
    candidates = [*site.getsitepackages(), site.getusersitepackages(), sysconfig.get_paths()["purelib"]]
    ordered = [p for p in sys.path if p in candidates or p.rstrip("/").endswith(("site-packages", "dist-packages"))]
    # Folders that a .pth of the running venv put on sys.path (a shared site folder).
    ordered += [p for p in sys.path if Path(p).is_dir() and any(Path(p).glob("*.dist-info"))]
    seen: list[str] = []
    for path in ordered:
        if path and path not in seen and Path(path).is_dir() and not _thin_layer(Path(path)):
            seen.append(path)
    return seen


def _thin_layer(folder: Path) -> bool:
    """A venv layered over a shared site folder holds only its own pip, setuptools and the
    editable Genloom; sharing it would shadow the shared folder's newer setuptools (which
    torch requires) and leave pip an inconsistent environment to resolve against."""
    names = {p.name.split("-")[0].lower() for p in folder.glob("*.dist-info")}
    return bool(names) and names <= {"pip", "setuptools", "genloom", "wheel"}


def make_env(root: Path) -> ThrowawayEnv:
    """A fresh venv in ``root`` seeing the running environment's packages read-only."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True,
                   timeout=120)
    python = root / "venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    site_packages = Path(purelib)
    lines = "; ".join(f"site.addsitedir({d!r})" for d in shared_site_dirs())
    (site_packages / "zz_genloom_shared.pth").write_text(f"import site; {lines}\n", encoding="utf-8")
    # Genloom itself, from this checkout, without dependencies (they are shared).
    done = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-build-isolation",
                           "--no-index", "--quiet", "--editable", str(REPO)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PIP_CONFIG_FILE": os.devnull})
    assert done.returncode == 0, done.stdout + done.stderr
    home = root / "home"
    home.mkdir()
    return ThrowawayEnv(root=root, python=python, site_packages=site_packages, home=home)


def write_wheel(folder: Path, dist: str, version: str, files: dict[str, str], *,
                requires: tuple[str, ...] = (), entry_points: dict[str, str] | None = None) -> Path:
    """Write a pure-Python wheel by hand (a zip with METADATA, WHEEL and RECORD).

    ``files`` maps paths inside the wheel to their text; ``entry_points`` maps plugin
    names to modules for the ``genloom.plugins`` group.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stem = dist.replace("-", "_")
    info = f"{stem}-{version}.dist-info"
    content = dict(files)
    meta = ["Metadata-Version: 2.1", f"Name: {dist}", f"Version: {version}"]
    meta += [f"Requires-Dist: {r}" for r in requires]
    content[f"{info}/METADATA"] = "\n".join(meta) + "\n"
    content[f"{info}/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: genloom-tests\nRoot-Is-Purelib: true\n"
                                "Tag: py3-none-any\n")
    if entry_points:
        content[f"{info}/entry_points.txt"] = "[genloom.plugins]\n" + "".join(
            f"{name} = {module}\n" for name, module in entry_points.items())
    record = []
    for name, text in content.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    content[f"{info}/RECORD"] = "\n".join(record) + "\n"
    path = folder / f"{stem}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in content.items():
            archive.writestr(name, text)
    return path


def plugin_module(generator_id: str) -> str:
    """A tiny plugin module offering one text generator."""
    return f'''"""A plugin built by the install tests."""

from genloom.sdk import GeneratorSpec, Output, StringParam, hookimpl


class Echo:
    def load(self, model, device, dtype):
        pass

    def run(self, request, state):
        return [Output(kind="text", text=request.params["prompt"])]

    def unload(self):
        pass


@hookimpl
def genloom_register_generators():
    return [GeneratorSpec(id="{generator_id}", modality="text", title="Echo", factory=Echo,
                          params=(StringParam("prompt", "hi"),))]
'''
