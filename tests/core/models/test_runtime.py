"""genloom.sdk.runtime: ONNX Runtime provider choice and sessions."""

from __future__ import annotations

import pytest

from genloom.sdk.runtime import OnnxRuntimeError, choose_onnx_providers, onnx_session

ALL = ["CPUExecutionProvider", "CoreMLExecutionProvider", "DmlExecutionProvider",
       "CUDAExecutionProvider", "TensorrtExecutionProvider"]


def test_auto_orders_tensorrt_cuda_directml_coreml_cpu():
    assert choose_onnx_providers("auto", ALL) == [
        "TensorrtExecutionProvider", "CUDAExecutionProvider", "DmlExecutionProvider",
        "CoreMLExecutionProvider", "CPUExecutionProvider"]


def test_only_available_providers_are_asked_for_and_cpu_is_always_last():
    assert choose_onnx_providers("auto", ["CoreMLExecutionProvider"]) == [
        "CoreMLExecutionProvider", "CPUExecutionProvider"]


def test_cpu_device_uses_only_the_cpu_provider():
    assert choose_onnx_providers("cpu", ALL) == ["CPUExecutionProvider"]


def test_a_numbered_gpu_passes_its_device_id():
    assert choose_onnx_providers("cuda:1", ALL) == [
        ("TensorrtExecutionProvider", {"device_id": 1}), ("CUDAExecutionProvider", {"device_id": 1}),
        "CPUExecutionProvider"]


def test_mps_uses_coreml():
    assert choose_onnx_providers("mps", ALL) == ["CoreMLExecutionProvider", "CPUExecutionProvider"]


@pytest.mark.parametrize("device", ["tpu", "cuda:x"])
def test_an_unknown_device_is_a_clear_error(device):
    with pytest.raises(OnnxRuntimeError, match=repr(device)):
        choose_onnx_providers(device, ALL)


def test_a_session_reports_the_providers_that_actually_activated(onnx_file):
    import numpy as np

    session, active = onnx_session(onnx_file, "auto")
    # onnxruntime-gpu without a usable GPU falls back to the CPU; the list says so.
    assert active == session.get_providers()
    assert active[-1] == "CPUExecutionProvider"
    (output,) = session.run(None, {"x": np.zeros((1, 3), np.float32)})
    assert output.shape == (1, 2)


def test_a_missing_onnx_file_is_a_clear_error(tmp_path):
    with pytest.raises(OnnxRuntimeError, match="does not exist"):
        onnx_session(tmp_path / "nope.onnx", "cpu")


def test_a_corrupt_onnx_file_is_a_clear_error(tmp_path):
    (tmp_path / "bad.onnx").write_bytes(b"not a model")
    with pytest.raises(OnnxRuntimeError, match="could not open"):
        onnx_session(tmp_path / "bad.onnx", "cpu")
