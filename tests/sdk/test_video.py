"""genloom.sdk.video: clips written, probed, read and exported, checked by decoding with PyAV."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from genloom.sdk import ParameterError, video


def _frames(count: int, width: int = 96, height: int = 64) -> list[np.ndarray]:
    """Frames that differ: a bright square moving right on a dark ramp."""
    frames = []
    for index in range(count):
        frame = np.zeros((height, width, 3), np.uint8)
        frame[..., 2] = np.linspace(0, 120, width, dtype=np.uint8)[None, :]
        x = 4 + index * 3
        frame[20:36, x:x + 16] = (240, 200, 40)
        frames.append(frame)
    return frames


def _decode(path):
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        audio = container.streams.audio
        return stream, frames, (audio[0].codec_context.name if audio else None)


def test_write_video_gives_h264_with_the_frame_count_size_and_rate_asked(tmp_path):
    path = tmp_path / "clip.mp4"
    info = video.write_video(path, iter(_frames(17)), 12)
    assert (info.width, info.height, info.fps, info.frame_count, info.codec, info.has_audio) == (
        96, 64, Fraction(12), 17, "h264", False)
    assert info.duration == pytest.approx(17 / 12)
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert stream.average_rate == 12
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(frames) == 17 and frames[0].shape == (64, 96, 3)
    # The moving square is where it was drawn (lossy, so close, not equal).
    assert np.abs(frames[5].astype(int) - _frames(17)[5].astype(int)).mean() < 4


def test_the_index_is_at_the_front_for_streaming(tmp_path):
    path = tmp_path / "clip.mp4"
    video.write_video(path, _frames(4), 8)
    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")


def test_an_ntsc_rate_is_kept_exact(tmp_path):
    info = video.write_video(tmp_path / "ntsc.mp4", _frames(6), Fraction(30000, 1001))
    assert info.fps == Fraction(30000, 1001)
    assert info.to_dict()["fps"] == pytest.approx(29.97, abs=0.01)


def test_audio_samples_are_muxed_as_aac_and_cut_to_the_video(tmp_path):
    rate = 22050
    tone = (0.3 * np.sin(np.arange(rate * 3) * 2 * np.pi * 440 / rate)).astype(np.float32)
    path = tmp_path / "sound.mp4"
    info = video.write_video(path, _frames(12), 12, audio=np.stack([tone, tone], 1), audio_rate=rate)
    assert info.has_audio
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "aac" and stream.codec_context.channels == 2
        samples = sum(frame.samples for frame in container.decode(stream))
    assert samples == pytest.approx(rate * 1.0, abs=2048)  # one second of video, not three of audio


def test_audio_from_a_wav_file_is_muxed(tmp_path):
    import soundfile

    wav = tmp_path / "tone.wav"
    soundfile.write(wav, np.zeros(16000, np.float32), 16000)
    video.write_video(tmp_path / "w.mp4", _frames(8), 8, audio=wav)
    _, frames, audio_codec = _decode(tmp_path / "w.mp4")
    assert len(frames) == 8 and audio_codec == "aac"


def test_audio_without_a_rate_is_refused(tmp_path):
    with pytest.raises(ParameterError, match="audio_rate"):
        video.write_video(tmp_path / "x.mp4", _frames(2), 8, audio=np.zeros((100, 1), np.float32))


def test_odd_sizes_are_refused_naming_the_even_sizes_or_padded_on_request(tmp_path):
    folder = tmp_path / "out"
    with pytest.raises(ParameterError, match=r"95x63' has an odd side.*94x62 or 96x64"):
        video.write_video(folder / "odd.mp4", _frames(2, 95, 63), 8)
    assert not folder.exists() or list(folder.iterdir()) == []
    info = video.write_video(folder / "odd.mp4", _frames(2, 95, 63), 8, pad_odd=True)
    assert (info.width, info.height) == (96, 64)


def test_a_failed_write_leaves_no_file_and_keeps_an_existing_one(tmp_path):
    path = tmp_path / "out" / "keep.mp4"
    video.write_video(path, _frames(3), 8)
    before = path.read_bytes()
    bad = _frames(3) + [np.zeros((32, 32, 3), np.uint8)]
    with pytest.raises(ParameterError, match=r"frames\[3\].*differs from the first frame"):
        video.write_video(path, bad, 8)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["keep.mp4"]


@pytest.mark.parametrize(("kwargs", "param"), [({"fps": 0}, "fps"), ({"fps": 1000}, "fps"),
                                               ({"fps": 8, "crf": 60}, "crf")])
def test_bad_rates_and_quality_name_the_parameter(tmp_path, kwargs, param):
    with pytest.raises(ParameterError, match=f"^{param}:"):
        video.write_video(tmp_path / "x.mp4", _frames(2), **kwargs)


def test_an_unknown_suffix_is_refused(tmp_path):
    with pytest.raises(ParameterError, match=r"use one of \.mp4"):
        video.write_video(tmp_path / "x.avi", _frames(2), 8)


def test_without_an_h264_encoder_mpeg4_is_used_and_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(video, "H264_ENCODERS", ("no-such-h264-encoder",))
    info = video.write_video(tmp_path / "fallback.mp4", _frames(5), 8)
    assert info.codec == "mpeg4"
    stream, frames, _ = _decode(tmp_path / "fallback.mp4")
    assert stream.codec_context.name == "mpeg4" and len(frames) == 5


def test_read_frames_and_read_frame_pick_the_frames_asked(tmp_path):
    path = tmp_path / "clip.mp4"
    video.write_video(path, _frames(10), 10, crf=0)
    everything = list(video.read_frames(path))
    assert len(everything) == 10
    middle = list(video.read_frames(path, start=3, count=4))
    assert len(middle) == 4
    assert all(np.array_equal(a, b) for a, b in zip(middle, everything[3:7], strict=True))
    assert np.array_equal(video.read_frame(path, -1), everything[-1])
    assert np.array_equal(video.read_frame(path, 0), everything[0])
    with pytest.raises(ParameterError, match="give 0 to 9"):
        video.read_frame(path, 10)


def test_probe_refuses_a_file_that_is_not_video(tmp_path):
    path = tmp_path / "not.mp4"
    path.write_bytes(b"hello")
    with pytest.raises(ParameterError, match="cannot be read as video"):
        video.probe(path)


def test_export_to_gif_loops_every_frame(tmp_path):
    src = tmp_path / "clip.mp4"
    video.write_video(src, _frames(9), 10)
    info = video.export_video(src, tmp_path / "clip.gif", "gif")
    assert (info.codec, info.frame_count, info.width, info.height) == ("gif", 9, 96, 64)
    from PIL import Image

    with Image.open(tmp_path / "clip.gif") as image:
        assert image.n_frames == 9 and image.info["loop"] == 0 and image.info["duration"] == 100


def test_export_to_webm_is_vp9_with_opus_sound(tmp_path):
    src = tmp_path / "clip.mp4"
    rate = 44100
    video.write_video(src, _frames(8), 8, audio=np.zeros((rate, 1), np.float32), audio_rate=rate)
    info = video.export_video(src, tmp_path / "clip.webm", "webm")
    assert info.codec in ("vp9", "vp8") and info.frame_count == 8 and info.has_audio
    _, frames, audio_codec = _decode(tmp_path / "clip.webm")
    assert len(frames) == 8 and audio_codec == "opus"


def test_export_refuses_an_unknown_format(tmp_path):
    src = tmp_path / "clip.mp4"
    video.write_video(src, _frames(2), 8)
    with pytest.raises(ParameterError, match="choose gif or webm"):
        video.export_video(src, tmp_path / "clip.avi", "avi")


def test_the_same_frames_always_encode_to_the_same_clip(tmp_path):
    # x264's MB-tree made small clips differ about one run in ten; a recipe must make the same clip.
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (64, 64, 3), dtype=np.uint8) for _ in range(4)]
    first = None
    for run in range(12):
        video.write_video(tmp_path / f"{run}.mp4", frames, 6)
        decoded = [f for f in video.read_frames(tmp_path / f"{run}.mp4")]
        first = first or decoded
        assert all(np.array_equal(a, b) for a, b in zip(first, decoded, strict=True)), f"run {run} differs"
