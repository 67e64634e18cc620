"""Takes made by generators through a real engine and worker attach to their shots,
with the board's style and seed policy; keyframes are followed by motion clips."""

from __future__ import annotations

from typing import Any

import pytest

from genloom.core.boards import Boards
from genloom.core.boards.takes import advance, follow, plan_takes, queue_takes
from genloom.core.project import Project
from genloom.sdk.errors import InputError


def _board(project: Project, **style: Any) -> tuple[Boards, int, list[int]]:
    boards = Boards(project)
    board = boards.create("Takes", {"image_generator": "procedural.pattern", "width": 64,
                                    "height": 64, **style})
    ids = boards.add_shots(board.id, [{"description": "a harbour", "duration": 2,
                                       "camera": "zoom-in"},
                                      {"description": "a boat", "duration": 1.5}])
    return boards, board.id, ids


def test_takes_from_built_in_generators_attach_to_their_shots(
        stills_plugins: Any, genloom_project: Project, genloom_engine: Any) -> None:
    boards, board_id, (a, b) = _board(genloom_project)
    engine = genloom_engine(stills_plugins)
    jobs = queue_takes(engine, boards, board_id, tracks=("picture", "music"))
    assert [j.generator_id for j in jobs] == ["procedural.pattern"] * 2 + ["procedural.tones"]
    assert jobs[2].params["duration"] == 3.5  # the music bed is as long as the board
    done = engine.wait([j.id for j in jobs], timeout=120)
    assert [j.state for j in done] == ["done"] * 3
    shots = boards.shots(board_id)
    for shot, job in zip(shots, done[:2], strict=True):
        picture = shot.selected("picture")
        assert picture is not None and picture.asset_id == job.asset_ids[0]
        assert picture.job_id == job.id and picture.kind == "image"
    music = shots[0].selected("music")
    assert music is not None and genloom_project.get_asset(music.asset_id).kind == "audio"
    # fixed seed policy: the seed the engine drew for the first shot is every shot's
    assert done[0].seed == done[1].seed == boards.get(board_id).style.seed


def test_per_shot_seeds_and_a_second_take_is_not_selected(
        stills_plugins: Any, genloom_project: Project, genloom_engine: Any) -> None:
    boards, board_id, (a, b) = _board(genloom_project, seed_policy="per-shot")
    engine = genloom_engine(stills_plugins)
    first = queue_takes(engine, boards, board_id, [a], tracks=("picture",))
    second = queue_takes(engine, boards, board_id, [a], tracks=("picture",))
    engine.wait([j.id for j in first + second], timeout=120)
    assert first[0].seed != second[0].seed
    takes = boards.takes(a)
    assert [t.job_id for t in takes] == [first[0].id, second[0].id]
    assert [t.selected for t in takes] == [True, False]
    assert boards.takes(b) == []


def test_keyframes_are_followed_by_motion_clips_on_the_same_shot(
        board_plugins: Any, genloom_project: Project, genloom_engine: Any) -> None:
    boards, board_id, (a, b) = _board(genloom_project)
    engine = genloom_engine(board_plugins)
    follow(engine, boards)
    plans = plan_takes(boards, board_plugins, board_id, tracks=("picture",))
    assert plans[0].follow_up == {"generator": "bltest_motion.motion", "role": "image", "model": "",
                                  "params": {"camera": "zoom_in", "duration": 2.0}}
    jobs = queue_takes(engine, boards, board_id, tracks=("picture",))
    engine.wait([j.id for j in jobs], timeout=120)
    clips = []
    for _ in range(600):
        clips = [t for s in boards.shots(board_id) for t in s.takes if t.kind == "video"]
        if len(clips) == 2:
            break
        import time
        time.sleep(0.1)
    assert sorted(c.shot_id for c in clips) == [a, b], [(j.id, j.generator_id, j.state, j.error[:300]) for j in genloom_project.jobs.list()]
    clip = genloom_project.get_asset(clips[0].asset_id)
    keyframe = boards.shot(clips[0].shot_id).selected("picture")
    assert [p.id for p in genloom_project.parents(clip.id)] == [keyframe.asset_id]
    assert advance(engine, boards) == []  # each follow-up is queued once


def test_voice_needs_a_speech_generator(stills_plugins: Any, genloom_project: Project) -> None:
    boards, board_id, (a, _b) = _board(genloom_project)
    boards.update_shot(a, dialogue="Hello there.", character="ANNA")
    with pytest.raises(InputError, match="no speech generator"):
        plan_takes(boards, stills_plugins, board_id, tracks=("voice",))
    assert plan_takes(boards, stills_plugins, board_id, [_b], tracks=("voice",)) == []


def test_the_installed_animatic_gets_the_camera_move(genloom_plugins: Any,
                                                     genloom_project: Project) -> None:
    plugins = genloom_plugins(modules=["genloom_procedural.plugin", "genloom_video.plugin"])
    if "video.animatic" not in plugins.generators:
        pytest.skip("the video plugin has no animatic")
    boards, board_id, (a, b) = _board(genloom_project)
    boards.update_shot(b, camera="pan-left")
    c = boards.add_shot(board_id, description="still water", duration=3).id
    plans = plan_takes(boards, plugins, board_id, tracks=("picture",))
    first, second, third = (p.follow_up for p in plans)
    if "video.image_to_video" in plugins.generators:  # a static shot: the model's own motion
        assert third is not None and third["generator"] == "video.image_to_video"
        assert third["params"]["frames"] == 3 * plugins.generator("video.image_to_video").param(
            "fps").default
        assert plans[2].shot_id == c
    assert first is not None and second is not None
    assert first["generator"] == "video.animatic" and first["roles"] == ["key_1", "key_2"]
    assert first["params"]["segments"] == "seconds=2 transition=cut ease=in-out zoom=1:1.2"
    assert second["params"]["segments"].endswith("pan=0.065:-0.065")
    spec = plugins.generator("video.animatic")
    for plan in (first, second):
        spec.validate_params(plan["params"])
        if spec.check is not None:
            spec.check(spec.validate_params(plan["params"]))


def test_by_default_voice_is_asked_only_of_an_installed_speech_generator(
        stills_plugins: Any, genloom_project: Project) -> None:
    boards, board_id, (a, _b) = _board(genloom_project)
    boards.update_shot(a, dialogue="Hello there.", character="ANNA")
    assert [p.track for p in plan_takes(boards, stills_plugins, board_id)] == ["picture"] * 2
