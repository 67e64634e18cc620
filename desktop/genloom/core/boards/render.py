"""Rendering a draft cut (runs in the worker; numpy, Pillow and ``genloom.sdk.video``).

:func:`render_cut` is the work, a plain function: the plan (from :func:`.cut.cut_plan`),
the input files by role, and a ``progress(step, total, message)`` / ``cancelled()``
pair. :class:`DraftCut` is the generator the worker runs for ``board.draft_cut``.

Picture: a still is fitted to cover the frame and held for its shot's duration with
its camera move (a Ken Burns move: zoom in or out by 20 %, or pan or tilt across a
15 % larger view, eased in and out); a clip is fitted the same way, played at the
cut's frame rate from its start, trimmed to its shot or holding its last frame; a
shot without a picture is a dark card with its description. Optional: each shot's
number burnt into its corner, and a slate (a title card) before the first shot.
Sound at 48 kHz: each voice line from its shot's start, the music bed from its
shot's start to its end (looped, faded in and out), lowered by ``duck_db`` while a
voice speaks (a gain that follows the voice's level in 20 ms blocks, smoothed over a
quarter of a second), the mix kept below full scale.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from genloom.sdk.errors import CancelledError, InputError

if TYPE_CHECKING:
    from genloom.sdk.models import ModelRef
    from genloom.sdk.run import Output, Request, RunState

__all__ = ["AUDIO_RATE", "DraftCut", "render_cut"]

AUDIO_RATE = 48_000
_ZOOM = 1.2
_PAN = 1.15
_BACKGROUND = (18, 18, 22)


class DraftCut:
    """The ``board.draft_cut`` generator."""

    def load(self, model: ModelRef | None, device: str, dtype: str) -> None:
        pass

    def run(self, request: Request, state: RunState) -> list[Output]:
        from genloom.sdk.run import Output

        params = request.params
        plan = json.loads(params["plan"])
        files = {role: (item.kind, item.path) for role, item in request.inputs.items()}
        out = request.output_dir / "draft-cut.mp4"
        info = render_cut(
            plan, files, out, width=params["width"], height=params["height"], fps=params["fps"],
            shot_numbers=params["shot_numbers"], slate=params["slate"],
            music_gain_db=params["music_gain_db"], duck_db=params["duck_db"],
            progress=lambda step, total, message: state.progress(step, total, message=message),
            cancelled=lambda: state.cancelled)
        return [Output(kind="video", path=out, metadata={
            "duration": info["duration"], "width": params["width"], "height": params["height"],
            "fps": params["fps"], "codec": info["codec"], "board": plan.get("board"),
            "shots": len(plan["shots"]), "draft_cut": True})]

    def unload(self) -> None:
        pass


def render_cut(plan: Mapping[str, Any], files: Mapping[str, tuple[str, Path]], out: Path, *,
               width: int = 640, height: int = 360, fps: int = 24, shot_numbers: bool = True,
               slate: float = 0.0, music_gain_db: float = -14.0, duck_db: float = -12.0,
               progress: Callable[[int, int, str], None] | None = None,
               cancelled: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Render ``plan`` to ``out`` (an MP4); returns ``{"duration", "codec", "frames"}``."""
    from genloom.sdk.video import write_video

    for shot in plan["shots"]:
        if shot.get("picture") and shot["picture"] not in files:
            raise InputError(f"shot {shot.get('number')}: its picture {shot['picture']!r} is not "
                             "among the cut's inputs")
    slate_frames = int(round(slate * fps))
    edges = [int(round(float(s["start"]) * fps)) for s in plan["shots"]]
    end = float(plan["shots"][-1]["start"]) + float(plan["shots"][-1]["duration"])
    edges.append(int(round(end * fps)))
    total = slate_frames + edges[-1]
    audio = mix_audio(plan, files, total / fps, slate_frames / fps, music_gain_db, duck_db)
    report = progress or (lambda step, total, message: None)
    stop = cancelled or (lambda: False)

    def frames() -> Iterator[np.ndarray]:
        made = 0
        last = 0.0
        sources: list[Iterator[np.ndarray]] = []
        if slate_frames:
            sources.append(_hold(_slate(plan, width, height), slate_frames))
        for index, shot in enumerate(plan["shots"]):
            count = max(0, edges[index + 1] - edges[index])
            sources.append(_shot_frames(shot, files, width, height, fps, count, shot_numbers))
        for source in sources:
            for frame in source:
                yield frame
                made += 1
                now = time.monotonic()
                if now - last > 0.25 or made == total:
                    last = now
                    if stop():
                        raise CancelledError("the draft cut was cancelled")
                    report(made, total, f"frame {made} of {total}")

    info = write_video(out, frames(), fps, audio=audio, audio_rate=AUDIO_RATE)
    return {"duration": float(info.duration), "codec": info.codec, "frames": total}


