"""The GPU paths on a CUDA GPU: fp16/bf16, SDPA, VAE tiling, offload under a VRAM budget,
ONNX Runtime's CUDA provider, for the image, text and code plugins (bundled models).

Tolerances (fp16 against fp32): the bundled image model's 8-bit outputs differ by at most
``FP16_MEAN_LEVELS`` on average per channel (half-precision rounding over 25 steps).
"""

from __future__ import annotations

import numpy as np
import pytest

from genloom.sdk.placement import MEMORY_BUDGET_ENV, choose_placement, weights_footprint
from tests.gpu.conftest import CODE_MODEL, GPU, TEXT_MODEL

pytestmark = GPU

FP16_MEAN_LEVELS = 4.0
PROMPT = {"prompt": "red heart", "steps": 25, "guidance_scale": 5.0}


def pixels(output) -> np.ndarray:
    from PIL import Image

    with Image.open(output.path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.float32)


def test_image_fp16_on_cuda_is_close_to_fp32_and_uses_sdpa(load):
    (full,) = load("image.text_to_image", None, dtype="float32").run(seed=7, **PROMPT)
    (half,) = load("image.text_to_image", None, dtype="float16").run(seed=7, **PROMPT)
    assert half.metadata["runtime"]["dtype"] == "float16"
    assert full.metadata["runtime"]["dtype"] == "float32"
    assert half.metadata["runtime"]["device"].startswith("cuda")
    assert half.metadata["runtime"]["attention"] == "AttnProcessor2_0"
    difference = np.abs(pixels(full) - pixels(half)).mean()
    print(f"image fp16 vs fp32: mean difference {difference:.2f} levels of 255")
    assert difference <= FP16_MEAN_LEVELS


def test_image_bf16_generates_where_the_gpu_has_it(load):
    import torch

    if not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bfloat16")
    (out,) = load("image.text_to_image", None, dtype="bfloat16").run(seed=7, **PROMPT)
    assert out.metadata["runtime"]["dtype"] == "bfloat16"
    assert pixels(out).std() > 1.0  # a picture, not a flat colour


def test_vae_tiling_at_the_largest_size_matches_untiled(load):
    generator = load("image.text_to_image", None, dtype="float16")
    params = {**PROMPT, "steps": 10, "width": 128, "height": 128}
    (tiled,) = generator.run(seed=3, memory_saving="on", **params)
    (plain,) = generator.run(seed=3, memory_saving="off", **params)
    assert tiled.metadata["memory"]["vae_tiling"] is True
    assert plain.metadata["memory"]["vae_tiling"] is False
    assert pixels(tiled).shape == (128, 128, 3)
    difference = np.abs(pixels(tiled) - pixels(plain)).mean()
    print(f"VAE tiling vs none at 128px: mean difference {difference:.2f} levels")
    assert difference <= 12.0  # tiles are blended at their seams, so not bit-equal


@pytest.mark.parametrize("mode", ["model_offload", "sequential_offload"])
def test_offload_under_a_small_vram_budget_still_generates(load, monkeypatch, mode):
    from genloom_image.pipelines import BUNDLED_DIR

    sizes = weights_footprint(BUNDLED_DIR, "float16")
    # The largest budget (in whole MB, as the setting takes it) that gives this placement.
    budget_mb = max(mb for mb in range(1, 4096) if choose_placement(sizes, mb * 1024 * 1024).mode == mode)
    monkeypatch.setenv(MEMORY_BUDGET_ENV, str(budget_mb))
    (out,) = load("image.text_to_image", None, dtype="float16").run(seed=5, **{**PROMPT, "steps": 8})
    assert out.metadata["runtime"]["placement"] == mode, out.metadata["runtime"]
    assert pixels(out).std() > 1.0


def _ort_cuda() -> None:
    ort = pytest.importorskip("onnxruntime")
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip(f"this onnxruntime ({ort.__version__}) has no CUDAExecutionProvider: install "
                    "onnxruntime-gpu to run the ONNX backends on the GPU")


def test_onnx_image_runs_on_the_cuda_provider(load):
    from genloom_image.pipelines import BUNDLED_DIR

    _ort_cuda()
    if not (BUNDLED_DIR / "onnx" / "unet.onnx").is_file():
        pytest.skip("the default image model's onnx/ is not here (tools/gpu/check_slim.sh aside sets it "
                    "aside for the main device call; the second call, after aside-media, runs this test)")
    (out,) = load("image.text_to_image", None, dtype="float32").run(seed=2, backend="onnxruntime",
                                                                     **{**PROMPT, "steps": 8})
    runtime = out.metadata["runtime"]
    assert "fallback" not in runtime, runtime["fallback"]
    assert runtime["providers"][0] in ("TensorrtExecutionProvider", "CUDAExecutionProvider")


def test_onnx_text_runs_on_the_cuda_provider(load):
    _ort_cuda()
    (out,) = load("text.complete", TEXT_MODEL).run(seed=1, prompt="A fool", max_new_tokens=16, backend="onnx")
    runtime = out.metadata["runtime"]
    assert "fallback" not in runtime, runtime["fallback"]
    assert "CUDAExecutionProvider" in runtime["providers"]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("generator_id, model, prompt", [
    ("text.complete", TEXT_MODEL, "A fool"),
    ("code.complete", CODE_MODEL, "def read_config(path):\n"),
])
def test_text_and_code_generate_in_half_precision_with_sdpa(load, generator_id, model, prompt, dtype):
    import torch

    if dtype == "bfloat16" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bfloat16")
    (out,) = load(generator_id, model, dtype=dtype).run(seed=3, prompt=prompt, max_new_tokens=32)
    runtime = out.metadata["runtime"]
    assert runtime["dtype"] == dtype and runtime["device"].startswith("cuda")
    assert runtime["attention"] == "sdpa"
    assert out.metadata["generated_tokens"] > 0


def test_text_matches_fp32_greedy_for_the_first_tokens(load):
    params = {"prompt": "A fool", "max_new_tokens": 8, "temperature": 0.0}
    (full,) = load("text.complete", TEXT_MODEL, dtype="float32").run(seed=1, **params)
    (half,) = load("text.complete", TEXT_MODEL, dtype="bfloat16").run(seed=1, **params)
    words = [o.text.split()[:2] for o in (full, half)]
    print(f"greedy fp32 {full.text!r} / bf16 {half.text!r}")
    assert words[0] == words[1]


def test_text_over_a_small_vram_budget_is_split_with_system_memory_and_still_generates(load, monkeypatch):
    sizes = weights_footprint(TEXT_MODEL.path, "float16")
    budget_mb = max(1, max(mb for mb in range(1, 4096)
                           if choose_placement(sizes, mb * 1024 * 1024).mode != "device"))
    monkeypatch.setenv(MEMORY_BUDGET_ENV, str(budget_mb))
    (out,) = load("text.complete", TEXT_MODEL).run(seed=1, prompt="A fool", max_new_tokens=16)
    assert out.metadata["runtime"]["placement"] != "device", out.metadata["runtime"]
    assert out.metadata["generated_tokens"] > 0
