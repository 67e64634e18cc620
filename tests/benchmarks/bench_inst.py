"""The installer: a CPU-kind install into a fresh home, against uv bringing the same lock
into a bare environment (the floor the installer's own work sits on); `genloom doctor`
against `python -c "import torch"`; the environment's size on disk.

Packages come from uv's cache of the real user (warm after the first run) and, for torch,
``$PIP_FIND_LINKS`` when it holds the CPU wheel, as in tests/installer/test_install.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks._report import best_of, report

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"


def _sizes(folder: Path) -> tuple[int, int]:
    """(apparent bytes, bytes of files not hard-linked elsewhere, e.g. into uv's cache)."""
    apparent = own = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            stat = path.stat()
            apparent += stat.st_size
            if stat.st_nlink == 1:
                own += stat.st_size
    return apparent, own


def main() -> None:
    sys.path.insert(0, str(INSTALLER))
    from genloom_installer.uvtool import find_uv

    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or find_uv()
    links = [d for d in os.environ.get("PIP_FIND_LINKS", "").split() if Path(d).is_dir()]
    link_args = [a for d in links for a in ("--find-links", d)]
    local_torch = any(Path(d).glob("torch-*+cpu-*.whl") for d in links)
    lock = INSTALLER / "locks" / "linux-x86_64-cpu.txt"
    with tempfile.TemporaryDirectory(prefix="genloom-bench-inst-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GENLOOM_", "XDG_", "VIRTUAL_ENV"))}
        env.update(HOME=str(home), PYTHONPATH=str(INSTALLER),
                   UV_CACHE_DIR=os.environ.get("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv")))
        bare = Path(tmp) / "bare"
        start = time.perf_counter()
        subprocess.run([uv, "venv", "-q", "--python", "3.11", str(bare)], check=True, env=env)
        subprocess.run([uv, "pip", "sync", "-q", "--python", str(bare / "bin" / "python"), *link_args,
                        str(lock)], check=True, env=env)
        floor = time.perf_counter() - start
        argv = [sys.executable, "-m", "genloom_installer", "install", "--uv", uv, "--no-desktop-entry",
                *link_args, *(["--torch-index", "none"] if local_torch else [])]
        start = time.perf_counter()
        subprocess.run(argv, check=True, env=env, capture_output=True)
        full = time.perf_counter() - start
        report("installer install (CPU kind, warm uv cache)", full,
               "uv venv + uv pip sync of the lock", floor,
               note="the difference: Genloom's wheel, the watermark, the smoke test")
        prefix = home / ".local" / "share" / "genloom-runtime"
        apparent, own = _sizes(prefix / "env")
        print(f"environment on disk: {apparent / 1024**3:.2f} GB apparent, {own / 1024**3:.2f} GB not "
              "shared with uv's cache (hard links)", flush=True)
        genloom = str(prefix / "env" / "bin" / "genloom")
        python = str(prefix / "env" / "bin" / "python")
        report("genloom doctor (installed)",
               best_of(lambda: subprocess.run([genloom, "doctor"], env=env, capture_output=True), 3),
               'python -c "import torch"',
               best_of(lambda: subprocess.run([python, "-c", "import torch"], env=env), 3))


if __name__ == "__main__":
    main()
