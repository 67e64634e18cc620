"""Frames out of clips as image assets with lineage: core function and CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from genloom.core.frames import FRAME_OPERATION, extract_frame
from genloom.sdk import ParameterError
from genloom.sdk.video import read_frame, write_video


def _clip(project, tmp_path, count=6):
    frames = []
    for index in range(count):
        frame = np.full((32, 48, 3), 20 * index, np.uint8)
        frame[4:12, 4 + 4 * index:12 + 4 * index] = (250, 30, 30)
        frames.append(frame)
    path = tmp_path / "clip.mp4"
    write_video(path, frames, 6)
    return project.add_asset(path, kind="video", suffix=".mp4", prompt="red square")


def test_the_last_frame_becomes_an_image_asset_whose_parent_is_the_clip(genloom_project, tmp_path):
    clip = _clip(genloom_project, tmp_path)
    image = extract_frame(genloom_project, clip.id, "last")
    assert image.kind == "image" and image.suffix == ".png"
    assert [p.id for p in genloom_project.parents(image.id)] == [clip.id]
    assert image.recipe == {"operation": FRAME_OPERATION, "source_asset": clip.id, "frame": 5, "time": 0.8333,
                            "frame_count": 6}
    with Image.open(genloom_project.asset_path(image)) as img:
        pixels = np.asarray(img.convert("RGB"))
    assert np.array_equal(pixels, read_frame(genloom_project.asset_path(clip), -1))
    first = extract_frame(genloom_project, clip, "first")
    assert first.recipe["frame"] == 0 and first.prompt == "red square"
    assert extract_frame(genloom_project, clip, -2).recipe["frame"] == 4


def test_a_frame_outside_the_clip_or_an_asset_that_is_no_clip_is_refused(genloom_project, tmp_path):
    clip = _clip(genloom_project, tmp_path)
    with pytest.raises(ParameterError, match="outside the clip's 6 frames; give 0 to 5"):
        extract_frame(genloom_project, clip, 6)
    text = genloom_project.add_asset(b"words", kind="text", suffix=".txt")
    with pytest.raises(ParameterError, match="is a text asset, not a clip"):
        extract_frame(genloom_project, text, "first")
    assert genloom_project.count_assets() == 2


def test_the_cli_takes_a_frame_out(genloom_home, tmp_path):
    from genloom.core.project import Project

    project = Project.create(tmp_path / "proj")
    clip = _clip(project, tmp_path)
    project.close()
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home)}
    env.pop("GENLOOM_PROJECT", None)
    result = subprocess.run([sys.executable, "-m", "genloom", "assets", "frame", str(clip.id), "first", "--json",
                             "--project", str(tmp_path / "proj")], capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    (image,) = json.loads(result.stdout)
    assert image["kind"] == "image"
    bad = subprocess.run([sys.executable, "-m", "genloom", "assets", "frame", str(clip.id), "99",
                          "--project", str(tmp_path / "proj")], capture_output=True, text=True, env=env,
                         timeout=120)
    assert bad.returncode != 0 and "give 0 to 5" in bad.stderr
