"""The bundled fortune model, end to end: engine with a real worker, the CLI, ONNX."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from genloom.sdk import StringParam
from genloom_text.plugin import BUNDLED_ID, MODELS_DIR

FOLDER = MODELS_DIR / "fortune-llama"


def test_bundled_model_folder_is_complete_and_small():
    for name in ("config.json", "model.safetensors", "tokenizer.json", "MODEL_CARD.md",
                 "loss.csv", "onnx/model.onnx"):
        assert (FOLDER / name).is_file(), name
    assert (FOLDER / "model.safetensors").stat().st_size < 20e6
    assert (FOLDER / "onnx" / "model.onnx").stat().st_size < 20e6


def test_generators_default_to_the_bundled_model_and_take_text_assets_as_prompts(text_plugins):
    assert BUNDLED_ID in text_plugins.models
    for generator_id in ("text.complete", "text.chat"):
        spec = text_plugins.generator(generator_id)
        assert spec.default_model == BUNDLED_ID
        prompt = spec.param("prompt")
        assert isinstance(prompt, StringParam) and prompt.role == "prompt"


def test_engine_streams_the_bundled_model_and_stores_the_asset_with_its_recipe(
        text_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(text_plugins)
    progress = []
    engine.events.job_progress.connect(lambda e: progress.append(e.progress))
    (job,) = engine.submit("text.complete", {"prompt": "A fool", "max_new_tokens": 30}, seed=7)
    (job,) = engine.wait([job.id], timeout=240)
    assert job.state == "done", job.error
    asset = genloom_project.get_asset(job.asset_ids[0])
    text = genloom_project.asset_path(asset).read_text()
    assert text == "A fool" + "".join(p.partial_text for p in progress)
    assert len(text) > len("A fool")
    assert asset.recipe["model"]["id"] == BUNDLED_ID
    assert asset.recipe["seed"] == 7 and asset.recipe["params"]["max_new_tokens"] == 30
    assert asset.metadata["backend"] == "torch"
    (again,) = engine.wait([engine.submit("text.complete", {"prompt": "A fool",
                                                            "max_new_tokens": 30}, seed=7)[0].id],
                           timeout=240)
    assert genloom_project.asset_path(genloom_project.get_asset(again.asset_ids[0])).read_text() == text


def test_engine_cancel_keeps_the_partial_text(text_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(text_plugins)
    started = threading.Event()
    engine.events.job_progress.connect(lambda e: started.set())
    engine.events.job_failed.connect(lambda job: started.set())
    (job,) = engine.submit("text.complete", {"prompt": "The", "max_new_tokens": 200,
                                             "temperature": 1.0}, seed=1)
    assert started.wait(240)
    engine.cancel(job.id)
    (job,) = engine.wait([job.id], timeout=120)
    assert job.state == "cancelled"
    partial = genloom_project.list_assets(tag="partial")
    assert len(partial) == 1
    assert partial[0].metadata["stop_reason"] == "cancelled"
    assert partial[0].metadata["generated_tokens"] < 200


def test_cli_generates_with_the_bundled_model(genloom_home, tmp_path):
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home)}
    env.pop("GENLOOM_PROJECT", None)
    result = subprocess.run(
        [sys.executable, "-m", "genloom", "generate", "text.complete", "--prompt", "Never",
         "--set", "max_new_tokens=20", "--seed", "3", "--json", "--project", str(tmp_path / "p")],
        capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    (job,) = json.loads(result.stdout)["jobs"]
    assert job["state"] == "done"
    (asset,) = job["assets"]
    assert asset["kind"] == "text"
    with open(asset["path"], encoding="utf-8") as handle:
        assert handle.read().startswith("Never")


@pytest.mark.parametrize("prompt", ["A fool", "Q: Why?\nA:"])
def test_onnx_and_torch_give_the_same_greedy_text_on_the_bundled_model(runner, text_plugins, prompt):
    run = runner("text.complete", text_plugins.models[BUNDLED_ID].to_ref())
    texts = [run.run(prompt=prompt, max_new_tokens=30, temperature=0.0, backend=b)[0][0].text
             for b in ("torch", "onnx")]
    assert texts[0] == texts[1]


def test_chat_with_the_bundled_model_uses_its_template(runner, text_plugins):
    run = runner("text.chat", text_plugins.models[BUNDLED_ID].to_ref())
    (out,), _ = run.run(prompt="What is life?", max_new_tokens=20)
    assert out.metadata["chat_template"] == "model"
