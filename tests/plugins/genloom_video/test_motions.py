"""The motion synthesis and estimation the adapter's training and evaluation rest on."""

from __future__ import annotations

import numpy as np
import pytest

from genloom_video.training.motions import MEASURABLE, MOTIONS, classify, synthesise
from tests.plugins.genloom_video.conftest import drawn


@pytest.mark.parametrize("motion", MEASURABLE)
def test_the_estimator_names_each_synthesised_motion(motion):
    picture = np.full((32, 32, 3), 255, np.uint8)
    picture[8:24, 10:22] = (200, 30, 30)
    picture[12:16, 12:16] = (0, 0, 200)
    rng = np.random.default_rng(0)
    for _ in range(3):
        assert classify(synthesise(picture, motion, 8, rng)) == motion


def test_a_still_clip_is_static_and_every_motion_makes_8_frames():
    picture = drawn(32, 32, (8, 8, 24, 24), (200, 30, 30))
    assert classify(np.stack([picture] * 8)) == "static"
    rng = np.random.default_rng(1)
    for motion in MOTIONS:
        clip = synthesise(picture, motion, 8, rng)
        assert clip.shape == (8, 32, 32, 3) and clip.dtype == np.uint8
    with pytest.raises(ValueError, match="unknown motion 'wobble'"):
        synthesise(picture, "wobble", 8, rng)
