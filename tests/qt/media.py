"""Small real media files for the Qt tests: PNG, WAV, video, text and code."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
from PIL import Image

from genloom.core.project import Asset, Project

PYTHON_SOURCE = '''import math


@cache
def area(radius: float) -> float:
    """The area of a circle."""
    # pi r squared
    return math.pi * radius ** 2 + 0x1F


print(area(2), "done")
'''


def png_bytes(width: int = 96, height: int = 64, color: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    """A PNG with a coloured gradient (so scaling shows up)."""
    x = np.linspace(0, 255, width, dtype=np.uint8)
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[..., 0] = color[0]
    pixels[..., 1] = x[None, :]
    pixels[..., 2] = color[2]
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def wav_bytes(seconds: float = 0.5, rate: int = 8000, freq: float = 440.0) -> bytes:
    """A mono 16-bit sine tone that fades in (so the waveform has a shape)."""
    t = np.arange(int(seconds * rate)) / rate
    signal = np.sin(2 * np.pi * freq * t) * np.linspace(0.1, 0.9, t.size)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes((signal * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def have_ffmpeg() -> bool:
    return shutil.which("ffmpeg") is not None


def video_bytes(tmp: Path) -> bytes:
    """A one-second 64x48 H.264 MP4 with a sine audio track (needs ffmpeg)."""
    out = tmp / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=64x48:rate=10", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=8000", "-t", "1", "-pix_fmt", "yuv420p",
                    "-c:v", "libx264", "-c:a", "aac", "-shortest", str(out)],
                   check=True, timeout=60)
    return out.read_bytes()


def add_samples(project: Project, tmp: Path) -> dict[str, Asset]:
    """One asset of each kind (video only with ffmpeg), with a recipe and lineage."""
    image = project.add_asset(png_bytes(), kind="image", suffix=".png",
                              prompt="a red lighthouse at dusk", tags=["sea", "red"],
                              generator_id="test.image", model_id="tiny-unet",
                              recipe={"generator": "test.image", "model": "tiny-unet",
                                      "seed": 1234, "parameters": {"steps": 20, "cfg": 7.5}})
    child = project.add_asset(png_bytes(color=(20, 60, 200)), kind="image", suffix=".png",
                              prompt="a blue lighthouse", parents=[image.id],
                              generator_id="test.image", model_id="tiny-unet",
                              recipe={"generator": "test.image", "seed": 99,
                                      "parameters": {"steps": 4}})
    audio = project.add_asset(wav_bytes(), kind="audio", suffix=".wav", prompt="a sine tone",
                              generator_id="test.audio")
    text = project.add_asset(b"Once upon a time\nthere was a lighthouse.\n", kind="text",
                             suffix=".txt", generator_id="test.text", tags=["story"])
    code = project.add_asset(PYTHON_SOURCE.encode(), kind="code", suffix=".py",
                             generator_id="test.code")
    assets = {"image": image, "child": child, "audio": audio, "text": text, "code": code}
    if have_ffmpeg():
        assets["video"] = project.add_asset(video_bytes(tmp), kind="video", suffix=".mp4",
                                            prompt="test pattern", generator_id="test.video")
    return assets
