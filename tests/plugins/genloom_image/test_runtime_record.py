"""What actually ran is recorded: device, dtype, placement, attention, ONNX Runtime providers
and a fallback to the CPU, in each output's metadata and in its recipe."""

from __future__ import annotations

import pytest

from genloom.sdk.placement import MEMORY_BUDGET_ENV


def test_a_torch_run_records_device_dtype_placement_and_sdpa_attention(runner):
    run = runner("image.text_to_image", None)
    (out,), _ = run.run(seed=3, prompt="red heart", steps=2)
    runtime = out.metadata["runtime"]
    assert runtime["device"] == "cpu"
    assert runtime["dtype"] == "float32"
    assert runtime["placement"] == "device"
    # diffusers' default on torch 2 is PyTorch's scaled_dot_product_attention.
    assert runtime["attention"] == "AttnProcessor2_0"
    assert "providers" not in runtime and "fallback" not in runtime


def test_attention_slicing_shows_in_the_record(runner):
    run = runner("image.text_to_image", None)
    (out,), _ = run.run(seed=3, prompt="red heart", steps=2, memory_saving="on")
    assert out.metadata["runtime"]["attention"] == "SlicedAttnProcessor"
    (out,), _ = run.run(seed=3, prompt="red heart", steps=2, memory_saving="off")
    assert out.metadata["runtime"]["attention"] == "AttnProcessor2_0"


def test_an_onnx_run_records_the_providers_the_sessions_use(runner):
    run = runner("image.text_to_image", None)
    (out,), _ = run.run(seed=3, prompt="red heart", steps=2, backend="onnxruntime")
    runtime = out.metadata["runtime"]
    assert runtime["providers"] == ["CPUExecutionProvider"]
    assert runtime["device"] == "cpu" and runtime["dtype"] == "float32"
    assert "fallback" not in runtime


def test_onnx_sessions_meant_for_cuda_that_run_on_the_cpu_record_the_fallback(runner):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is here: tests/gpu checks that the CUDA provider runs")
    from genloom_image.memory import pipeline_runtime
    from genloom_image.onnx_backend import onnx_pipeline

    run = runner("image.text_to_image", None)
    pipe, providers = onnx_pipeline(run.generator.loaded, "txt2img", "cuda")
    assert providers == ["CPUExecutionProvider"]
    fallback = run.generator.loaded.extras["onnx"]["fallback"]
    assert "ONNX Runtime runs on the CPU, not cuda" in fallback
    record = pipeline_runtime(pipe, "cuda", {}, providers, fallback)
    assert record["device"] == "cpu" and record["fallback"] == fallback


def test_offloading_a_model_off_cuda_is_refused_with_the_reason(runner):
    from genloom.sdk import ParameterError

    run = runner("image.text_to_image", None)
    with pytest.raises(ParameterError, match="cpu_offload"):
        run.run(seed=1, prompt="red heart", steps=2, cpu_offload=True)


def test_the_load_placement_is_the_device_off_cuda_whatever_the_budget(monkeypatch):
    from genloom_image.memory import load_placement
    from genloom_image.pipelines import BUNDLED_DIR

    monkeypatch.setenv(MEMORY_BUDGET_ENV, "1")
    placement = load_placement(BUNDLED_DIR, "cpu", "float32")
    assert placement.mode == "device"
    assert "not a CUDA GPU" in placement.reason


def test_the_recipe_keeps_what_ran(image_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(image_plugins, dtype="float16")
    (job,) = engine.submit("image.text_to_image", {"prompt": "red heart", "steps": 2}, seed=5)
    (job,) = engine.wait([job.id], timeout=300)
    assert job.state == "done", job.error
    recipe = genloom_project.get_asset(job.asset_ids[0]).recipe
    # float16 was the setting; the CPU runs float32, and the recipe says what ran.
    assert recipe["dtype"] == "float32"
    assert recipe["runtime"] == {"device": "cpu", "dtype": "float32", "placement": "device",
                                 "placement_reason": recipe["runtime"]["placement_reason"],
                                 "attention": "AttnProcessor2_0"}
