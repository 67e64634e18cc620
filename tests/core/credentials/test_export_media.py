"""Audio, video, text and code exports: embedded manifests where C2PA embeds, a sidecar elsewhere."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from genloom.core.credentials.verify import ABSENT, TAMPERED, VALID, verify_file
from genloom.core.exporting import export_asset
from genloom.core.settings import Settings

from .conftest import recipe


def tone(fmt: str) -> bytes:
    import soundfile

    buffer = io.BytesIO()
    t = np.arange(16000) / 16000
    soundfile.write(buffer, 0.2 * np.sin(2 * np.pi * 440 * t), 16000, format=fmt)
    return buffer.getvalue()


def clip(tmp_path: Path, seconds: float = 1.0) -> Path:
    import av

    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=12)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(int(12 * seconds)):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i * 10 % 255, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.mark.parametrize("suffix,fmt", [(".wav", "WAV"), (".flac", "FLAC"), (".mp3", "MP3")])
def test_audio_exports_embed_a_valid_manifest(project, tmp_path, suffix, fmt):
    asset = project.add_asset(tone(fmt), kind="audio", suffix=suffix, recipe=recipe())
    out = export_asset(project, asset, tmp_path / f"tone{suffix}")
    result = verify_file(out)
    assert result.status == VALID and result.sidecar == ""
    assert [a["action"] for a in result.actions] == ["c2pa.created"]
    assert not out.with_name(out.name + ".c2pa").exists()


def test_a_video_export_embeds_a_valid_manifest_and_a_changed_frame_is_tampered(project, tmp_path):
    asset = project.add_asset(clip(tmp_path), kind="video", suffix=".mp4", recipe=recipe())
    out = export_asset(project, asset, tmp_path / "out" / "clip.mp4")
    assert verify_file(out).status == VALID
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0xFF
    out.write_bytes(bytes(data))
    assert verify_file(out).status == TAMPERED


def test_code_gets_a_header_comment_after_its_shebang_and_a_sidecar_manifest(project, tmp_path):
    source = b"#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint('hi')\n"
    asset = project.add_asset(source, kind="code", suffix=".py", recipe=recipe())
    out = export_asset(project, asset, tmp_path / "hello.py")
    lines = out.read_text().splitlines()
    assert lines[:2] == ["#!/usr/bin/env python3", "# -*- coding: utf-8 -*-"]
    assert lines[2].startswith("# Made with Genloom") and "Emoji LDM 32" in lines[2]
    assert "hello.py.c2pa" in lines[2]
    assert lines[3] == "print('hi')"
    result = verify_file(out)
    assert result.status == VALID and result.sidecar.endswith("hello.py.c2pa")
    out.write_text(out.read_text().replace("hi", "ho"))
    assert verify_file(out).status == TAMPERED


def test_plain_text_gets_no_comment_but_a_sidecar(project, tmp_path):
    asset = project.add_asset(b"a short story\n", kind="text", suffix=".txt", recipe=recipe())
    out = export_asset(project, asset, tmp_path / "story.txt")
    assert out.read_bytes() == b"a short story\n"  # a .txt has no comment syntax
    assert verify_file(out).status == VALID


def test_text_settings_turn_off_the_header_and_the_sidecar(project, tmp_path):
    asset = project.add_asset(b"print(1)\n", kind="code", suffix=".py", recipe=recipe())
    settings = Settings(provenance_text_header=False, provenance_sidecar=False)
    out = export_asset(project, asset, tmp_path / "one.py", settings)
    assert out.read_bytes() == b"print(1)\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("one")) == ["one.py"]
    assert verify_file(out).status == ABSENT


def test_a_failed_signature_leaves_nothing_behind(project, tmp_path):
    asset = project.add_asset(b"not really a wav file", kind="audio", suffix=".wav", recipe=recipe())
    out_dir = tmp_path / "out"
    with pytest.raises(Exception, match="cannot sign"):
        export_asset(project, asset, out_dir / "broken.wav")
    assert list(out_dir.iterdir()) == []
