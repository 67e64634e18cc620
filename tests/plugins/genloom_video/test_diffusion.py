"""video.text_to_video and video.image_to_video on tiny real pipelines: AnimateDiff, CogVideoX, Wan."""

from __future__ import annotations

import numpy as np
import pytest

from genloom.sdk import CancelledError, InputAsset, InputError, ModelRef, ParameterError, RunState
from genloom.sdk.video import probe
from tests.plugins.genloom_image.tiny_sd import build_tiny_sd
from tests.plugins.genloom_video.conftest import decoded, drawn
from tests.plugins.genloom_video.tiny_video import (
    build_tiny_adapter,
    build_tiny_cogvideox,
    build_tiny_wan,
)


def _ref(path) -> ModelRef:
    return ModelRef(id=str(path), kind="diffusers", path=str(path), source="user")


@pytest.fixture(scope="module")
def tiny_sd(tmp_path_factory):
    return _ref(build_tiny_sd(tmp_path_factory.mktemp("sd")))


@pytest.fixture(scope="module")
def tiny_adapter(tmp_path_factory):
    return build_tiny_adapter(tmp_path_factory.mktemp("adapter") / "mm-tiny")


@pytest.fixture(scope="module")
def tiny_cogvideox(tmp_path_factory):
    return _ref(build_tiny_cogvideox(tmp_path_factory.mktemp("cog")))


@pytest.fixture(scope="module")
def tiny_wan(tmp_path_factory):
    return _ref(build_tiny_wan(tmp_path_factory.mktemp("wan")))


def test_animatediff_with_a_users_adapter_makes_the_clip_asked_and_reruns_identically(runner, tiny_sd, tiny_adapter):
    run = runner("video.text_to_video", tiny_sd)
    params = dict(prompt="a red dot", frames=4, fps=6, steps=2, width=64, height=64,
                  motion_adapter=str(tiny_adapter))
    (first,), state = run.run(seed=11, **params)
    (second,), _ = run.run(seed=11, **params)
    info = probe(first.path)
    assert (info.frame_count, info.width, info.height, float(info.fps)) == (4, 64, 64, 6.0)
    assert first.metadata["pipeline"] == "AnimateDiffPipeline" and first.metadata["frame_count"] == 4
    assert first.metadata["runtime"] == {"device": "cpu", "dtype": "float32", "placement": "device",
                                         "placement_reason": "cpu is not a CUDA GPU",
                                         "attention": first.metadata["runtime"]["attention"]}
    assert "AttnProcessor2_0" in first.metadata["runtime"]["attention"]  # PyTorch SDPA
    a, b = decoded(first), decoded(second)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], a[-1])  # the frames differ: it moves
    assert [r.step for r in state.reports] == [1, 2]
    assert all(r.preview for r in state.reports)  # a decoded middle frame every quarter of the steps


def test_frames_beyond_the_adapters_positions_name_the_limit(runner, tiny_sd, tiny_adapter):
    run = runner("video.text_to_video", tiny_sd)
    with pytest.raises(ParameterError, match="frames: 9 is more than this motion adapter's 8 positions; "
                                             "choose 8 frames or fewer"):
        run.run(prompt="a red dot", frames=9, steps=1, motion_adapter=str(tiny_adapter))


def test_a_folder_that_is_no_motion_adapter_is_refused(runner, tiny_sd, tmp_path):
    run = runner("video.text_to_video", tiny_sd)
    with pytest.raises(ParameterError, match="is not a motion adapter folder"):
        run.run(prompt="a red dot", frames=2, steps=1, motion_adapter=str(tmp_path))


def test_cancel_stops_within_one_step_and_leaves_no_file(runner, tiny_sd, tiny_adapter):
    run = runner("video.text_to_video", tiny_sd)
    state = RunState()
    steps = []

    def report(progress):
        steps.append(progress.step)
        state.cancel()

    state._report = report
    request = run.request(prompt="a red dot", frames=4, steps=10, motion_adapter=str(tiny_adapter))
    with pytest.raises(CancelledError):
        run.generator.run(request, state)
    assert steps == [1]
    assert list(request.output_dir.iterdir()) == []


