"""The bundled stdlib code model, end to end: engine with a real worker, the CLI, FIM, ONNX."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from genloom_code.plugin import BUNDLED_ID, MODELS_DIR

FOLDER = MODELS_DIR / "stdlib-llama"


def test_bundled_model_folder_is_complete_and_small():
    for name in ("config.json", "model.safetensors", "tokenizer.json", "MODEL_CARD.md",
                 "loss.csv", "onnx/model.onnx"):
        assert (FOLDER / name).is_file(), name
    assert (FOLDER / "model.safetensors").stat().st_size < 20e6
    assert (FOLDER / "onnx" / "model.onnx").stat().st_size < 20e6


def test_engine_runs_completion_and_infill_with_the_bundled_model(code_plugins, genloom_project,
                                                                  genloom_engine):
    engine = genloom_engine(code_plugins)
    progress = []
    engine.events.job_progress.connect(lambda e: progress.append(e.progress))
    jobs = engine.submit("code.complete", {"prompt": "def parse(text):\n", "max_new_tokens": 24},
                         seed=2)
    jobs += engine.submit("code.infill", {"prompt": "def add(a, b):\n",
                                          "suffix": "\n\ndef sub(a, b):\n    return a - b\n",
                                          "max_new_tokens": 24}, seed=2)
    done = engine.wait([j.id for j in jobs], timeout=300)
    assert [j.state for j in done] == ["done", "done"], [j.error for j in done]
    complete, infill = (genloom_project.get_asset(j.asset_ids[0]) for j in done)
    assert complete.kind == "code" and complete.metadata["language"] == "python"
    assert complete.metadata["syntax"] in ("ok", "error")
    code = genloom_project.asset_path(infill).read_text()
    assert code.startswith("def add(a, b):\n") and code.endswith("    return a - b\n")
    assert infill.metadata["mode"] == "fill-in-the-middle"
    assert infill.recipe["model"]["id"] == BUNDLED_ID


def test_cli_completes_code_with_the_bundled_model(genloom_home, tmp_path):
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home)}
    env.pop("GENLOOM_PROJECT", None)
    result = subprocess.run(
        [sys.executable, "-m", "genloom", "generate", "code.complete", "--prompt", "import os\n",
         "--set", "max_new_tokens=16", "--json", "--project", str(tmp_path / "p")],
        capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    (job,) = json.loads(result.stdout)["jobs"]
    (asset,) = job["assets"]
    assert asset["kind"] == "code" and asset["path"].endswith(".py")


def test_onnx_and_torch_give_the_same_greedy_infill_on_the_bundled_model(runner, code_plugins):
    run = runner("code.infill", code_plugins.models[BUNDLED_ID].to_ref())
    params = {"prompt": "class Stack:\n    def __init__(self):\n", "suffix": "\n    def pop(self):\n",
              "max_new_tokens": 24, "temperature": 0.0}
    texts = [run.run(backend=b, **params)[0][0].text for b in ("torch", "onnx")]
    assert texts[0] == texts[1]
