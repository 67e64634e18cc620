"""The onnxruntime backend runs the same pipeline and matches torch.

Tolerance: generated 8-bit images differ from torch's by at most 2 levels per channel
(float32 onnxruntime kernels round differently from PyTorch's; across 25 steps this
stays below one percent of the range).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from genloom.sdk import ModelRef, ParameterError
from tests.plugins.genloom_image.conftest import pixels

MAX_LEVELS = 2.0


@pytest.fixture(scope="module")
def tiny_sd_onnx(tiny_sd: ModelRef, tmp_path_factory: pytest.TempPathFactory) -> ModelRef:
    from genloom_image.onnx_export import export

    folder = tmp_path_factory.mktemp("onnx-sd") / "tiny-sd"
    shutil.copytree(tiny_sd.path, folder)
    export(folder)
    return ModelRef(id="tiny-sd-onnx", kind="diffusers", path=str(folder), title="tiny-sd")


def test_export_writes_the_three_parts(tiny_sd_onnx):
    names = sorted(p.name for p in (Path(tiny_sd_onnx.path) / "onnx").iterdir())
    assert names == ["text_encoder.onnx", "unet.onnx", "vae_decoder.onnx"]


def test_onnx_text_to_image_matches_torch_and_records_the_active_providers(runner, tiny_sd_onnx):
    run = runner("image.text_to_image", tiny_sd_onnx)
    (torch_out,), _ = run.run(seed=4, prompt="a red dot", steps=10)
    (onnx_out,), state = run.run(seed=4, prompt="a red dot", steps=10, backend="onnxruntime")
    assert np.abs(pixels(torch_out) - pixels(onnx_out)).max() <= MAX_LEVELS
    assert onnx_out.metadata["onnx_providers"] == ["CPUExecutionProvider"]
    assert "Backend: onnxruntime (CPUExecutionProvider)" in onnx_out.metadata["parameters"]
    assert any(r.preview for r in state.reports)


def test_onnx_image_to_image_matches_torch(runner, tiny_sd_onnx, picture):
    run = runner("image.image_to_image", tiny_sd_onnx)
    image = picture()
    (torch_out,), _ = run.run(seed=4, prompt="x", steps=10, strength=0.6, inputs={"image": image})
    (onnx_out,), _ = run.run(seed=4, prompt="x", steps=10, strength=0.6, inputs={"image": image},
                             backend="onnxruntime")
    assert np.abs(pixels(torch_out) - pixels(onnx_out)).max() <= MAX_LEVELS


def test_a_model_without_onnx_files_names_the_export_command(runner, tiny_sd):
    with pytest.raises(ParameterError, match=r"backend: 'onnxruntime' needs text_encoder.onnx, unet.onnx, "
                                             r"vae_decoder.onnx .*python -m genloom_image.onnx_export"):
        runner("image.text_to_image", tiny_sd).run(prompt="x", steps=2, backend="onnxruntime")


@pytest.mark.parametrize("model_id", [None, "image.emoji-ldm-32"])
def test_the_bundled_models_shipped_onnx_exports_match_torch(runner, image_plugins, model_id):
    # None: what a run that names no model uses (the default, icon-ldm-64).
    run = runner("image.text_to_image", image_plugins.models[model_id].to_ref() if model_id else None)
    (torch_out,), _ = run.run(seed=1, prompt="red heart", steps=25)
    (onnx_out,), _ = run.run(seed=1, prompt="red heart", steps=25, backend="onnxruntime")
    assert np.abs(pixels(torch_out) - pixels(onnx_out)).max() <= MAX_LEVELS


def test_the_export_for_a_model_in_the_hf_cache_goes_to_genlooms_data_not_the_cache(runner, tiny_sd, tmp_path):
    from genloom_image.onnx_export import export
    from tests.core.models import builders

    snapshot = builders.hf_cache_repo(tmp_path / "hub", "org/tiny-sd", Path(tiny_sd.path))
    derived = tmp_path / "genloom-data" / "derived" / ("ab" * 32)
    model = ModelRef(id="org/tiny-sd", kind="diffusers", path=str(snapshot), derived_dir=str(derived))
    with pytest.raises(ParameterError) as caught:
        runner("image.text_to_image", model).run(prompt="x", steps=2, backend="onnxruntime")
    advice = str(caught.value)
    assert f"python -m genloom_image.onnx_export {snapshot} --out {derived / 'onnx'}`" in advice

    before = builders.tree_digest(snapshot.parents[2])
    export(snapshot, derived / "onnx")  # what the advice says to run
    assert builders.tree_digest(snapshot.parents[2]) == before  # nothing written into the cache
    (out,), _ = runner("image.text_to_image", model).run(prompt="x", steps=2, backend="onnxruntime")
    assert out.metadata["backend"] == "onnxruntime"
