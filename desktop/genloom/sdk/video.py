"""Video files: the one place Genloom writes, probes, reads and exports clips.

Plugins and core both use these functions; PyAV (whose wheels carry FFmpeg) is
imported inside each function, so importing this module costs nothing.

- :func:`write_video` encodes RGB frames to an MP4 (or MOV/MKV): H.264 yuv420p
  with the ``moov`` atom at the front (``faststart``) when the FFmpeg build has an
  H.264 encoder, otherwise MPEG-4 Part 2 (every FFmpeg build has it). The codec
  used is returned in :attr:`VideoInfo.codec`, so a recipe records what was
  chosen. An optional audio track (a file PyAV reads, or float samples) is muxed
  as AAC. The file is written beside its destination under a temporary name and
  renamed when complete: a cancelled or failed write leaves nothing behind.
- :func:`probe` reads a clip's size, rate, frame count, duration and codec.
- :func:`read_frames` / :func:`read_frame` decode frames as ``HxWx3`` uint8 arrays.
- :func:`export_video` converts a clip to an animated GIF or a WebM (VP9 where the
  build has it, else VP8; Opus audio).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genloom.sdk.errors import ParameterError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "CONTAINER_SUFFIXES",
    "EXPORT_FORMATS",
    "H264_ENCODERS",
    "VideoError",
    "VideoInfo",
    "choose_video_codec",
    "export_video",
    "probe",
    "read_frame",
    "read_frames",
    "write_video",
]

#: H.264 encoders tried in order; the first one the FFmpeg build has is used.
H264_ENCODERS: tuple[str, ...] = ("libx264", "h264", "libopenh264")

#: The encoder used when the build has no H.264 encoder (present in every FFmpeg build).
FALLBACK_ENCODER = "mpeg4"

#: Container suffixes :func:`write_video` writes, and the FFmpeg muxer of each.
CONTAINER_SUFFIXES: dict[str, str] = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}

#: Formats :func:`export_video` writes.
EXPORT_FORMATS: tuple[str, ...] = ("gif", "webm")

#: The largest frame side accepted (8K); anything bigger is almost surely a mistake.
MAX_SIDE = 8192

#: The default constant rate factor for H.264 (lower is better; 18 is visually lossless).
DEFAULT_CRF = 18


class VideoError(ParameterError):
    """A clip or frames that cannot be written or read as asked."""


@dataclass(frozen=True)
class VideoInfo:
    """What a clip is: size, rate, length, codec, and whether it has sound.

    ``fps`` is exact (a :class:`~fractions.Fraction`, e.g. 30000/1001 for NTSC);
    ``float(info.fps)`` for display. ``codec`` is the FFmpeg codec name of the
    video stream (``h264``, ``mpeg4``, ``vp9``...).
    """

    width: int
    height: int
    fps: Fraction
    frame_count: int
    duration: float
    codec: str
    has_audio: bool

    def to_dict(self) -> dict[str, Any]:
        """The info as JSON-ready values (``fps`` as a float, for recipes and the UI)."""
        return {"width": self.width, "height": self.height, "fps": float(self.fps),
                "frame_count": self.frame_count, "duration": self.duration,
                "codec": self.codec, "has_audio": self.has_audio}


def _exact_fps(fps: float | Fraction | int) -> Fraction:
    try:
        rate = Fraction(fps).limit_denominator(1001)
    except (TypeError, ValueError) as exc:
        raise VideoError("fps", fps, "is not a number", "give frames per second, e.g. 24") from exc
    if not (0 < rate <= 240):
        raise VideoError("fps", fps, "is outside 0 < fps <= 240", "choose e.g. 8, 12, 24 or 30")
    return rate


def choose_video_codec() -> str:
    """The video encoder :func:`write_video` will use in this FFmpeg build."""
    import av

    for name in (*H264_ENCODERS, FALLBACK_ENCODER):
        try:
            av.codec.Codec(name, "w")
        except Exception:  # av raises UnknownCodecError (a ValueError) or FFmpegError
            continue
        return name
    raise VideoError("codec", "h264/mpeg4", "has no encoder in this PyAV build",
                     "install a PyAV wheel (pip install av)")


def _check_frame(frame: Any, index: int, shape: tuple[int, ...] | None) -> np.ndarray:
    import numpy as np

    array = np.asarray(frame)
    if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
        raise VideoError(f"frames[{index}]", f"{array.dtype} array of shape {array.shape}",
                         "is not an RGB frame", "give HxWx3 uint8 arrays")
    if shape is not None and array.shape != shape:
        raise VideoError(f"frames[{index}]", f"shape {array.shape}",
                         f"differs from the first frame's {shape}", "give frames of one size")
    height, width = array.shape[:2]
    if shape is None:
        if height > MAX_SIDE or width > MAX_SIDE or height < 2 or width < 2:
            raise VideoError("frames", f"{width}x{height}", f"is outside 2 to {MAX_SIDE} pixels a side",
                             "resize the frames")
        if height % 2 or width % 2:
            raise VideoError(
                "frames", f"{width}x{height}",
                "has an odd side; H.264/yuv420p stores colour per 2x2 pixels, so both sides must be even",
                f"crop or pad to {width - width % 2}x{height - height % 2} "
                f"or {width + width % 2}x{height + height % 2}, or pass pad_odd=True")
    return np.ascontiguousarray(array)


def _pad_even(frame: np.ndarray) -> np.ndarray:
    import numpy as np

    height, width = frame.shape[:2]
    if height % 2 == 0 and width % 2 == 0:
        return frame
    return np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")


@contextlib.contextmanager
def _atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".part" + path.suffix,
                                         dir=path.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        yield temp
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _audio_samples(audio: Any, audio_rate: int | None) -> tuple[np.ndarray, int]:
    """Audio as float32 ``(samples, channels)`` (1 or 2 channels) and its rate."""
    import numpy as np

    if isinstance(audio, (str, os.PathLike)):
        import av

        path = Path(audio)
        if not path.is_file():
            raise VideoError("audio", str(path), "is not a file", "give an audio file or samples")
        try:
            with av.open(str(path)) as container:
                if not container.streams.audio:
                    raise VideoError("audio", str(path), "has no audio stream",
                                     "give a WAV, FLAC, MP3 or other audio file")
                stream = container.streams.audio[0]
                rate = int(stream.rate)
                channels = min(2, stream.codec_context.channels or 1)
                layout = "stereo" if channels == 2 else "mono"
                resampler = av.AudioResampler(format="flt", layout=layout, rate=rate)
                chunks = []
                for frame in container.decode(stream):
                    for out in resampler.resample(frame):
                        chunks.append(out.to_ndarray().reshape(-1, channels))
                for out in resampler.resample(None):
                    chunks.append(out.to_ndarray().reshape(-1, channels))
        except av.FFmpegError as exc:
            raise VideoError("audio", str(path), f"cannot be decoded ({exc})",
                             "give a WAV, FLAC, MP3 or other audio file") from exc
        samples = np.concatenate(chunks) if chunks else np.zeros((0, channels), np.float32)
        return samples.astype(np.float32, copy=False), rate
    samples = np.asarray(audio, dtype=np.float32)
    if samples.ndim == 1:
        samples = samples[:, None]
    if samples.ndim != 2 or samples.shape[1] not in (1, 2):
        raise VideoError("audio", f"array of shape {samples.shape}", "is not (samples, 1 or 2 channels)",
                         "give mono or stereo float samples")
    if audio_rate is None or not (8000 <= int(audio_rate) <= 192000):
        raise VideoError("audio_rate", audio_rate, "is missing or outside 8000 to 192000 Hz",
                         "give the sample rate of the audio array, e.g. 44100")
    return np.clip(samples, -1.0, 1.0), int(audio_rate)


def write_video(
    path: Path | str,
    frames: Iterable[np.ndarray],
    fps: float | Fraction,
    *,
    audio: Path | str | np.ndarray | None = None,
    audio_rate: int | None = None,
    crf: int = DEFAULT_CRF,
    pad_odd: bool = False,
) -> VideoInfo:
    """Encode ``frames`` (``HxWx3`` uint8 RGB arrays, one size) to a clip at ``path``.

    ``path``'s suffix picks the container (:data:`CONTAINER_SUFFIXES`). The video is
    H.264 yuv420p (MPEG-4 Part 2 where the build has no H.264 encoder; see
    :func:`choose_video_codec`) at constant quality ``crf`` (0-51, lower is better).
    Both sides must be even (yuv420p); with ``pad_odd`` an odd side is padded by
    repeating its last row or column instead of being refused. ``audio`` is a path
    of any file PyAV decodes, or float samples ``(samples, channels)`` with
    ``audio_rate``; it is encoded as AAC and cut to the length of the video.

    Frames are encoded as they arrive (a generator is never held in memory whole).
    The file appears only when complete. Returns the :func:`probe` of the result.

    :raises VideoError: (a :class:`ParameterError`) naming the bad frame, size, rate
        or audio and how to fix it.
    """
    import av

    path = Path(path)
    muxer = CONTAINER_SUFFIXES.get(path.suffix.lower())
    if muxer is None:
        raise VideoError("path", str(path), "has a suffix no clip is written as",
                         f"use one of {', '.join(CONTAINER_SUFFIXES)}")
    if not (0 <= int(crf) <= 51):
        raise VideoError("crf", crf, "is outside 0 to 51", "choose 18 (visually lossless) to 28")
    rate = _exact_fps(fps)
    sound = None if audio is None else _audio_samples(audio, audio_rate)
    codec = choose_video_codec()
    options = {"movflags": "+faststart"} if muxer in ("mp4", "mov") else {}
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None:
        raise VideoError("frames", "none", "is empty", "give at least one frame")
    first = _check_frame(_pad_even(first) if pad_odd else first, 0, None)
    shape = first.shape
    count = 0
    with _atomic_path(path) as temp:
        with av.open(str(temp), mode="w", format=muxer, options=options) as container:
            stream: Any = container.add_stream(codec, rate=rate)
            stream.width, stream.height = shape[1], shape[0]
            stream.pix_fmt = "yuv420p"
            stream.time_base = Fraction(1, 1) / rate
            if codec in ("libx264", "h264"):
                # MB-tree off: with it, x264 encoded the same small frames (64x64) differently in
                # about one run in ten (a frame off by up to 17 levels; one encoder thread did not
                # help, 256x256 never differed), and a recipe must make the same clip again.
                stream.options = {"crf": str(int(crf)), "preset": "medium", "x264-params": "mbtree=0"}
            else:  # mpeg4 has no crf; a bit rate that keeps detail at small sizes
                stream.bit_rate = max(400_000, int(shape[0] * shape[1] * rate * 0.4))
            # Every stream must exist before the first packet is muxed (the header is written then).
            audio_stream = None if sound is None else _add_audio_stream(container, "aac", sound[0], sound[1])
            for frame in itertools.chain([first], iterator):
                array = first if count == 0 else _check_frame(_pad_even(frame) if pad_odd else frame,
                                                              count, shape)
                video_frame = av.VideoFrame.from_ndarray(array, format="rgb24")
                video_frame.pts = count
                for packet in stream.encode(video_frame):
                    container.mux(packet)
                count += 1
            for packet in stream.encode(None):
                container.mux(packet)
            if sound is not None:
                samples = sound[0][: int(round(float(count / rate) * sound[1]))]  # cut to the video
                _encode_audio(container, audio_stream, samples, sound[1])
    return probe(path)


def probe(path: Path | str) -> VideoInfo:
    """Size, exact rate, frame count, duration, codec and audio presence of a clip.

    The frame count comes from the container's index when it has one, otherwise from
    counting the video packets (no decoding).

    :raises VideoError: when the file has no video stream or cannot be read as video.
    """
    import av

    path = Path(path)
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoError("path", str(path), "has no video stream", "give a video file")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(25)
            frames = int(stream.frames or 0)
            if frames <= 0:
                frames = sum(1 for packet in container.demux(stream) if packet.size)
            fps = Fraction(rate).limit_denominator(1001)
            info = VideoInfo(
                width=int(stream.codec_context.width), height=int(stream.codec_context.height),
                fps=fps, frame_count=frames, duration=float(frames / fps),
                codec=str(stream.codec_context.name), has_audio=bool(container.streams.audio))
    except av.FFmpegError as exc:
        raise VideoError("path", str(path), f"cannot be read as video ({exc})", "give a video file") from exc
    return info


def read_frames(path: Path | str, start: int = 0, count: int | None = None) -> Iterator[np.ndarray]:
    """Decode frames ``start``, ``start + 1``, ... (``count`` of them, or to the end).

    Frames are ``HxWx3`` uint8 RGB arrays, decoded one at a time (the clip is
    never held in memory whole). Frames before ``start`` are decoded and dropped,
    which is exact for every codec (seeking to a key frame is not).
    """
    import av

    if start < 0 or (count is not None and count < 0):
        raise VideoError("start/count", (start, count), "is negative", "give 0 or more")
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise VideoError("path", str(path), "has no video stream", "give a video file")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        index = 0
        taken = 0
        for frame in container.decode(stream):
            if count is not None and taken >= count:
                return
            if index >= start:
                yield frame.to_ndarray(format="rgb24")
                taken += 1
            index += 1


def read_frame(path: Path | str, index: int) -> np.ndarray:
    """Frame ``index`` of a clip (negative counts from the end: -1 is the last frame)."""
    if index < 0:
        index += probe(path).frame_count
    for frame in read_frames(path, start=max(0, index), count=1):
        if index >= 0:
            return frame
    raise VideoError("index", index, f"is past the end of {Path(path).name}",
                     f"give 0 to {probe(path).frame_count - 1}")


def export_video(src: Path | str, dst: Path | str, format: str) -> VideoInfo:  # noqa: A002 - the API's name
    """Convert the clip ``src`` to ``format`` (:data:`EXPORT_FORMATS`) at ``dst``.

    ``gif``: an endlessly looping animated GIF, each frame with its own adaptive
    palette (Pillow), frame times rounded to GIF's 1/100 s; no sound.
    ``webm``: VP9 (VP8 where the build lacks VP9) at constant quality, with Opus
    audio when the source has sound. Written to a temporary file and renamed.
    Returns the :func:`probe` of the result.
    """
    fmt = format.lower().lstrip(".")
    if fmt not in EXPORT_FORMATS:
        raise VideoError("format", format, "is not an export format", f"choose {' or '.join(EXPORT_FORMATS)}")
    src, dst = Path(src), Path(dst)
    info = probe(src)
    if fmt == "gif":
        _export_gif(src, dst, info)
    else:
        _export_webm(src, dst, info)
    return probe(dst)


def _export_gif(src: Path, dst: Path, info: VideoInfo) -> None:
    from PIL import Image

    delay = max(20, round(1000 / float(info.fps) / 10) * 10)  # GIF counts in 1/100 s; <20 ms plays slow
    frames = [Image.fromarray(frame).quantize(colors=256, method=Image.Quantize.MEDIANCUT)
              for frame in read_frames(src)]
    with _atomic_path(dst) as temp:
        frames[0].save(temp, format="GIF", save_all=True, append_images=frames[1:], duration=delay,
                       loop=0, optimize=False, disposal=1)


def _export_webm(src: Path, dst: Path, info: VideoInfo) -> None:
    import av

    codec = "libvpx-vp9"
    try:
        av.codec.Codec(codec, "w")
    except Exception:
        codec = "libvpx"
    with _atomic_path(dst) as temp, av.open(str(temp), mode="w", format="webm") as out:
        stream: Any = out.add_stream(codec, rate=info.fps)
        stream.width, stream.height, stream.pix_fmt = info.width, info.height, "yuv420p"
        stream.time_base = Fraction(1, 1) / info.fps
        stream.options = {"crf": "32", "b": "0"} if codec == "libvpx-vp9" else {"crf": "10", "b": "1M"}
        sound = _audio_samples(src, None) if info.has_audio else None
        # Opus runs at 48 kHz (or 8/12/16/24 kHz); the resampler converts.
        audio_stream = None if sound is None else _add_audio_stream(out, "libopus", sound[0], 48000)
        for index, array in enumerate(read_frames(src)):
            frame = av.VideoFrame.from_ndarray(array, format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
        if sound is not None:
            _encode_audio(out, audio_stream, sound[0], sound[1])


def _add_audio_stream(container: Any, codec: str, samples: np.ndarray, rate: int) -> Any:
    stream = container.add_stream(codec, rate=rate)
    stream.layout = "stereo" if samples.shape[1] == 2 else "mono"
    return stream


def _encode_audio(container: Any, stream: Any, samples: np.ndarray, in_rate: int) -> None:
    """Resample float ``(samples, channels)`` to the stream's format and encode them."""
    import av
    import numpy as np

    layout = "stereo" if samples.shape[1] == 2 else "mono"
    resampler = av.AudioResampler(format=stream.codec_context.format.name, layout=layout,
                                  rate=stream.codec_context.sample_rate)
    fifo = av.AudioFifo()
    if len(samples):
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples.reshape(1, -1)), format="flt",
                                           layout=layout)
        frame.sample_rate = in_rate
        frame.pts = 0
        for out in resampler.resample(frame):
            fifo.write(out)
    for out in resampler.resample(None):
        fifo.write(out)
    size = stream.codec_context.frame_size or 960
    pts = 0
    while True:
        chunk = fifo.read(size, partial=True)
        if chunk is None:
            break
        chunk.pts = pts
        pts += chunk.samples
        for packet in stream.encode(chunk):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)
