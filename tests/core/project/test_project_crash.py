"""Crash safety: a process killed at random moments never leaves a row without its file."""

from __future__ import annotations

import hashlib
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from genloom.core.project import Project

WRITER = """
import random, sys
from genloom.core.project import Project
project = Project.open(sys.argv[1])
rng = random.Random(int(sys.argv[2]))
first = True
while True:
    size = rng.choice([10, 4096, 300_000, 2_500_000])
    data = rng.randbytes(size) if rng.random() < 0.8 else b"duplicate content"
    if rng.random() < 0.3:
        scratch = project.tmp_dir() / f"job-out-{rng.getrandbits(64):x}.bin"
        scratch.write_bytes(data)
        project.add_asset(scratch, kind="image", suffix=".png", move=True, tags=["moved"])
    else:
        project.add_asset(data, kind="video", suffix=".mp4", prompt="crash test",
                          tags=["bytes"])
    if first:
        print("ready", flush=True)
        first = False
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX; Windows kills differ")
def test_sigkill_at_random_moments_never_leaves_a_row_without_its_whole_file(
        project: Project) -> None:
    rng = random.Random(20240611)
    project.close()
    for round_ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(project.path), str(round_)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.01, 0.4))
        proc.kill()  # SIGKILL: no cleanup, no atexit, no flush
        proc.wait(timeout=30)
        proc.stdout.close()

    with Project.open(project.path) as reopened:
        assets = reopened.list_assets(limit=100_000)
        assert assets, "the writer never stored anything; the test proved nothing"
        for asset in assets:
            assert ".write-" not in asset.path
            data = reopened.asset_path(asset).read_bytes()
            assert len(data) == asset.size, asset
            assert hashlib.sha256(data).hexdigest() == asset.hash, asset
        report = reopened.check(repair=True)
        assert report.missing == () and report.mismatched == ()
        assert reopened.check().orphans == ()
        assert all(not p.name.startswith(".write-") or _fresh(p)
                   for p in reopened.tmp_dir().iterdir())


def _fresh(path: Path) -> bool:
    return time.time() - path.stat().st_mtime < 600
