"""video.animatic: keyframes, camera moves and in-betweens, checked on the decoded MP4."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from genloom.sdk import CancelledError, InputAsset, InputError, ParameterError, RunState
from genloom.sdk.video import probe
from tests.plugins.genloom_video.conftest import decoded, drawn

A = drawn(64, 64, (8, 8, 28, 28), (230, 40, 40))
B = drawn(64, 64, (30, 30, 50, 50), (40, 200, 60))


def _red_centre(frame: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero((frame[..., 0] > 170) & (frame[..., 1] < 110) & (frame[..., 2] < 110))
    return float(xs.mean()), float(ys.mean())


def test_two_image_keyframes_flow_into_each_other_with_exact_ends(runner, keyframe):
    run = runner("video.animatic")
    (out,), state = run.run(inputs={"key_1": keyframe(A, "a"), "key_2": keyframe(B, "b")},
                            width=64, height=64, fps=10, seconds=1.0, hold=0.5, transition="flow")
    info = probe(out.path)
    assert (info.width, info.height, info.frame_count, float(info.fps)) == (64, 64, 15, 10.0)
    assert out.metadata["frame_count"] == 15 and out.metadata["codec"] == info.codec
    frames = decoded(out)
    assert np.abs(frames[0].astype(int) - A).mean() < 3  # first frame is keyframe 1 (lossy codec)
    assert np.abs(frames[-1].astype(int) - B).mean() < 3  # last frames are keyframe 2
    middle = frames[5]
    assert np.abs(middle.astype(int) - A).mean() > 5 and np.abs(middle.astype(int) - B).mean() > 5
    assert any(r.preview for r in state.reports)
    assert state.reports[-1].step == state.reports[-1].total == 15


def test_a_pan_moves_the_picture_by_the_distance_asked(runner, keyframe):
    run = runner("video.animatic")
    (out,), _ = run.run(inputs={"key_1": keyframe(A, "a")}, width=64, height=64, fps=8, seconds=1.0,
                        hold=0.125, transition="cut", ease="linear", segments="pan=0:0.125")
    frames = decoded(out)
    (x0, y0), (x1, y1) = _red_centre(frames[0]), _red_centre(frames[-1])
    # The camera moves right by an eighth of the frame (8 px): the picture slides 8 px left.
    assert x1 - x0 == pytest.approx(-8, abs=0.75) and y1 - y0 == pytest.approx(0, abs=0.75)
    (out,), _ = run.run(inputs={"key_1": keyframe(A, "a")}, width=64, height=64, fps=8, seconds=1.0,
                        hold=0.125, transition="cut", ease="linear", segments="tilt=0:0.125 zoom=1:1")
    frames = decoded(out)
    (x0, y0), (x1, y1) = _red_centre(frames[0]), _red_centre(frames[-1])
    assert y1 - y0 == pytest.approx(8, abs=0.75) and x1 - x0 == pytest.approx(0, abs=0.75)  # tilt up: down


def test_crossfade_halfway_is_the_mean_of_the_keyframes(runner, keyframe):
    run = runner("video.animatic")
    (out,), _ = run.run(inputs={"key_1": keyframe(A, "a"), "key_2": keyframe(B, "b")}, width=64, height=64,
                        fps=4, seconds=1.0, transition="crossfade", ease="linear")
    frames = decoded(out)
    expected = (A.astype(int) + B.astype(int)) / 2
    assert np.abs(frames[2].astype(int) - expected).mean() < 4


def test_prompt_keyframes_morph_through_the_image_model_and_rerun_identically(runner):
    run = runner("video.animatic")
    params = dict(prompts="red heart\nsmiling cat face", transition="morph", width=32, height=32, fps=4,
                  seconds=0.5, hold=0.25, steps=2)
    (first,), _ = run.run(seed=3, **params)
    (second,), _ = run.run(seed=3, **params)
    frames_a, frames_b = decoded(first), decoded(second)
    assert len(frames_a) == 3
    assert all(np.array_equal(x, y) for x, y in zip(frames_a, frames_b, strict=True))
    assert first.metadata["keyframes"][1] == {"source": "prompt", "value": "smiling cat face"}


def test_cancel_stops_within_a_frame_and_leaves_no_file(runner, keyframe):
    run = runner("video.animatic")
    state = RunState()
    seen = []

    def report(progress):
        seen.append(progress.step)
        if progress.step == 3:
            state.cancel()

    state._report = report
    request = run.request(inputs={"key_1": keyframe(A, "a"), "key_2": keyframe(B, "b")}, width=64, height=64,
                          fps=10, seconds=2.0)
    with pytest.raises(CancelledError):
        run.generator.run(request, state)
    assert max(seen) == 3
    assert list(request.output_dir.iterdir()) == []


@pytest.mark.parametrize(("params", "message"), [
    ({"width": 60}, r"width: 60 is not a multiple of 8; use 56 or 64"),
    ({"segments": "pan=0:9"}, r"pan=0:9.*outside -2 to 2"),
    ({"segments": "wobble=1"}, r"'wobble' \(line 1\) is not a segment word"),
    ({"segments": "transition=spin"}, r"is not a transition; choose cut, crossfade, flow, morph"),
])
def test_bad_parameters_are_refused_when_queued(video_plugins, params, message):
    spec = video_plugins.generator("video.animatic")
    with pytest.raises(ParameterError, match=message):
        spec.validate_params({"prompts": "red heart", **params})


def test_a_keyframe_with_neither_image_nor_prompt_names_the_fix(runner, keyframe):
    run = runner("video.animatic")
    with pytest.raises(ParameterError, match="write a prompt on line 2 or give key_2"):
        run.run(inputs={"key_1": keyframe(A, "a"), "key_3": keyframe(B, "b")}, width=64, height=64)


def test_more_segment_lines_than_segments_is_refused(runner, keyframe):
    run = runner("video.animatic")
    with pytest.raises(ParameterError, match="give at most 1 lines or add keyframes"):
        run.run(inputs={"key_1": keyframe(A, "a"), "key_2": keyframe(B, "b")}, segments="seconds=1\nseconds=2")


def test_a_keyframe_of_the_wrong_kind_is_refused(runner, tmp_path):
    wav = tmp_path / "x.wav"
    wav.write_bytes(b"RIFF")
    run = runner("video.animatic")
    with pytest.raises(InputError, match="key_1 is a audio asset; a keyframe must be an image"):
        run.run(inputs={"key_1": InputAsset(None, "audio", wav)}, prompts="\nred heart")


def test_the_engine_makes_an_animatic_asset_with_its_recipe(video_plugins, genloom_project, genloom_engine,
                                                             tmp_path):
    from PIL import Image

    path = tmp_path / "a.png"
    Image.fromarray(A).save(path)
    picture = genloom_project.add_asset(path, kind="image", suffix=".png")
    engine = genloom_engine(video_plugins)
    previews: list[bytes] = []
    engine.events.job_progress.connect(lambda e: previews.append(e.progress.preview))
    (job,) = engine.submit("video.animatic", {"prompts": "\nred heart", "width": 32, "height": 32, "fps": 4,
                                              "seconds": 0.5, "hold": 0.25, "steps": 2,
                                              "transition": "crossfade"}, seed=5,
                           inputs={"key_1": picture.id})
    (job,) = engine.wait([job.id], timeout=300)
    assert job.state == "done", job.error
    asset = genloom_project.get_asset(job.asset_ids[0])
    assert asset.kind == "video" and asset.recipe["generator"]["id"] == "video.animatic"
    assert asset.metadata["frame_count"] == 3 and asset.metadata["fps"] == 4.0
    assert picture.id in [p.id for p in genloom_project.parents(asset.id)]
    info = probe(genloom_project.asset_path(asset))
    assert (info.frame_count, info.width) == (3, 32)
    assert any(previews)


def test_cancel_through_the_engine_leaves_no_asset(video_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(video_plugins)
    started = threading.Event()
    engine.events.job_progress.connect(lambda e: started.set())
    (job,) = engine.submit("video.animatic", {"prompts": "red heart\nsun", "transition": "morph", "steps": 50,
                                              "width": 64, "height": 64, "fps": 30, "seconds": 10}, seed=1)
    assert started.wait(300)
    engine.cancel(job.id)
    (job,) = engine.wait([job.id], timeout=120)
    assert job.state == "cancelled"
    assert genloom_project.count_assets() == 0
