"""The GPU paths of the video and audio plugins on a CUDA GPU (bundled models): half
precision close to float32, PyTorch SDPA attention, offload under a small VRAM budget, and
the runtime record that says so in the recipe.

Tolerance: a clip's frames are compared after H.264 at the encoder's quality, so the fp16
and fp32 clips of one recipe differ by the half-precision rounding plus the codec's;
``FP16_CLIP_LEVELS`` per channel on average (the CPU reruns of a recipe are bit-equal).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from genloom.sdk import ModelRef
from genloom.sdk.placement import MEMORY_BUDGET_ENV, choose_placement, weights_footprint
from tests.gpu.conftest import GPU, ROOT

pytestmark = GPU

FP16_CLIP_LEVELS = 6.0
IMAGE_MODEL = ModelRef(id="image.emoji-ldm-32", path=str(ROOT / "plugins" / "genloom_image" / "models" / "emoji-ldm-32"),
                       source="bundled")
FOLK_MODEL = ModelRef(id="audio.folk-abc", path=str(ROOT / "plugins" / "genloom_audio" / "models" / "folk-abc"),
                      source="bundled")
CLIP = {"prompt": "red heart, zoom in", "frames": 8, "fps": 8, "steps": 10}
MOTION_WEIGHTS = ROOT / "plugins" / "genloom_video" / "models" / "emoji-motion" / "diffusion_pytorch_model.safetensors"
FOLK_WEIGHTS = Path(FOLK_MODEL.path) / "model.safetensors"


def needs(weights: Path, *modules: str) -> None:
    """Skip, saying why, where the weights were set aside for the device call's size limit
    or the GPU machine lacks a library the plugin uses."""
    if not weights.is_file():
        pytest.skip(f"{weights.relative_to(ROOT)} is not here (tools/gpu/check_slim.sh aside sets it "
                    "aside; the video and audio GPU tests run in the aside-media call)")
    for name in modules:
        pytest.importorskip(name, reason=f"{name} is not installed on this machine")


def frames(output) -> np.ndarray:
    from genloom.sdk.video import read_frames

    return np.stack([np.asarray(f, dtype=np.float32) for f in read_frames(Path(output.path))])


def test_video_fp16_on_cuda_is_close_to_fp32_and_uses_sdpa(load):
    needs(MOTION_WEIGHTS, "av")
    (full,) = load("video.text_to_video", IMAGE_MODEL, dtype="float32").run(seed=7, **CLIP)
    (half,) = load("video.text_to_video", IMAGE_MODEL, dtype="float16").run(seed=7, **CLIP)
    runtime = half.metadata["runtime"]
    assert runtime["device"].startswith("cuda") and runtime["dtype"] == "float16"
    assert full.metadata["runtime"]["dtype"] == "float32"
    assert "AttnProcessor2_0" in runtime["attention"], runtime
    a, b = frames(full), frames(half)
    assert a.shape == b.shape and a.shape[0] == CLIP["frames"]
    difference = np.abs(a - b).mean()
    print(f"video fp16 vs fp32: mean difference {difference:.2f} levels of 255")
    assert difference <= FP16_CLIP_LEVELS


def test_video_under_a_small_vram_budget_is_offloaded_and_still_moves(load, monkeypatch):
    needs(MOTION_WEIGHTS, "av")
    sizes = weights_footprint(IMAGE_MODEL.path, "float16")
    budget_mb = max(mb for mb in range(1, 4096) if choose_placement(sizes, mb * 1024 * 1024).mode != "device")
    monkeypatch.setenv(MEMORY_BUDGET_ENV, str(budget_mb))
    (out,) = load("video.text_to_video", IMAGE_MODEL, dtype="float16").run(seed=5, **{**CLIP, "steps": 4})
    assert out.metadata["runtime"]["placement"] != "device", out.metadata["runtime"]
    clip = frames(out)
    assert clip.std() > 1.0 and not np.array_equal(clip[0], clip[-1])


def test_the_animatic_draws_its_keyframes_on_the_gpu(load):
    needs(MOTION_WEIGHTS, "av")
    (out,) = load("video.animatic", IMAGE_MODEL, dtype="float16").run(
        seed=2, prompts="red heart\nsun", seconds=0.5, hold=0.0, fps=8, width=64, height=64, steps=4)
    runtime = out.metadata["runtime"]
    assert runtime["device"].startswith("cuda") and runtime["dtype"] == "float16"
    assert frames(out).std() > 1.0


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_music_writes_its_tune_on_the_gpu_in_half_precision_with_sdpa(load, dtype):
    import torch

    needs(FOLK_WEIGHTS, "music21", "mido", "soundfile")
    if dtype == "bfloat16" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bfloat16")
    wav, midi, abc = load("audio.music", FOLK_MODEL, dtype=dtype).run(seed=3, bars=4, sample_rate=22050, channels=1)
    runtime = wav.metadata["runtime"]
    assert runtime["device"].startswith("cuda") and runtime["dtype"] == dtype
    assert runtime["attention"] == "sdpa"
    assert abc.text.startswith("X:1\n") and wav.metadata["duration"] > 1
