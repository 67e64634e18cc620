"""The ONNX export (script in the repo) and the ONNX Runtime generation loop."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from genloom.sdk import ModelRef, ParameterError, RunState

EXPORT_SCRIPT = Path(__file__).resolve().parents[3] / "tools" / "lm_training" / "export_onnx.py"


def export_module():
    spec = importlib.util.spec_from_file_location("genloom_export_onnx", EXPORT_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def exported_llama(tiny_llama, tmp_path_factory) -> ModelRef:
    folder = tmp_path_factory.mktemp("onnx-llama") / "model"
    shutil.copytree(tiny_llama.path, folder)
    export_module().export(folder)  # also checks the logits against torch
    return ModelRef(id=str(folder), path=str(folder), source="user")


def test_export_writes_a_model_with_a_key_value_cache(exported_llama):
    import onnxruntime as ort

    session = ort.InferenceSession(str(Path(exported_llama.path) / "onnx" / "model.onnx"),
                                   providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    assert {"input_ids", "attention_mask", "position_ids", "past_key_values.0.key",
            "past_key_values.1.value"} <= names
    assert "present.1.value" in {o.name for o in session.get_outputs()}


@pytest.mark.parametrize("prompt", ["The engine", "", "Genloom runs models offline."])
def test_onnx_loop_gives_the_same_greedy_tokens_as_torch(runner, exported_llama, prompt):
    run = runner("text.complete", exported_llama)
    results = {}
    for backend in ("torch", "onnx"):
        (out,), state = run.run(prompt=prompt, max_new_tokens=24, temperature=0.0,
                                repetition_penalty=1.3, backend=backend)
        results[backend] = out
        assert out.metadata["backend"] == backend
        assert "".join(r.partial_text for r in state.reports) == out.metadata["completion"]
    assert results["onnx"].text == results["torch"].text
    assert results["onnx"].metadata["generated_tokens"] == results["torch"].metadata["generated_tokens"]


def test_onnx_sampling_is_seeded_and_honours_stops_and_cancel(runner, exported_llama):
    run = runner("text.complete", exported_llama)
    params = {"prompt": "Sample", "max_new_tokens": 30, "temperature": 1.0, "backend": "onnx"}
    first = run.run(seed=4, **params)[0][0]
    assert first.text == run.run(seed=4, **params)[0][0].text
    completion = first.metadata["completion"]
    if len(completion) > 10:
        stop = completion[5:8]
        stopped = run.run(seed=4, stop=stop.replace("\\", "\\\\").replace("\n", "\\n"),
                          **params)[0][0]
        assert stopped.metadata["completion"] == completion[:completion.index(stop)]

    def report(progress):
        if progress.step >= 3:
            state.cancel()

    state = RunState(report=report)
    (out,), _ = run.run(seed=4, state=state, **{**params, "temperature": 0.0,
                                                "repetition_penalty": 1.3})
    assert out.partial and out.metadata["generated_tokens"] == 3


def test_onnx_backend_without_an_export_names_the_parameter_and_the_fix(runner, tiny_gpt2):
    run = runner("text.complete", tiny_gpt2)
    with pytest.raises(ParameterError, match="backend: 'onnx' needs an ONNX export .* use "
                                             "backend=torch, or export the model with `python "
                                             "tools/lm_training/export_onnx.py"):
        run.run(prompt="x", backend="onnx")


def test_the_export_for_a_model_in_the_hf_cache_goes_to_genlooms_data_not_the_cache(runner, tiny_llama, tmp_path):
    from tests.core.models import builders

    snapshot = builders.hf_cache_repo(tmp_path / "hub", "org/tiny-llama", Path(tiny_llama.path))
    derived = tmp_path / "genloom-data" / "derived" / ("cd" * 32)
    model = ModelRef(id="org/tiny-llama", path=str(snapshot), derived_dir=str(derived))
    run = runner("text.complete", model)
    with pytest.raises(ParameterError) as caught:
        run.run(prompt="x", backend="onnx")
    target = derived / "onnx" / "model.onnx"
    assert f"export_onnx.py {snapshot} --out {target}`" in str(caught.value)

    before = builders.tree_digest(snapshot.parents[2])
    export_module().export(snapshot, out=target)  # what the advice says to run
    assert builders.tree_digest(snapshot.parents[2]) == before  # nothing written into the cache
    fresh = runner("text.complete", model)
    (out,), _ = fresh.run(prompt="The", max_new_tokens=3, backend="onnx", temperature=0)
    assert out.text.startswith("The") and out.metadata["backend"] == "onnx"
