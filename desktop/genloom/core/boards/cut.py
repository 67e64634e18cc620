"""The draft cut: a board's selected takes rendered into one MP4 by a job in the worker.

The cut is core's own generator ``board.draft_cut`` (:mod:`genloom.core.internal`):
a job like any other (queued in the project, run by the worker with progress and
cancel, its output stored as an asset with a recipe), whose inputs are every take the
cut uses (``image.N``, ``video.N``, ``audio.N``), so the engine checks each file
against its hash before the job runs, hands the worker only verified paths, and the
cut's lineage lists every take. The ``plan`` parameter says where each input plays
(:func:`cut_plan`, from the board's timeline); it names inputs by role, never by
path. :mod:`.render` does the work.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from genloom.sdk.errors import ParameterError
from genloom.sdk.params import BoolParam, FloatParam, IntParam, StringParam
from genloom.sdk.spec import GeneratorSpec, InputSpec

if TYPE_CHECKING:
    from genloom.core.boards.store import Boards
    from genloom.core.boards.timeline import Timeline
    from genloom.core.jobs.engine import Engine
    from genloom.core.project import Job
    from genloom.sdk.run import Generator

__all__ = ["DRAFT_CUT_ID", "cut_plan", "draft_cut_spec", "queue_cut"]

DRAFT_CUT_ID = "board.draft_cut"
_PLAN_LIMIT = 2_000_000


def _factory() -> Generator:
    from genloom.core.boards.render import DraftCut

    return DraftCut()


def _check(params: dict[str, Any]) -> None:
    plan = params.get("plan", "")
    try:
        data = json.loads(plan)
    except ValueError:
        raise ParameterError("plan", plan[:40], "is not JSON", "let the board make the plan "
                             "(genloom board cut)") from None
    if not isinstance(data, dict) or not isinstance(data.get("shots"), list) or not data["shots"]:
        raise ParameterError("plan", plan[:40], "has no shots", "add shots to the board first")
    if params["width"] % 2 or params["height"] % 2:
        raise ParameterError("width", f"{params['width']}x{params['height']}",
                             "is not an even size (H.264 needs both sides even)",
                             f"use {params['width'] // 2 * 2}x{params['height'] // 2 * 2}")


def draft_cut_spec() -> GeneratorSpec:
    """The spec of ``board.draft_cut`` (plain data)."""
    from genloom import __version__

    return GeneratorSpec(
        id=DRAFT_CUT_ID, modality="video", title="Draft cut",
        description="A board's selected takes in order: stills held with their camera move, "
                    "clips trimmed or held, voice-over at each shot's start, a music bed "
                    "ducked under the voice.",
        factory=_factory, uses_seed=False, check=_check,
        plugin="genloom", plugin_version=__version__,
        inputs=(InputSpec("image.*", "image", required=False),
                InputSpec("video.*", "video", required=False),
                InputSpec("audio.*", "audio", required=False)),
        params=(
            StringParam("plan", "", min_length=2, max_length=_PLAN_LIMIT,
                        description="Where each input plays (made by the board)."),
            IntParam("width", 640, minimum=64, maximum=3840, step=2),
            IntParam("height", 360, minimum=64, maximum=2160, step=2),
            IntParam("fps", 24, minimum=1, maximum=60),
            BoolParam("shot_numbers", True, description="Burn each shot's number into its corner."),
            FloatParam("slate", 0.0, minimum=0.0, maximum=10.0, step=0.5,
                       description="Seconds of a title card before the first shot (0: none)."),
            FloatParam("music_gain_db", -14.0, minimum=-60.0, maximum=6.0,
                       description="The music bed's level."),
            FloatParam("duck_db", -12.0, minimum=-40.0, maximum=0.0,
                       description="How far the music dips while a voice speaks."),
        ),
    )


def cut_plan(timeline: Timeline) -> tuple[dict[str, Any], dict[str, int]]:
    """The plan parameter and the inputs (role -> asset id) of a board's cut."""
    inputs: dict[str, int] = {}
    roles: dict[tuple[str, int], str] = {}

    def role(kind: str, asset_id: int) -> str:
        key = (kind, asset_id)
        if key not in roles:
            roles[key] = f"{kind}.{sum(1 for k in roles if k[0] == kind)}"
            inputs[roles[key]] = asset_id
        return roles[key]

    shots = []
    for shot, start, picture in zip(timeline.shots, timeline.starts, timeline.pictures, strict=True):
        shots.append({"id": shot.id, "number": shot.number, "start": start,
                      "duration": shot.duration, "camera": shot.camera,
                      "description": shot.description,
                      "picture": role(picture.kind, picture.take.asset_id) if picture else None})
    sound = {name: [{"role": role("audio", p.take.asset_id), "start": p.start, "length": p.length}
                    for p in items]
             for name, items in (("voices", timeline.voices), ("music", timeline.music))}
    plan = {"board": timeline.board.id, "name": timeline.board.name,
            "duration": timeline.duration, "shots": shots, **sound}
    return plan, inputs


def queue_cut(engine: Engine, boards: Boards, board_id: int, **options: Any) -> Job:
    """Queue the board's draft cut (``options``: the spec's parameters other than the plan)
    and link it to the board; its asset is the board's newest cut when done."""
    from genloom.core.boards.timeline import board_timeline

    if "plan" in options:
        raise ParameterError("plan", "...", "is made from the board", "leave it out")
    timeline = board_timeline(boards, board_id)
    if not timeline.shots:
        raise ParameterError("board", board_id, "has no shots to cut", "add shots first")
    plan, inputs = cut_plan(timeline)
    (job,) = engine.submit(DRAFT_CUT_ID, {"plan": json.dumps(plan), **options}, inputs=inputs)
    boards.link_job(job.id, board_id, None, "cut")
    return job
