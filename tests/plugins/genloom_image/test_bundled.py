"""The bundled diffusion models at the engine (real worker) and CLI: the default
``image.icon-ldm-64`` (64 px) and ``image.emoji-ldm-32`` (32 px, chosen by name).

The app's tests of both are in tests/qt/test_app_bundled_models.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from PIL import Image

from genloom.testing import check_generator
from tests.plugins.genloom_image.conftest import pixels

PLUGIN_DIR = Path(__file__).resolve().parents[3] / "plugins" / "genloom_image"


def test_the_bundled_models_are_stable_diffusion_folders_of_small_safetensors_files():
    from genloom_image.pipelines import BUNDLED_DIR
    from genloom_image.plugin import genloom_register_models

    models = [m for m in genloom_register_models() if m.kind == "diffusers"]
    assert [(m.id, m.path) for m in models] == [
        ("image.icon-ldm-64", PLUGIN_DIR / "models" / "icon-ldm-64"),
        ("image.emoji-ldm-32", PLUGIN_DIR / "models" / "emoji-ldm-32")]
    assert BUNDLED_DIR == models[0].path  # the folder a run that names no model uses
    for folder in (m.path for m in models):
        index = json.loads((folder / "model_index.json").read_text())
        assert index["_class_name"] == "StableDiffusionPipeline"
        for part in ("unet", "vae", "text_encoder"):
            (weights,) = (folder / part).glob("*.safetensors")
            assert weights.stat().st_size < 20 * 1024 * 1024
        assert not [p for p in folder.rglob("*") if p.suffix in (".bin", ".ckpt", ".pt", ".pth")]
    # Both ship their ONNX export (the onnxruntime backend needs no step from the user).
    for folder in (m.path for m in models):
        assert {p.name for p in (folder / "onnx").iterdir()} == {"unet.onnx", "text_encoder.onnx",
                                                                 "vae_decoder.onnx"}


def test_the_default_model_passes_the_conformance_suite(image_plugins, tmp_path):
    spec = image_plugins.generator("image.text_to_image")
    assert spec.default_model == "image.icon-ldm-64"
    report = check_generator(spec, {"prompt": "red heart", "steps": 4}, workdir=tmp_path)
    (out,) = report.outputs
    assert Image.open(out.path).size == (64, 64)


def test_the_default_model_makes_64px_images_that_differ_by_seed(image_plugins, genloom_project, genloom_engine):
    import numpy as np

    engine = genloom_engine(image_plugins)
    jobs = engine.submit("image.text_to_image", {"prompt": "folder", "steps": 10}, seed=3, count=2)
    jobs = engine.wait([job.id for job in jobs], timeout=300)
    assert [job.state for job in jobs] == ["done", "done"], [job.error for job in jobs]
    assets = [genloom_project.get_asset(job.asset_ids[0]) for job in jobs]
    assert [a.recipe["model"]["id"] for a in assets] == ["image.icon-ldm-64"] * 2
    pictures = []
    for asset in assets:
        with Image.open(genloom_project.asset_path(asset)) as img:
            assert img.size == (64, 64)
            pictures.append(np.asarray(img.convert("RGB"), dtype=np.float64) / 255)
    # Seeds 3 and 4 give different pictures, not the same one with noise (RMS in 0..1).
    assert np.sqrt(np.mean((pictures[0] - pictures[1]) ** 2)) > 0.05


def test_engine_generates_with_the_bundled_model_and_stores_the_png_recipe(image_plugins, genloom_project,
                                                                           genloom_engine):
    engine = genloom_engine(image_plugins)
    previews = []
    engine.events.job_progress.connect(lambda e: previews.append(e.progress.preview))
    (job,) = engine.submit("image.text_to_image", {"prompt": "red heart", "steps": 8}, seed=42)
    (job,) = engine.wait([job.id], timeout=300)
    assert job.state == "done", job.error
    asset = genloom_project.get_asset(job.asset_ids[0])
    assert asset.recipe["model"]["id"] == "image.icon-ldm-64"
    with Image.open(genloom_project.asset_path(asset)) as img:
        assert img.size == (64, 64)
        assert img.text["parameters"].startswith("red heart\nSteps: 8, Sampler: Euler, CFG scale: 5.0, Seed: 42")
    assert any(p for p in previews)


def test_cancel_mid_run_through_the_engine_leaves_no_asset(image_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(image_plugins)
    started = threading.Event()
    engine.events.job_progress.connect(lambda e: started.set())
    (job,) = engine.submit("image.text_to_image", {"prompt": "red heart", "steps": 150,
                                                    "width": 128, "height": 128}, seed=1)
    assert started.wait(300)
    engine.cancel(job.id)
    (job,) = engine.wait([job.id], timeout=60)
    assert job.state == "cancelled"
    assert genloom_project.count_assets() == 0
    assert list(genloom_project.tmp_dir().glob("job-*")) == []


def test_cli_generates_with_the_bundled_model(genloom_home, tmp_path):
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home)}
    env.pop("GENLOOM_PROJECT", None)
    env.pop("GENLOOM_PLUGIN_PATH", None)
    argv = [sys.executable, "-m", "genloom", "generate", "image.text_to_image", "--prompt", "red heart",
            "--set", "steps=6", "--seed", "7", "--project", str(tmp_path / "proj")]
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, (result.stdout, result.stderr)
    (path,) = result.stdout.split()
    with Image.open(path) as img:
        assert img.size == (64, 64) and img.format == "PNG"
        assert "Seed: 7" in img.text["parameters"]


def test_cli_generates_with_the_emoji_model_by_name(genloom_home, tmp_path):
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home)}
    env.pop("GENLOOM_PROJECT", None)
    env.pop("GENLOOM_PLUGIN_PATH", None)
    argv = [sys.executable, "-m", "genloom", "generate", "image.text_to_image", "--prompt", "red heart",
            "--model", "image.emoji-ldm-32", "--set", "steps=6", "--seed", "7", "--project", str(tmp_path / "proj")]
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, (result.stdout, result.stderr)
    (path,) = result.stdout.split()
    with Image.open(path) as img:
        assert img.size == (32, 32) and "Emoji LDM 32px" in img.text["parameters"]


def test_count_8_gives_8_distinct_seeds_and_rerunning_the_fifth_image_gives_its_bytes(genloom_home, tmp_path):
    """One owner of "how many": the engine hands out consecutive seeds (one job each for
    the image generators), and each image's recipe holds its own seed."""
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home)}
    env.pop("GENLOOM_PROJECT", None)
    env.pop("GENLOOM_PLUGIN_PATH", None)
    project = str(tmp_path / "proj")

    def cli(*args: str) -> dict:
        result = subprocess.run([sys.executable, "-m", "genloom", *args, "--json", "--project", project],
                                capture_output=True, text=True, env=env, timeout=300)
        assert result.returncode == 0, (result.stdout, result.stderr)
        return json.loads(result.stdout)

    made = cli("generate", "image.text_to_image", "--prompt", "red heart", "--set", "steps=4",
               "--seed", "100", "--count", "8")
    assert [job["seeds"] for job in made["jobs"]] == [[seed] for seed in range(100, 108)]
    assets = [asset for job in made["jobs"] for asset in job["assets"]]
    shown = [cli("assets", "show", str(asset["id"])) for asset in assets]
    seeds = [item["recipe"]["seed"] for item in shown]
    assert seeds == list(range(100, 108))
    assert len({asset["hash"] for asset in assets}) == 8
    for item, seed in zip(shown, seeds, strict=True):
        with Image.open(item["path"]) as img:
            assert f"Seed: {seed}," in img.text["parameters"]

    fifth = assets[4]
    (again,) = cli("rerun", str(fifth["id"]))["jobs"]
    assert again["seeds"] == [104]
    (copy,) = again["assets"]
    assert Path(copy["path"]).read_bytes() == Path(fifth["path"]).read_bytes()


