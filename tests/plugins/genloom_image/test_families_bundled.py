"""The bundled GAN and VAE through the engine (real worker), the CLI and the model library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from genloom.sdk import InputError
from genloom.testing import check_generator
from tests.plugins.genloom_image.tiny_family import build_family_folder

MODELS = Path(__file__).resolve().parents[3] / "plugins" / "genloom_image" / "models"


def _env(genloom_home: Path, tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home), "HF_HUB_CACHE": str(tmp_path / "no-hf"),
           "HF_HUB_OFFLINE": "1"}
    env.pop("GENLOOM_PROJECT", None)
    env.pop("GENLOOM_PLUGIN_PATH", None)
    return env


@pytest.mark.parametrize("name, kind", [("icon-gan-64", "icon-gan"), ("icon-vae-64", "icon-vae")])
def test_the_bundled_folders_are_small_safetensors_with_onnx_and_a_card(image_plugins, name, kind):
    from genloom_image.families import identify_family_folder

    folder = MODELS / name
    assert (folder / "model.safetensors").stat().st_size < 8 * 1024 * 1024
    assert (folder / "MODEL_CARD.md").is_file() and (folder / "samples.png").is_file()
    assert list((folder / "onnx").glob("*.onnx"))
    match = identify_family_folder(folder)
    assert match.kind == kind and "refused" not in match.details
    assert not [p for p in folder.rglob("*") if p.suffix in (".bin", ".ckpt", ".pt", ".pth")]
    bundled = {m.id: m for m in image_plugins.bundled_models()} if hasattr(image_plugins, "bundled_models") else {}
    if bundled:
        assert bundled[f"image.{name}"].kind == kind


@pytest.mark.parametrize("generator", ["image.gan", "image.vae"])
def test_the_bundled_models_pass_the_conformance_suite(image_plugins, tmp_path, generator):
    spec = image_plugins.generator(generator)
    report = check_generator(spec, {"prompt": "red heart"}, workdir=tmp_path)
    (out,) = report.outputs
    assert Image.open(out.path).size == (64, 64)


def test_engine_makes_gan_and_vae_images_then_a_strip_with_lineage_to_both(image_plugins, genloom_project,
                                                                           genloom_engine):
    engine = genloom_engine(image_plugins)
    gan_jobs = engine.submit("image.gan", {"prompt": "red heart"}, seed=11, count=2)
    (vae_job,) = engine.submit("image.vae", {"prompt": "smiling cat face"}, seed=3)
    done = engine.wait([j.id for j in [*gan_jobs, vae_job]], timeout=300)
    assert [j.state for j in done] == ["done"] * 3, [j.error for j in done]
    first, second = (genloom_project.get_asset(j.asset_ids[0]) for j in done[:2])
    assert first.recipe["model"]["id"] == "image.icon-gan-64" and first.recipe["seed"] == 11
    assert second.recipe["seed"] == 12 and first.hash != second.hash
    vae_asset = genloom_project.get_asset(done[2].asset_ids[0])
    assert vae_asset.recipe["model"]["id"] == "image.icon-vae-64"

    (job,) = engine.submit("image.vae_interpolate", {"steps": 6}, inputs={"start": first.id, "end": vae_asset.id})
    (job,) = engine.wait([job.id], timeout=300)
    assert job.state == "done", job.error
    strip = genloom_project.get_asset(job.asset_ids[0])
    with Image.open(genloom_project.asset_path(strip)) as img:
        assert img.size == (6 * 64, 64)
    assert sorted(p.id for p in genloom_project.parents(strip.id)) == sorted([first.id, vae_asset.id])


def test_engine_refuses_a_missing_input_and_an_asset_that_is_not_an_image(image_plugins, genloom_project,
                                                                          genloom_engine):
    engine = genloom_engine(image_plugins)
    note = genloom_project.add_asset(b"just words", kind="text", suffix=".txt")
    png = genloom_project.add_asset((MODELS / "icon-gan-64" / "samples.png").read_bytes(), kind="image",
                                    suffix=".png")
    with pytest.raises(InputError, match="needs a image asset as 'end'") as caught:
        engine.submit("image.vae_interpolate", {"steps": 4}, inputs={"start": png.id})
    assert caught.value.remedy.subject == "end"
    with pytest.raises(InputError, match=f"asset {note.id} is text"):
        engine.submit("image.vae_interpolate", {"steps": 4}, inputs={"start": png.id, "end": note.id})


def test_cli_generates_with_the_bundled_gan_and_reruns_to_the_same_bytes(genloom_home, tmp_path):
    env = _env(genloom_home, tmp_path)
    project = str(tmp_path / "proj")

    def cli(*args: str) -> dict:
        result = subprocess.run([sys.executable, "-m", "genloom", *args, "--json", "--project", project],
                                capture_output=True, text=True, env=env, timeout=300)
        assert result.returncode == 0, (result.stdout, result.stderr)
        return json.loads(result.stdout)

    made = cli("generate", "image.gan", "--prompt", "red heart", "--seed", "40", "--count", "2")
    assets = [a for job in made["jobs"] for a in job["assets"]]
    assert len({a["hash"] for a in assets}) == 2
    with Image.open(assets[0]["path"]) as img:
        assert img.size == (64, 64) and "Seed: 40," in img.text["parameters"]
    (again,) = cli("rerun", str(assets[0]["id"]))["jobs"]
    assert Path(again["assets"][0]["path"]).read_bytes() == Path(assets[0]["path"]).read_bytes()


def test_cli_refuses_a_caption_with_no_known_word(genloom_home, tmp_path):
    argv = [sys.executable, "-m", "genloom", "generate", "image.gan", "--prompt", "qwxz blorft",
            "--project", str(tmp_path / "proj")]
    result = subprocess.run(argv, capture_output=True, text=True, env=_env(genloom_home, tmp_path), timeout=300)
    assert result.returncode != 0
    assert "has no word this model knows (unknown: blorft, qwxz)" in result.stderr + result.stdout


def test_the_library_recognises_a_users_folders_and_refuses_a_damaged_one(genloom_home, tmp_path):
    root = tmp_path / "my-models"
    build_family_folder(root / "gan", "icon-gan", onnx=False)
    build_family_folder(root / "vae", "icon-vae", onnx=False)
    damaged = build_family_folder(root / "broken-gan", "icon-gan", onnx=False)
    (damaged / "model.safetensors").write_bytes((damaged / "model.safetensors").read_bytes()[:300])
    env = _env(genloom_home, tmp_path)

    def cli(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "genloom", "models", *args], capture_output=True,
                                text=True, env=env, timeout=300)
        assert result.returncode == 0, (result.stdout, result.stderr)
        return result.stdout

    cli("add", str(root))
    listed = {Path(m["path"]).name: m for m in json.loads(cli("list", "--json"))
              if str(root) in str(m.get("path", ""))}
    assert listed["gan"]["kind"] == "icon-gan" and listed["gan"]["status"] == "ok"
    assert listed["vae"]["kind"] == "icon-vae" and listed["vae"]["status"] == "ok"
    assert listed["broken-gan"]["status"] == "refused"
    assert "damaged" in listed["broken-gan"]["reason"]
