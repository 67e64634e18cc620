"""Generating takes for shots: jobs queued through the engine with the board's style.

For each chosen shot (or all) and track:

- ``picture``: a keyframe by an image generator (the style's, else the installed one a
  new user would pick: a prompt, no input needed), prompted with the shot's
  description plus the style suffix, with the style's negative prompt and size. When
  a video generator that takes an image is installed (the style's, else
  ``video.image_to_video``, else ``video.animatic``, else another; for a shot with a
  camera move the animatic, whose moves are exact, when installed), the keyframe job
  carries a follow-up: once it is done, :func:`advance` queues the motion clip with
  the keyframe as input, the shot's camera move and duration where the generator
  has such parameters (the animatic gets the keyframe as its first and last key and
  one segment with the camera move in its own words). The clip attaches to the same shot's picture track.
- ``voice``: the shot's dialogue line by a speech generator (the style's, else
  ``audio.speech``) when the shot has one.
- ``music``: a bed for the whole board, on its first shot, by the style's music
  generator (else ``procedural.tones``), as long as the board (within the
  generator's limit; the cut loops it).

Seeds stay the engine's: ``per-shot`` passes none (the engine draws one per job);
``fixed`` passes the style's seed, and when there is none yet, the one the engine drew
for the first job is kept on the board for every later shot.

A job is linked to its shot (``Boards.link_job``) as it is queued, and its assets
attach when it finishes, in the transaction that stores them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from genloom.core.boards.model import TRACKS, BoardStyle, Shot
from genloom.core.generators import accepting
from genloom.sdk.errors import InputError, ParameterError, Remedy
from genloom.sdk.params import ChoiceParam, FloatParam, IntParam, StringParam

if TYPE_CHECKING:
    from genloom.core.boards.store import Boards
    from genloom.core.jobs.engine import Engine
    from genloom.core.plugins import PluginManager
    from genloom.core.project import Job
    from genloom.sdk.spec import GeneratorSpec

__all__ = ["TakeJob", "advance", "follow", "pick_generators", "plan_takes", "queue_takes"]

_VIDEO_PREFERENCE = ("video.image_to_video", "video.animatic")
_SPEECH_PREFERENCE = ("audio.speech",)
_MUSIC_PREFERENCE = ("procedural.tones",)


@dataclass(frozen=True)
class TakeJob:
    """One job to queue for a shot's track."""

    shot_id: int
    track: str
    generator_id: str
    params: dict[str, Any]
    model: str | None = None
    follow_up: dict[str, Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Generators:
    """The generators a board's takes use (None: none installed for that track)."""

    image: GeneratorSpec | None
    video: GeneratorSpec | None
    voice: GeneratorSpec | None
    music: GeneratorSpec | None
    #: For shots with a camera move, when the style names no video generator: the
    #: animatic (exact camera moves) if installed, else ``video``.
    camera: GeneratorSpec | None = None


def pick_generators(plugins: PluginManager, style: BoardStyle) -> Generators:
    """The generators for ``style``: its choices (an unknown one is refused, naming the
    installed ones), else what is installed."""
    specs = list(plugins.generators.values())

    def chosen(wanted: str, modality: str) -> GeneratorSpec | None:
        if not wanted:
            return None
        spec = plugins.generator(wanted)  # unknown: UnknownGeneratorError with close matches
        if spec.modality != modality:
            raise ParameterError(f"{modality}_generator", wanted, f"makes {spec.modality}, not "
                                 f"{modality}", f"choose a {modality} generator")
        return spec

    image = chosen(style.image_generator, "image") or _default_image(specs)
    if style.video_generator == "none":  # keyframes alone, no motion clips
        video = None
    else:
        video = chosen(style.video_generator, "video") or _preferred(
            [slot.generator for slot in accepting(specs, "image")
             if slot.generator.modality == "video"], _VIDEO_PREFERENCE)
    camera = video
    if video is not None and not style.video_generator:
        camera = next((s for s in specs if s.id == "video.animatic"), video)
    voice = chosen(style.voice_generator, "audio") or _preferred(
        [s for s in specs if s.id in _SPEECH_PREFERENCE], _SPEECH_PREFERENCE)
    music = chosen(style.music_generator, "audio") or _preferred(
        [s for s in specs if s.id in _MUSIC_PREFERENCE], _MUSIC_PREFERENCE)
    return Generators(image, video, voice, music, camera)


def _default_image(specs: Sequence[GeneratorSpec]) -> GeneratorSpec | None:
    from genloom.core.generators import first_generator

    images = [s for s in specs if s.modality == "image" and not any(i.required for i in s.inputs)]
    return first_generator(images)


def _preferred(specs: Sequence[GeneratorSpec], order: Sequence[str]) -> GeneratorSpec | None:
    ranked = sorted(specs, key=lambda s: (order.index(s.id) if s.id in order else len(order), s.id))
    return ranked[0] if ranked else None


def plan_takes(boards: Boards, plugins: PluginManager, board_id: int,
               shot_ids: Iterable[int] | None = None,
               tracks: Sequence[str] | None = None) -> list[TakeJob]:
    """The jobs that make takes for ``shot_ids`` (all the board's shots when None) on
    ``tracks`` (default: picture, and voice when a speech generator is installed)."""
    if tracks is None:
        installed = pick_generators(plugins, boards.get(board_id).style)
        tracks = ("picture", "voice") if installed.voice is not None else ("picture",)
    for track in tracks:
        if track not in TRACKS:
            raise ParameterError("track", track, "is not a track", f"use {', '.join(TRACKS)}")
    board = boards.get(board_id)
    shots = boards.shots(board_id)
    if shot_ids is not None:
        wanted = list(shot_ids)
        by_id = {s.id: s for s in shots}
        missing = [i for i in wanted if i not in by_id]
        if missing:
            raise InputError(f"shot {missing[0]} is not on board {board_id} ({board.name!r}); "
                             f"its shots are {[s.id for s in shots]}")
        shots = [by_id[i] for i in wanted]
    style = board.style
    gens = pick_generators(plugins, style)
    plans: list[TakeJob] = []
    if "picture" in tracks:
        if gens.image is None:
            raise InputError("no image generator is installed to make keyframes; install or "
                             "enable an image plugin", remedy=Remedy("list_plugins"))
        for shot in shots:
            motion = gens.camera if shot.camera != "static" else gens.video
            follow = _motion(motion, style, shot) if motion is not None else None
            plans.append(TakeJob(shot.id, "picture", gens.image.id, _image_params(gens.image, style, shot),
                                 style.image_model or None, follow))
    if "voice" in tracks:
        speaking = [s for s in shots if s.dialogue]
        if speaking and gens.voice is None:
            raise InputError("no speech generator (audio.speech) is installed for the voice-over "
                             "lines; generate the picture track alone (--track picture) or "
                             "install one")
        for shot in speaking:
            assert gens.voice is not None
            plans.append(TakeJob(shot.id, "voice", gens.voice.id, _voice_params(gens.voice, shot),
                                 style.voice_model or None))
    if "music" in tracks and shots:
        if gens.music is None:
            raise InputError("no music generator is installed for the music bed")
        total = sum(s.duration for s in boards.shots(board_id))
        plans.append(TakeJob(shots[0].id, "music", gens.music.id,
                             _set_duration(gens.music, {}, total), style.music_model or None))
    return plans


def queue_takes(engine: Engine, boards: Boards, board_id: int, shot_ids: Iterable[int] | None = None,
                tracks: Sequence[str] | None = None) -> list[Job]:
    """Queue the jobs of :func:`plan_takes` and link each to its shot; returns the jobs.

    Everything is planned (and every generator and parameter checked) before the first
    job is queued, so a problem queues nothing.
    """
    plans = plan_takes(boards, engine.plugins, board_id, shot_ids, tracks)
    for plan in plans:  # validate all first: a refused parameter queues nothing
        engine.plugins.generator(plan.generator_id).validate_params(plan.params)
    jobs: list[Job] = []
    for plan in plans:
        style = boards.get(board_id).style
        seed = style.seed if style.seed_policy == "fixed" else None
        (job,) = engine.submit(plan.generator_id, plan.params, seed=seed, model=plan.model)
        if style.seed_policy == "fixed" and style.seed is None and job.seed is not None:
            boards.keep_seed(board_id, job.seed)  # the engine drew it: every later shot shares it
        boards.link_job(job.id, board_id, plan.shot_id, plan.track, plan.follow_up)
        jobs.append(job)
    return jobs


def advance(engine: Engine, boards: Boards) -> list[Job]:
    """Queue the follow-ups (motion clips) of finished keyframe jobs; returns the new jobs.

    Safe to call any time, from any process: each follow-up is queued once (marked in
    the database), and one that can no longer be made (its keyframe deleted, its
    generator gone) is marked done with nothing queued.
    """
    queued: list[Job] = []
    for job_id, board_id, shot_id, follow_up, asset_ids in boards.pending_follow_ups():
        if not boards.claim_follow_up(job_id):
            continue
        new_id = 0
        try:
            if asset_ids and shot_id is not None:
                style = boards.get(board_id).style
                seed = style.seed if style.seed_policy == "fixed" else None
                roles = follow_up.get("roles") or [follow_up["role"]]
                (job,) = engine.submit(str(follow_up["generator"]), dict(follow_up["params"]),
                                       seed=seed, inputs={str(r): asset_ids[0] for r in roles},
                                       model=follow_up.get("model") or None)
                boards.link_job(job.id, board_id, int(shot_id), "picture")
                queued.append(job)
                new_id = job.id
        except (LookupError, ValueError, KeyError, TypeError):
            new_id = 0  # the keyframe or the generator is gone: nothing to follow
        if new_id:
            boards.mark_followed(job_id, new_id)
    return queued


def follow(engine: Engine, boards: Boards) -> None:
    """Keep ``engine`` queueing follow-ups as keyframe jobs finish (and once now, for any
    left from before a restart)."""
    def on_finished(job: Job, assets: object) -> None:
        if boards.board_of_job(job.id) is not None:
            advance(engine, boards)

    engine.events.job_finished.connect(on_finished)
    advance(engine, boards)


# -- parameters ------------------------------------------------------------------


def _prompt_param(spec: GeneratorSpec, role: str) -> StringParam | None:
    for param in spec.params:
        if isinstance(param, StringParam) and param.role == role:
            return param
    return None


def _image_params(spec: GeneratorSpec, style: BoardStyle, shot: Shot) -> dict[str, Any]:
    params: dict[str, Any] = {}
    prompt = _prompt_param(spec, "prompt")
    if prompt is not None:
        text = shot.description
        if style.style_suffix:
            text = f"{text}, {style.style_suffix}" if text else style.style_suffix
        params[prompt.name] = text
    negative = _prompt_param(spec, "negative_prompt")
    if negative is not None and style.negative_prompt:
        params[negative.name] = style.negative_prompt
    names = {p.name for p in spec.params}
    for name in ("width", "height"):
        if name in names and getattr(style, name):
            params[name] = getattr(style, name)
    return params


#: The animatic's camera, in its segment words, for each camera move (a 15 % larger view
#: for pans and tilts, so no edge shows).
_ANIMATIC_MOVES = {
    "static": "", "zoom-in": "zoom=1:1.2", "zoom-out": "zoom=1.2:1",
    "pan-left": "zoom=1.15 pan=0.065:-0.065", "pan-right": "zoom=1.15 pan=-0.065:0.065",
    "tilt-up": "zoom=1.15 tilt=-0.065:0.065", "tilt-down": "zoom=1.15 tilt=0.065:-0.065"}


def _animatic(spec: GeneratorSpec, style: BoardStyle, shot: Shot) -> dict[str, Any]:
    """``video.animatic``: the keyframe as its first and last key, one segment with the
    shot's camera move, as long as the shot."""
    seconds = min(shot.duration, 60.0)
    segment = f"seconds={seconds:g} transition=cut ease=in-out {_ANIMATIC_MOVES[shot.camera]}"
    params: dict[str, Any] = {"segments": segment.strip(), "seconds": seconds, "hold": 0.0,
                              "transition": "cut"}
    for name in ("width", "height"):
        if getattr(style, name):
            params[name] = getattr(style, name) // 8 * 8
    roles = [i.role for i in spec.inputs if i.kind == "image"][:2]
    return {"generator": spec.id, "params": params, "role": roles[0], "roles": roles,
            "model": style.video_model}


def _motion(spec: GeneratorSpec, style: BoardStyle, shot: Shot) -> dict[str, Any]:
    if spec.id == "video.animatic" and {"segments", "hold"} <= {p.name for p in spec.params}:
        return _animatic(spec, style, shot)
    role = next(i.role for i in spec.inputs if i.kind == "image")
    params: dict[str, Any] = {}
    prompt = _prompt_param(spec, "prompt")
    if prompt is not None:
        params[prompt.name] = ", ".join(t for t in (shot.description, style.style_suffix) if t)
    for param in spec.params:
        if isinstance(param, ChoiceParam) and param.name in ("camera", "camera_move", "move", "motion"):
            for spelling in (shot.camera, shot.camera.replace("-", "_")):
                if spelling in param.choices:
                    params[param.name] = spelling
    negative = _prompt_param(spec, "negative_prompt")
    if negative is not None and style.negative_prompt:
        params[negative.name] = style.negative_prompt
    params = _set_duration(spec, params, shot.duration)
    names = {p.name: p for p in spec.params}
    frames, fps = names.get("frames"), names.get("fps")
    if isinstance(frames, IntParam) and isinstance(fps, IntParam) and isinstance(fps.default, int):
        # A clip as long as the shot at the generator's own frame rate, within its limits
        # (the cut holds the last frame of a shorter one).
        wanted = round(shot.duration * fps.default)
        low = frames.minimum if frames.minimum is not None else 1
        high = frames.maximum if frames.maximum is not None else wanted
        params["frames"] = int(min(max(wanted, low), high))
    for name in ("width", "height"):
        if name in names and getattr(style, name):
            params[name] = getattr(style, name) // 8 * 8
    return {"generator": spec.id, "params": params, "role": role, "model": style.video_model}


def _set_duration(spec: GeneratorSpec, params: dict[str, Any], seconds: float) -> dict[str, Any]:
    for param in spec.params:
        if param.name in ("duration", "seconds") and isinstance(param, (FloatParam, IntParam)):
            low = param.minimum if param.minimum is not None else seconds
            high = param.maximum if param.maximum is not None else seconds
            value = min(max(seconds, low), high)
            params[param.name] = int(round(value)) if isinstance(param, IntParam) else float(value)
    return params


def _voice_params(spec: GeneratorSpec, shot: Shot) -> dict[str, Any]:
    text = _prompt_param(spec, "prompt") or next(
        (p for p in spec.params if isinstance(p, StringParam) and p.name in ("text", "line")), None)
    if text is None:
        raise InputError(f"speech generator {spec.id} has no text parameter (a string with role "
                         "'prompt') to say the shot's line with")
    params: dict[str, Any] = {text.name: shot.dialogue}
    for param in spec.params:
        if param.name in ("speaker", "character", "voice_name") and isinstance(param, StringParam):
            params[param.name] = shot.character
    return params