def test_image_to_video_with_animatediff_starts_from_the_image(runner, tiny_sd, tiny_adapter, keyframe):
    picture = drawn(64, 64, (16, 16, 48, 48), (230, 40, 40))
    run = runner("video.image_to_video", tiny_sd)
    (out,), _ = run.run(inputs={"image": keyframe(picture, "still")}, prompt="a red dot", frames=4, steps=4,
                        strength=0.3, width=64, height=64, motion_adapter=str(tiny_adapter))
    frames = decoded(out)
    assert len(frames) == 4 and out.metadata["pipeline"] == "AnimateDiffVideoToVideoPipeline"
    other = drawn(64, 64, (0, 40, 24, 64), (40, 40, 230))
    (out_other,), _ = run.run(inputs={"image": keyframe(other, "other")}, prompt="a red dot", frames=4, steps=4,
                              strength=0.3, width=64, height=64, motion_adapter=str(tiny_adapter))
    # Same seed and prompt, another picture: another clip (the frames start from the image's latents).
    assert np.abs(decoded(out_other)[0].astype(int) - frames[0]).mean() > 2


def test_image_to_video_refuses_an_input_of_another_kind(runner, tiny_sd, tiny_adapter, tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("hello")
    run = runner("video.image_to_video", tiny_sd)
    with pytest.raises(InputError, match="'image' is a text asset; image-to-video starts from an image"):
        run.run(inputs={"image": InputAsset(None, "text", path)}, frames=2, steps=1,
                motion_adapter=str(tiny_adapter))


def test_a_users_cogvideox_folder_makes_4k_plus_1_frames(runner, tiny_cogvideox):
    run = runner("video.text_to_video", tiny_cogvideox)
    (out,), state = run.run(seed=2, prompt="dance monkey", frames=9, steps=2, width=16, height=16, fps=8)
    info = probe(out.path)
    assert (info.frame_count, info.width, info.height) == (9, 16, 16)
    assert out.metadata["pipeline"] == "CogVideoXPipeline"
    assert state.reports[-1].preview
    with pytest.raises(ParameterError, match="frames: 8 does not fit CogVideoXPipeline.*choose 5 or 9"):
        run.run(prompt="dance monkey", frames=8, steps=1, width=16, height=16)
    with pytest.raises(ParameterError, match="width: 0 has no model default"):
        run.run(prompt="dance monkey", frames=9, steps=1)


def test_a_users_wan_folder_makes_a_clip_and_reruns_identically(runner, tiny_wan):
    run = runner("video.text_to_video", tiny_wan)
    params = dict(prompt="dance monkey", frames=5, steps=2, width=16, height=16, guidance_scale=1.0)
    (first,), _ = run.run(seed=4, **params)
    (second,), _ = run.run(seed=4, **params)
    a, b = decoded(first), decoded(second)
    assert len(a) == 5 and a[0].shape == (16, 16, 3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_the_library_identifies_adapters_and_video_pipelines(video_plugins, tiny_adapter, tiny_cogvideox, tiny_sd):
    from pathlib import Path

    matches = dict(video_plugins.identify_model(Path(tiny_adapter)))
    assert matches["video"].kind == "motion-adapter"
    matches = dict(video_plugins.identify_model(Path(tiny_cogvideox.path)))
    assert matches["video"].kind == "diffusers-video"
    assert matches["video"].architecture == "CogVideoX"
    assert "image" not in matches
    assert "video" not in dict(video_plugins.identify_model(Path(tiny_sd.path)))


def test_the_engine_makes_a_clip_with_the_bundled_models(video_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(video_plugins)
    (job,) = engine.submit("video.text_to_video", {"prompt": "red heart, zoom in", "frames": 3, "steps": 1},
                           seed=9)
    (job,) = engine.wait([job.id], timeout=600)
    assert job.state == "done", job.error
    asset = genloom_project.get_asset(job.asset_ids[0])
    assert asset.kind == "video" and asset.recipe["model"]["id"] == "image.emoji-ldm-32"
    info = probe(genloom_project.asset_path(asset))
    assert (info.frame_count, info.width, info.height) == (3, 32, 32)
    assert asset.metadata["motion_adapter"] == "bundled emoji-motion"
    assert asset.recipe["runtime"]["device"] == "cpu" and asset.recipe["runtime"]["dtype"] == "float32"


def test_image_to_video_with_a_text_to_video_only_folder_names_the_fix(runner, tiny_cogvideox, keyframe):
    run = runner("video.image_to_video", tiny_cogvideox)
    picture = drawn(16, 16, (4, 4, 12, 12), (230, 40, 40))
    with pytest.raises(ParameterError, match="model: 'tiny-cogvideox' is a text-to-video model.*choose the "
                                             "model's image-to-video release"):
        run.run(inputs={"image": keyframe(picture, "still")}, prompt="dance monkey", frames=9, steps=1,
                width=16, height=16)
