"""Import reads what other tools write: C2PA manifests, A1111 parameters, ComfyUI graphs, Genloom recipes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from safetensors.numpy import save_file

from genloom.core.exporting import export_asset
from genloom.core.importing import import_file
from genloom.core.models import ModelLibrary
from genloom.core.recipe import checked_recipe

from .conftest import add_image, picture

A1111 = ("a lighthouse at dusk, oil painting\nNegative prompt: blurry, text\n"
         "Steps: 24, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 1234567, "
         "Size: 512x768, Model hash: {hash}, Model: tiny-checkpoint, Version: v1.10.0")

COMFY_PROMPT = {
    "3": {"class_type": "KSampler", "inputs": {"seed": 42, "steps": 18, "cfg": 7.0, "sampler_name": "euler_ancestral",
                                               "scheduler": "normal", "denoise": 1.0, "model": ["10", 0],
                                               "positive": ["6", 0], "negative": ["7", 0],
                                               "latent_image": ["5", 0]}},
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd15/tiny-checkpoint.safetensors"}},
    "10": {"class_type": "LoraLoader", "inputs": {"model": ["4", 0], "clip": ["4", 1], "lora_name": "x.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 640, "height": 448, "batch_size": 1}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a fox in snow", "clip": ["4", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "watermark", "clip": ["4", 1]}},
}

COMFY_WORKFLOW = {
    "nodes": [
        {"id": 3, "type": "KSampler", "widgets_values": [99, "randomize", 30, 8.0, "dpmpp_2m", "karras", 1.0],
         "inputs": [{"name": "model", "link": 1}, {"name": "positive", "link": 4},
                    {"name": "negative", "link": 6}, {"name": "latent_image", "link": 2}]},
        {"id": 4, "type": "CheckpointLoaderSimple", "widgets_values": ["other-model.ckpt"]},
        {"id": 5, "type": "EmptyLatentImage", "widgets_values": [512, 512, 1]},
        {"id": 6, "type": "CLIPTextEncode", "widgets_values": ["a castle"]},
        {"id": 7, "type": "CLIPTextEncode", "widgets_values": ["lowres"]},
    ],
    "links": [[1, 4, 0, 3, 0, "MODEL"], [2, 5, 0, 3, 3, "LATENT"], [4, 6, 0, 3, 1, "CONDITIONING"],
              [6, 7, 0, 3, 2, "CONDITIONING"]],
}


def png_with_text(path: Path, **chunks: str) -> Path:
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    picture(64).save(path, pnginfo=info)
    return path


@pytest.fixture
def library(tmp_path) -> ModelLibrary:
    """A library holding one single-file checkpoint called tiny-checkpoint."""
    import numpy as np

    folder = tmp_path / "models"
    folder.mkdir()
    save_file({"model.diffusion_model.input_blocks.0.0.weight": np.zeros((4, 4), np.float32)},
              str(folder / "tiny-checkpoint.safetensors"))
    lib = ModelLibrary(None, index_path=tmp_path / "models.sqlite", hf_cache=False)
    lib.add_folder(folder)
    lib.scan()
    yield lib
    lib.close()


def test_an_a1111_png_becomes_a_recipe_naming_the_library_model_by_its_hash(project, tmp_path, library):
    [entry] = [m for m in library.models() if m.title == "tiny-checkpoint.safetensors"]
    path = png_with_text(tmp_path / "a1111.png", parameters=A1111.format(hash=entry.hash[:10]))
    asset = import_file(project, path, library=library)
    recipe = checked_recipe(asset.recipe)
    assert recipe["generator"]["id"] == "image.text_to_image"
    assert recipe["params"] == {"prompt": "a lighthouse at dusk, oil painting", "negative_prompt": "blurry, text",
                                "steps": 24, "guidance_scale": 6.5, "scheduler": "DPM++ 2M Karras",
                                "width": 512, "height": 768}
    assert recipe["seed"] == 1234567
    assert recipe["model"]["hash"] == entry.hash
    assert asset.metadata["recipe_rerunnable"] is True
    assert asset.prompt == "a lighthouse at dusk, oil painting"


def test_a_comfyui_prompt_graph_is_followed_through_links_to_its_checkpoint(project, tmp_path, library):
    path = png_with_text(tmp_path / "comfy.png", prompt=json.dumps(COMFY_PROMPT),
                         workflow=json.dumps(COMFY_WORKFLOW))
    asset = import_file(project, path, library=library)
    assert asset.recipe["params"] == {"prompt": "a fox in snow", "negative_prompt": "watermark", "steps": 18,
                                      "guidance_scale": 7.0, "scheduler": "Euler a", "width": 640,
                                      "height": 448}
    assert asset.recipe["seed"] == 42
    # Found by name (ComfyUI gives the file name, in a folder), through the LoRA loader.
    assert asset.recipe["model"]["title"] == "tiny-checkpoint.safetensors"
    assert asset.recipe["model"]["hash"] == library.models()[0].hash
    assert asset.metadata["recipe_rerunnable"] is True


def test_a_comfyui_workflow_alone_is_read_and_a_missing_model_is_named(project, tmp_path, library):
    path = png_with_text(tmp_path / "workflow.png", workflow=json.dumps(COMFY_WORKFLOW))
    asset = import_file(project, path, library=library)
    assert asset.recipe["params"]["prompt"] == "a castle"
    assert asset.recipe["params"]["negative_prompt"] == "lowres"
    assert (asset.recipe["seed"], asset.recipe["params"]["steps"]) == (99, 30)
    assert asset.recipe["params"]["scheduler"] == "DPM++ 2M Karras"
    assert "other-model" in asset.metadata["recipe_model_missing"]
    assert "recipe_rerunnable" not in asset.metadata


def test_malformed_foreign_metadata_imports_the_picture_without_a_recipe(project, tmp_path):
    path = png_with_text(tmp_path / "junk.png", prompt="{not json", workflow='{"nodes": 5}',
                         parameters="just a caption with no fields")
    asset = import_file(project, path)
    assert asset.recipe == {}
    assert asset.kind == "image"


def test_a_genloom_export_imported_elsewhere_keeps_its_recipe_and_its_verdict(project, tmp_path):
    from genloom.core.project import Project

    out = export_asset(project, add_image(project), tmp_path / "fox.png")
    other = Project.create(tmp_path / "other")
    asset = import_file(other, out)
    assert asset.recipe["seed"] == 7 and asset.recipe["generator"]["id"] == "image.text_to_image"
    credentials = asset.metadata["credentials"]
    assert credentials["status"] == "valid" and credentials["signer"] == "this installation"
    assert credentials["watermark"] is True


def test_a_jpeg_export_is_read_back_from_its_signed_manifest(project, tmp_path):
    from genloom.core.project import Project

    out = export_asset(project, add_image(project, suffix=".jpg"), tmp_path / "fox.jpg")
    asset = import_file(Project.create(tmp_path / "other"), out)
    assert asset.recipe["seed"] == 7  # from org.genloom.recipe (a JPEG has no genloom chunk)
    assert asset.prompt == "a red fox"


def test_a_tampered_file_is_imported_with_the_verdict_and_without_the_manifests_recipe(project, tmp_path):
    from genloom.core.project import Project

    out = export_asset(project, add_image(project, suffix=".jpg"), tmp_path / "fox.jpg")
    image = Image.open(out)
    data = bytearray(out.read_bytes())
    data[len(data) - 200] ^= 0x04  # in the entropy-coded picture data
    out.write_bytes(bytes(data))
    image.close()
    asset = import_file(Project.create(tmp_path / "other"), out)
    assert asset.metadata["credentials"]["status"] == "tampered"
    # The manifest's recipe is not believed; the EXIF parameters text (A1111's format) is read.
    assert asset.recipe["imported_from"] == "AUTOMATIC1111"


@pytest.mark.slow
def test_an_a1111_png_made_with_a_library_model_is_re_run_by_the_engine(tmp_path, genloom_plugins,
                                                                        genloom_project, genloom_engine):
    plugins = genloom_plugins(modules=["genloom_image.plugin"])
    library = ModelLibrary(plugins, hf_cache=False)
    [bundled] = [m for m in library.models() if m.details.get("bundled_id") == "image.emoji-ldm-32"]
    text = ("red heart\nSteps: 2, Sampler: Euler a, CFG scale: 3, Seed: 4321, Size: 32x32, "
            f"Model hash: {bundled.hash[:10]}, Model: emoji")
    asset = import_file(genloom_project, png_with_text(tmp_path / "heart.png", parameters=text), library=library)
    library.close()
    engine = genloom_engine(plugins)
    job = engine.rerun(asset.id)
    (job,) = engine.wait([job.id], timeout=180)
    assert job.state == "done", job.error
    [made] = [a for a in genloom_project.list_assets() if a.id != asset.id]
    assert made.recipe["seed"] == 4321 and made.recipe["params"]["prompt"] == "red heart"
    assert made.recipe["model"]["hash"] == bundled.hash
