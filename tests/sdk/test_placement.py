"""genloom.sdk.placement: dtype per device, placement under a VRAM budget, the ONNX Runtime
fallback check and the runtime record. All of it runs on the CPU."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from genloom.sdk.errors import InputError
from genloom.sdk.placement import (
    MEMORY_BUDGET_ENV,
    Placement,
    canonical_dtype,
    choose_placement,
    memory_budget_bytes,
    onnx_fallback,
    place_pipeline,
    resolve_dtype,
    runtime_record,
    set_memory_budget,
    weights_footprint,
)

MB = 1024 * 1024
BUNDLED_IMAGE = Path(__file__).resolve().parents[2] / "plugins" / "genloom_image" / "models" / "emoji-ldm-32"
CPU_ONLY = ["CPUExecutionProvider"]


# -- dtype ------------------------------------------------------------------------------------


@pytest.mark.parametrize("requested", ["auto", "float16", "bfloat16", "fp32"])
def test_the_cpu_always_runs_float32(requested):
    assert resolve_dtype("cpu", requested, trained="bfloat16", bf16_supported=True) == "float32"


def test_a_gpu_defaults_to_float16():
    assert resolve_dtype("cuda", "auto", bf16_supported=True) == "float16"
    assert resolve_dtype("cuda:1", "auto", bf16_supported=False) == "float16"
    assert resolve_dtype("mps", "auto") == "float16"


def test_bfloat16_only_where_the_gpu_has_it():
    assert resolve_dtype("cuda", "bf16", bf16_supported=True) == "bfloat16"
    assert resolve_dtype("cuda", "bfloat16", bf16_supported=False) == "float16"
    assert resolve_dtype("mps", "bfloat16") == "float16"


def test_a_model_trained_in_bfloat16_runs_in_it_by_default_on_a_gpu_that_has_it():
    assert resolve_dtype("cuda", "auto", trained="bfloat16", bf16_supported=True) == "bfloat16"
    assert resolve_dtype("cuda", "auto", trained="torch.bfloat16", bf16_supported=False) == "float16"
    # Half precision for such a model is bf16 (the worker resolves auto to float16 before the
    # plugin reads the model's config); full precision stays.
    assert resolve_dtype("cuda", "float16", trained="bfloat16", bf16_supported=True) == "bfloat16"
    assert resolve_dtype("cuda", "float32", trained="bfloat16", bf16_supported=True) == "float32"


def test_an_unknown_dtype_or_device_is_refused_with_the_choices():
    with pytest.raises(InputError, match=r"dtype 'int4' is not known; use float32, float16 or bfloat16"):
        resolve_dtype("cuda", "int4", bf16_supported=True)
    with pytest.raises(InputError, match=r"device 'tpu' is not known"):
        resolve_dtype("tpu")
    assert canonical_dtype("torch.float16") == "float16"
    assert canonical_dtype("HALF") == "float16"


# -- placement ------------------------------------------------------------------------------


def test_a_model_that_fits_goes_on_the_device():
    placement = choose_placement({"unet": 500 * MB, "vae": 100 * MB}, 1000 * MB)
    assert placement.mode == "device"
    assert "600 MB" in placement.reason


def test_a_model_over_the_budget_whose_largest_part_fits_is_offloaded_part_by_part():
    placement = choose_placement({"unet": 700 * MB, "text_encoder": 500 * MB, "vae": 100 * MB}, 1000 * MB)
    assert placement.mode == "model_offload"
    assert "unet" in placement.reason


def test_a_part_bigger_than_the_budget_means_layer_by_layer_offload():
    placement = choose_placement({"unet": 900 * MB, "vae": 100 * MB}, 1000 * MB)
    assert placement.mode == "sequential_offload"
    assert "unet, 900 MB" in placement.reason


def test_room_is_kept_beside_the_weights_for_activations():
    # 850 MB of weights in a 1000 MB budget leaves too little room for the activations.
    assert choose_placement({"model": 850 * MB}, 1000 * MB).mode == "sequential_offload"
    assert choose_placement({"model": 800 * MB}, 1000 * MB).mode == "device"


def test_no_budget_means_no_limit():
    assert choose_placement({"model": 10**12}, 0).mode == "device"


def test_the_budget_comes_from_the_setting_else_automatic(monkeypatch):
    monkeypatch.delenv(MEMORY_BUDGET_ENV, raising=False)
    automatic = memory_budget_bytes("cpu")
    assert automatic > 0
    set_memory_budget(512)
    try:
        assert memory_budget_bytes("cpu") == 512 * MB
    finally:
        set_memory_budget(0)
    assert memory_budget_bytes("cpu") == automatic


def _save(path: Path, tensors: dict) -> None:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path))


def test_the_footprint_is_read_from_the_weight_headers_in_the_run_dtype(tmp_path):
    torch = pytest.importorskip("torch")
    folder = tmp_path / "pipe"
    _save(folder / "unet" / "diffusion_pytorch_model.safetensors",
          {"w": torch.zeros(1000, 100), "steps": torch.zeros(10, dtype=torch.int64)})
    _save(folder / "vae" / "diffusion_pytorch_model.safetensors", {"w": torch.zeros(250, dtype=torch.float16)})
    (folder / "onnx").mkdir()
    (folder / "onnx" / "unet.onnx").write_bytes(b"\0" * 4096)  # not loaded by torch: not counted
    assert weights_footprint(folder, "float32") == {"unet": 400_000 + 80, "vae": 1000}
    # Float weights are cast on load; the integer buffer keeps its 8 bytes an element.
    assert weights_footprint(folder, "float16") == {"unet": 200_000 + 80, "vae": 500}
    single = folder / "unet" / "diffusion_pytorch_model.safetensors"
    assert weights_footprint(single, "bfloat16") == {"model": 200_080}
    assert weights_footprint(tmp_path / "missing", "float16") == {}


def test_the_bundled_image_model_has_a_footprint_per_component():
    sizes = weights_footprint(BUNDLED_IMAGE, "float16")
    assert {"unet", "vae", "text_encoder"} <= set(sizes)
    on_disk = (BUNDLED_IMAGE / "unet" / "diffusion_pytorch_model.safetensors").stat().st_size
    assert sizes["unet"] < on_disk  # float32 on disk, half of it in float16


def test_offloading_is_refused_off_cuda_with_the_reason():
    with pytest.raises(InputError, match=r"offloading \(model_offload\) needs a CUDA GPU, and this model runs on cpu"):
        place_pipeline(object(), "cpu", Placement("model_offload", "test"))
    with pytest.raises(InputError, match=r"placement 'half' is not known"):
        place_pipeline(object(), "cpu", Placement("half", "test"))


# -- ONNX Runtime providers -----------------------------------------------------------------


def test_no_fallback_when_the_gpu_provider_runs_or_none_was_wanted():
    assert onnx_fallback("cuda", ["CUDAExecutionProvider", "CPUExecutionProvider"],
                         ["CUDAExecutionProvider", "CPUExecutionProvider"]) == ""
    assert onnx_fallback("cpu", CPU_ONLY, CPU_ONLY) == ""


def test_a_build_without_the_cuda_provider_is_named_with_the_fix():
    text = onnx_fallback("cuda:0", CPU_ONLY, ["AzureExecutionProvider", "CPUExecutionProvider"])
    assert "runs on the CPU, not cuda:0" in text
    assert "install onnxruntime-gpu in place of onnxruntime" in text


def test_a_cuda_provider_that_failed_to_start_is_told_apart():
    text = onnx_fallback("cuda", CPU_ONLY, ["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert "failed to start" in text


def _tiny_onnx(path: Path) -> Path:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_a_session_asked_for_cuda_that_gets_the_cpu_says_so(tmp_path, caplog):
    ort = pytest.importorskip("onnxruntime")
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is here, so the CUDA provider starts; tests/gpu covers that")
    from genloom.sdk.runtime import onnx_session

    path = _tiny_onnx(tmp_path / "relu.onnx")
    with caplog.at_level(logging.WARNING, logger="genloom.runtime"):
        session, active = onnx_session(path, "cuda")
    assert active == CPU_ONLY
    assert session.get_providers() == active
    # onnxruntime-gpu without a GPU: the provider exists but cannot start; plain onnxruntime: it is missing.
    reason = ("failed to start" if "CUDAExecutionProvider" in ort.get_available_providers()
              else "install onnxruntime-gpu")
    assert any("relu.onnx" in r.getMessage() and reason in r.getMessage() for r in caplog.records)
    # Asked for by name (as a plugin may), the missing provider is dropped the same way.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="genloom.runtime"):
        _, active = onnx_session(path, "cuda", providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert active == CPU_ONLY
    assert any("runs on the CPU, not cuda" in r.getMessage() for r in caplog.records)


def test_a_cpu_session_logs_no_fallback(tmp_path, caplog):
    pytest.importorskip("onnxruntime")
    from genloom.sdk.runtime import onnx_session

    with caplog.at_level(logging.WARNING, logger="genloom.runtime"):
        _, active = onnx_session(_tiny_onnx(tmp_path / "relu.onnx"), "cpu")
    assert active == CPU_ONLY
    assert not caplog.records


def test_the_runtime_record_holds_only_what_is_known():
    assert runtime_record("cpu", "float32") == {"device": "cpu", "dtype": "float32"}
    record = runtime_record("cuda", "float16", placement=Placement("model_offload", "big"),
                            attention="AttnProcessor2_0", providers=("CUDAExecutionProvider",), fallback="")
    assert record == {"device": "cuda", "dtype": "float16", "placement": "model_offload",
                      "placement_reason": "big", "attention": "AttnProcessor2_0",
                      "providers": ["CUDAExecutionProvider"]}
