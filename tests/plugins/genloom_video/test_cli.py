"""The video generators from the command line: an MP4 asset path comes back and decodes."""

from __future__ import annotations

import os
import subprocess
import sys

from genloom.sdk.video import probe


def test_cli_makes_an_animatic_and_refuses_a_bad_size(genloom_home, tmp_path):
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home)}
    env.pop("GENLOOM_PROJECT", None)
    env.pop("GENLOOM_PLUGIN_PATH", None)
    base = [sys.executable, "-m", "genloom", "generate", "video.animatic", "--set", "prompts=red heart\nsun",
            "--set", "transition=crossfade", "--set", "width=32", "--set", "height=32", "--set", "fps=4",
            "--set", "seconds=1", "--set", "hold=0.25", "--set", "steps=2", "--seed", "3",
            "--project", str(tmp_path / "proj")]
    result = subprocess.run(base, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, (result.stdout, result.stderr)
    (path,) = result.stdout.split()
    info = probe(path)
    assert (info.frame_count, info.width, info.height, float(info.fps)) == (5, 32, 32, 4.0)
    bad = subprocess.run([*base, "--set", "width=30"], capture_output=True, text=True, env=env, timeout=600)
    assert bad.returncode != 0 and "width: 30 is not a multiple of 8; use 24 or 32" in bad.stderr