# -- picture ------------------------------------------------------------------------


def _hold(frame: np.ndarray, count: int) -> Iterator[np.ndarray]:
    for _ in range(count):
        yield frame


def _shot_frames(shot: Mapping[str, Any], files: Mapping[str, tuple[str, Path]], width: int,
                 height: int, fps: int, count: int, numbers: bool) -> Iterator[np.ndarray]:
    badge = _badge(int(shot["number"])) if numbers else None
    role = shot.get("picture")
    if not role:
        frames: Iterator[np.ndarray] = _hold(_card(str(shot.get("description", "")), width, height),
                                             count)
    else:
        kind, path = files[role]
        if kind == "video":
            frames = _clip(path, width, height, fps, count)
        else:
            frames = _ken_burns(path, str(shot.get("camera", "static")), width, height, count)
    if badge is None:
        yield from frames
        return
    last_in: np.ndarray | None = None
    last_out: np.ndarray | None = None
    for frame in frames:
        if frame is not last_in:  # a held frame is composited once
            last_in, last_out = frame, _stamp(frame, badge)
        assert last_out is not None
        yield last_out


def _cover(image: Any, width: int, height: int, margin: float) -> Any:
    """``image`` scaled so that a ``width*margin`` x ``height*margin`` view fits inside it."""
    from PIL import Image

    scale = max(width * margin / image.width, height * margin / image.height)
    size = (max(1, math.ceil(image.width * scale)), max(1, math.ceil(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _ease(t: float) -> float:
    return t * t * (3 - 2 * t)


def _ken_burns(path: Path, move: str, width: int, height: int, count: int) -> Iterator[np.ndarray]:
    from PIL import Image

    with Image.open(path) as opened:
        still = opened.convert("RGB")
    margin = _ZOOM if move.startswith("zoom") else _PAN if move != "static" else 1.0
    source = _cover(still, width, height, margin)
    # The largest view of the frame's aspect ratio inside the source, centred.
    aspect = width / height
    base_w = min(source.width, source.height * aspect)
    base_h = base_w / aspect
    cx, cy = source.width / 2, source.height / 2
    if move == "static" or count <= 1:
        box = (cx - base_w / 2, cy - base_h / 2, cx + base_w / 2, cy + base_h / 2)
        yield from _hold(np.asarray(source.resize((width, height), Image.Resampling.BILINEAR,
                                                  box=box)), count)
        return
    view = _viewer(source, width, height)
    for i in range(count):
        t = _ease(i / (count - 1))
        if move in ("zoom-in", "zoom-out"):
            zoom = 1 + (_ZOOM - 1) * (t if move == "zoom-in" else 1 - t)
            w, h = base_w / zoom, base_h / zoom
            x, y = cx - w / 2, cy - h / 2
        else:
            w, h = base_w / _PAN, base_h / _PAN
            span_x, span_y = source.width - w, source.height - h
            x, y = (source.width - w) / 2, (source.height - h) / 2
            if move == "pan-left":
                x = span_x * (1 - t)
            elif move == "pan-right":
                x = span_x * t
            elif move == "tilt-up":
                y = span_y * (1 - t)
            elif move == "tilt-down":
                y = span_y * t
        yield view(x, y, w, h)


def _viewer(source: Any, width: int, height: int) -> Callable[[float, float, float, float],
                                                             np.ndarray]:
    """``view(x, y, w, h)``: the part of ``source`` (a PIL image) in that box, at the
    frame's size. OpenCV's affine warp where it is installed (several times faster than
    Pillow's box resize, which matters at 24 frames a second), else Pillow."""
    try:
        import cv2
    except ImportError:
        from PIL import Image

        def with_pillow(x: float, y: float, w: float, h: float) -> np.ndarray:
            return np.asarray(source.resize((width, height), Image.Resampling.BILINEAR,
                                            box=(x, y, x + w, y + h)))

        return with_pillow
    pixels = np.ascontiguousarray(np.asarray(source))

    def with_opencv(x: float, y: float, w: float, h: float) -> np.ndarray:
        sx, sy = width / w, height / h
        # Pixel centres map to pixel centres, as Pillow's box resize maps them.
        matrix = np.array([[sx, 0, (0.5 - x) * sx - 0.5], [0, sy, (0.5 - y) * sy - 0.5]])
        return cv2.warpAffine(pixels, matrix, (width, height), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)

    return with_opencv


def _clip(path: Path, width: int, height: int, fps: int, count: int) -> Iterator[np.ndarray]:
    from PIL import Image

    from genloom.sdk.video import probe, read_frames

    source_fps = float(probe(path).fps) or float(fps)
    decoded = read_frames(path)
    index = -1
    current: np.ndarray | None = None
    for i in range(count):
        wanted = int(i * source_fps / fps)
        while index < wanted:
            nxt = next(decoded, None)
            if nxt is None:
                break  # the clip is shorter than its shot: hold its last frame
            index += 1
            image = Image.fromarray(nxt)
            if image.size != (width, height):
                image = _cover(image, width, height, 1.0)
                left, top = (image.width - width) // 2, (image.height - height) // 2
                image = image.crop((left, top, left + width, top + height))
            current = np.asarray(image)
        if current is None:
            current = np.zeros((height, width, 3), np.uint8)
        yield current


def _font(size: int, face: str = "Inter-SemiBold.otf") -> Any:
    from importlib.resources import files

    from PIL import ImageFont

    try:
        return ImageFont.truetype(str(files("genloom.resources").joinpath("fonts").joinpath(face)),
                                  size)
    except OSError:
        return ImageFont.load_default()


def _card(text: str, width: int, height: int) -> np.ndarray:
    import textwrap

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), _BACKGROUND)
    draw = ImageDraw.Draw(image)
    size = max(12, height // 18)
    lines = textwrap.wrap(text or "(no picture)", max(10, int(width / (size * 0.55))))[:6]
    y = height / 2 - len(lines) * size * 0.6
    for line in lines:
        draw.text((width / 2, y), line, fill=(190, 190, 200), font=_font(size, "Inter-Regular.otf"),
                  anchor="ma")
        y += size * 1.25
    return np.asarray(image)


def _slate(plan: Mapping[str, Any], width: int, height: int) -> np.ndarray:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (8, 8, 10))
    draw = ImageDraw.Draw(image)
    big, small = max(14, height // 12), max(10, height // 26)
    minutes, seconds = divmod(float(plan.get("duration", 0)), 60)
    draw.text((width / 2, height * 0.36), str(plan.get("name", "Draft cut"))[:60], fill="white",
              font=_font(big), anchor="mm")
    lines = ["DRAFT CUT", f"{len(plan['shots'])} shots  {int(minutes)}:{seconds:04.1f}",
             time.strftime("%Y-%m-%d %H:%M")]
    for n, line in enumerate(lines):
        draw.text((width / 2, height * 0.55 + n * small * 1.5), line, fill=(170, 170, 180),
                  font=_font(small, "Inter-Regular.otf"), anchor="mm")
    return np.asarray(image)


def _badge(number: int) -> tuple[np.ndarray, np.ndarray]:
    """A shot number's patch: RGB and alpha (0..1), for the frame's top-left corner."""
    from PIL import Image, ImageDraw

    font = _font(20)
    text = str(number)
    left, top, right, bottom = font.getbbox(text)
    w, h = right - left + 16, bottom - top + 12
    patch = Image.new("RGBA", (w, h), (0, 0, 0, 150))
    ImageDraw.Draw(patch).text((8 - left, 6 - top), text, fill=(255, 255, 255, 255), font=font)
    array = np.asarray(patch).astype(np.float32)
    return array[..., :3], array[..., 3:] / 255.0


def _stamp(frame: np.ndarray, badge: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    rgb, alpha = badge
    h = min(rgb.shape[0], frame.shape[0] - 8)
    w = min(rgb.shape[1], frame.shape[1] - 8)
    out = frame.copy()
    region = out[8:8 + h, 8:8 + w].astype(np.float32)
    a = alpha[:h, :w]
    out[8:8 + h, 8:8 + w] = (rgb[:h, :w] * a + region * (1 - a)).astype(np.uint8)
    return out


# -- sound ------------------------------------------------------------------------------


def load_audio(path: Path) -> np.ndarray:
    """A sound file as mono float32 samples at :data:`AUDIO_RATE`."""
    try:
        import soundfile

        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
        mono = data.mean(axis=1)
    except Exception:  # noqa: BLE001 - a format libsndfile lacks (MP3 on old builds, AAC): PyAV
        mono, rate = _decode_av(path)
    if rate != AUDIO_RATE and len(mono):
        count = int(round(len(mono) * AUDIO_RATE / rate))
        mono = np.interp(np.arange(count) * (rate / AUDIO_RATE), np.arange(len(mono)),
                         mono).astype(np.float32)
    return mono.astype(np.float32)


def _decode_av(path: Path) -> tuple[np.ndarray, int]:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
        chunks = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    return (np.concatenate(chunks) if chunks else np.zeros(0, np.float32)), AUDIO_RATE


def mix_audio(plan: Mapping[str, Any], files: Mapping[str, tuple[str, Path]], seconds: float,
              offset: float, music_gain_db: float, duck_db: float) -> np.ndarray:
    """The cut's sound: ``(samples, 2)`` float32 at :data:`AUDIO_RATE`."""
    total = int(round(seconds * AUDIO_RATE))
    voice = np.zeros(total, np.float32)
    music = np.zeros(total, np.float32)
    cache: dict[str, np.ndarray] = {}

    def samples(role: str) -> np.ndarray:
        if role not in files:
            raise InputError(f"the cut's sound {role!r} is not among its inputs")
        if role not in cache:
            cache[role] = load_audio(files[role][1])
        return cache[role]

    for item in plan.get("voices", []):
        start = int(round((offset + float(item["start"])) * AUDIO_RATE))
        data = samples(item["role"])[:max(0, int(round(float(item["length"]) * AUDIO_RATE)))]
        data = data[:max(0, total - start)]
        voice[start:start + len(data)] += data
    fade = int(0.5 * AUDIO_RATE)
    for item in plan.get("music", []):
        start = int(round((offset + float(item["start"])) * AUDIO_RATE))
        length = min(int(round(float(item["length"]) * AUDIO_RATE)), total - start)
        data = samples(item["role"])
        if length <= 0 or not len(data):
            continue
        bed = np.tile(data, math.ceil(length / len(data)))[:length].copy()
        ramp = min(fade, length // 2)
        if ramp:
            bed[:ramp] *= np.linspace(0, 1, ramp, dtype=np.float32)
            bed[-ramp:] *= np.linspace(1, 0, ramp, dtype=np.float32)
        music[start:start + length] += bed
    music *= np.float32(10 ** (music_gain_db / 20))
    if plan.get("voices") and duck_db < 0:
        music *= duck_gain(voice, duck_db)
    mix = voice + music
    peak = float(np.max(np.abs(mix))) if len(mix) else 0.0
    if peak > 0.98:
        mix *= np.float32(0.98 / peak)
    return np.stack([mix, mix], axis=1)


def _moving_mean(values: np.ndarray, window: int) -> np.ndarray:
    """A centred moving mean; the ends repeat the edge values (no dip towards zero)."""
    padded = np.pad(values, (window // 2, window - 1 - window // 2), mode="edge")
    return np.convolve(padded, np.ones(window, np.float32) / window, mode="valid").astype(np.float32)


def duck_gain(voice: np.ndarray, duck_db: float, threshold_db: float = -40.0) -> np.ndarray:
    """Per-sample gain for the music: ``duck_db`` where the voice is louder than
    ``threshold_db`` (in 20 ms blocks), eased over a quarter of a second."""
    block = int(0.02 * AUDIO_RATE)
    count = math.ceil(len(voice) / block) if len(voice) else 0
    if not count:
        return np.ones(0, np.float32)
    padded = np.zeros(count * block, np.float32)
    padded[:len(voice)] = voice
    rms = np.sqrt(np.mean(padded.reshape(count, block) ** 2, axis=1))
    active = rms > 10 ** (threshold_db / 20)
    gain = np.where(active, 10 ** (duck_db / 20), 1.0).astype(np.float32)
    window = max(1, int(0.25 / 0.02))
    # Eased in and out, but never above the dip while the voice speaks: no word is heard
    # over the music at its full level.
    smooth = np.minimum(_moving_mean(np.minimum(_moving_mean(gain, window), gain), window), gain)
    positions = (np.arange(len(voice)) + 0.5) / block - 0.5
    return np.interp(positions, np.arange(count), smooth).astype(np.float32)