def test_every_offered_sampler_draws_the_default_models_heart(runner):
    """A sampler swapped in for the model's Euler keeps to latent rules: DDIM and DDPM, whose
    own default clips each predicted sample to [-1, 1], drew smears for every seed before
    (image standard deviation 0.18, where the heart on white gives 0.37)."""
    import numpy as np

    run = runner("image.text_to_image", None)
    pictures = {}
    for scheduler in ("Euler", "DDIM", "DDPM", "PNDM", "DPM++ 2M"):
        (out,), _ = run.run(seed=0, prompt="red heart", steps=25, scheduler=scheduler)
        assert out.metadata["parameters"].split("Sampler: ")[1].startswith(scheduler + ",")
        pictures[scheduler] = pixels(out) / 255
    for scheduler, picture in pictures.items():
        # White paper and a saturated heart: a wide spread of values, and red above green.
        assert picture.std() > 0.3, scheduler
        red, green = picture[..., 0].mean(), picture[..., 1].mean()
        assert red - green > 0.2, (scheduler, red, green)
    # The deterministic samplers solve the same equation: the same heart, not just a heart.
    for scheduler in ("DDIM", "PNDM", "DPM++ 2M"):
        rms = float(np.sqrt(np.mean((pictures[scheduler] - pictures["Euler"]) ** 2)))
        assert rms < 0.1, (scheduler, rms)
