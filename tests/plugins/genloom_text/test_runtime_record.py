"""The language models record what ran: device, dtype, placement and attention for torch;
the providers and any fallback to the CPU for ONNX Runtime."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloom.sdk import ModelRef

BUNDLED = Path(__file__).resolve().parents[3] / "plugins" / "genloom_text" / "models" / "fortune-llama"


def test_a_torch_run_records_device_dtype_placement_and_attention(runner, tiny_llama):
    run = runner("text.complete", tiny_llama)
    (out,), _ = run.run(seed=1, prompt="The plugin", max_new_tokens=4)
    runtime = out.metadata["runtime"]
    assert runtime["device"] == "cpu" and runtime["dtype"] == "float32"
    assert runtime["placement"] == "device"
    assert runtime["attention"] == "sdpa"  # transformers' default for Llama on torch 2: PyTorch SDPA


def test_an_onnx_session_meant_for_cuda_that_runs_on_the_cpu_records_the_fallback():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is here: tests/gpu checks that the CUDA provider runs")
    from genloom.sdk.lm.model_folder import open_folder
    from genloom.sdk.lm.onnx_backend import OnnxBackend

    folder = open_folder(ModelRef(id="text.fortune-llama", path=str(BUNDLED), source="bundled"))
    backend = OnnxBackend(folder, "cuda")
    runtime = backend.runtime
    assert runtime["providers"] == ["CPUExecutionProvider"]
    assert runtime["device"] == "cpu"
    assert "ONNX Runtime runs on the CPU, not cuda" in runtime["fallback"]


def test_the_cpu_runs_float32_whatever_was_asked(tiny_llama):
    from genloom.sdk.lm.loading import torch_dtype_for
    from genloom.sdk.lm.model_folder import open_folder

    torch = pytest.importorskip("torch")
    folder = open_folder(tiny_llama)
    assert torch_dtype_for("cpu", "bfloat16", folder) == torch.float32
    from genloom.sdk import InputError

    with pytest.raises(InputError, match="dtype 'int3' is not known"):
        torch_dtype_for("cpu", "int3", folder)
