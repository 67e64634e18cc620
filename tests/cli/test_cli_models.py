"""`genloom models`, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.models import builders

MODEL_PLUGINS = Path(__file__).resolve().parents[1] / "fixtures" / "model_plugins"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli-models")
    builders.kohya_lora(root / "tree" / "lora" / "style.safetensors")
    builders.sd1_checkpoint(root / "tree" / "single" / "sd1.safetensors")
    builders.unknown_safetensors(root / "tree" / "misc" / "mystery.safetensors")
    builders.malicious_pickle(root / "tree" / "single" / "evil.ckpt", root / "PWNED")
    return root


@pytest.fixture
def tree(tmp_path, template) -> Path:
    import shutil

    shutil.copytree(template / "tree", tmp_path / "tree")
    return tmp_path / "tree"


@pytest.fixture
def models_cli(genloom_home, tmp_path):
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home), "GENLOOM_PLUGIN_PATH": str(MODEL_PLUGINS),
           "GENLOOM_DISABLE_PLUGINS": "audio,code,image,procedural,text,video", "HF_HUB_CACHE": str(tmp_path / "no-hf"),
           "HF_HUB_OFFLINE": "1"}

    def run(*args, code=0):
        result = subprocess.run([sys.executable, "-m", "genloom", "models", *map(str, args)],
                                capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
        return result

    return run


def test_add_scans_the_folder_and_list_shows_each_model(models_cli, tree):
    out = models_cli("add", tree).stdout
    assert f"added {tree} (folder)" in out and "4 models found" in out and "4 new" in out
    listing = models_cli("list").stdout
    assert "lora" in listing and "SD 1.x" in listing and "style.safetensors" in listing
    assert "refused" in listing and "evil.ckpt" in listing
    assert "unknown" in listing and "mystery.safetensors" in listing


def test_list_json_and_filters(models_cli, tree):
    models_cli("add", tree, "--quiet")
    data = json.loads(models_cli("list", "--json").stdout)
    assert {m["title"]: m["kind"] for m in data} == {
        "style.safetensors": "lora", "sd1.safetensors": "sd-checkpoint", "mystery.safetensors": "",
        "evil.ckpt": "pickle"}
    only = json.loads(models_cli("list", "--kind", "lora", "--json").stdout)
    assert [m["title"] for m in only] == ["style.safetensors"]
    roots = json.loads(models_cli("list", "--roots", "--json").stdout)
    assert [r["path"] for r in roots] == [str(tree)]


def test_a_rescan_with_nothing_changed_hashes_nothing_and_notices_a_deletion(models_cli, tree):
    models_cli("add", tree, "--quiet")
    report = json.loads(models_cli("scan", "--json").stdout)
    assert (report["hashed_files"], report["new_models"]) == (0, [])
    (tree / "lora" / "style.safetensors").unlink()
    report = json.loads(models_cli("scan", "--json").stdout)
    assert len(report["missing"]) == 1
    assert json.loads(models_cli("info", "style.safetensors", "--json").stdout)["status"] == "missing"


def test_info_shows_the_reason_and_the_fix_for_a_pickle(models_cli, tree, template):
    models_cli("add", tree, "--quiet")
    out = models_cli("info", "evil.ckpt").stdout
    assert "refused" in out and f"genloom models allow-pickle {tree / 'single' / 'evil.ckpt'}" in out
    assert not (template / "PWNED").exists()


def test_allow_pickle_by_path_adds_the_file_when_it_is_not_in_the_library(models_cli, tree, template):
    data = json.loads(models_cli("allow-pickle", tree / "single" / "evil.ckpt", "--json").stdout)
    assert data["allow_pickle"] is True and data["status"] == "ok"
    revoked = json.loads(models_cli("allow-pickle", data["id"], "--revoke", "--json").stdout)
    assert revoked["allow_pickle"] is False
    assert not (template / "PWNED").exists()


def test_set_type_and_a_type_no_generator_loads(models_cli, tree):
    models_cli("add", tree, "--quiet")
    out = models_cli("set-type", "mystery.safetensors", "lora", "--arch", "SDXL").stdout
    assert "is now lora; used by glmodels.image" in out
    err = models_cli("set-type", "mystery.safetensors", "bogus", code=2).stderr
    assert "'bogus' is not one any generator loads" in err


def test_forget_leaves_files_byte_for_byte(models_cli, tree):
    models_cli("add", tree, "--quiet")
    before = builders.tree_digest(tree)
    assert "its files were not touched" in models_cli("forget", "sd1.safetensors").stdout
    models_cli("scan", "--quiet")
    assert builders.tree_digest(tree) == before
    titles = [m["title"] for m in json.loads(models_cli("list", "--json").stdout)]
    assert "sd1.safetensors" not in titles


def test_unknown_models_and_folders_exit_3_and_bad_paths_exit_2(models_cli, tmp_path):
    assert "no model called 'nothing'" in models_cli("info", "nothing", code=3).stderr
    assert models_cli("forget", "nothing", code=3).stderr
    assert "not a library folder" in models_cli("scan", tmp_path, code=3).stderr
    assert "does not exist" in models_cli("add", tmp_path / "missing", code=2).stderr


def test_a_fresh_install_lists_the_bundled_models_without_a_scan(genloom_home, tmp_path):
    """A new user's first `genloom models list` shows the models that ship."""
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home), "HF_HUB_CACHE": str(tmp_path / "no-hf"),
           "HF_HUB_OFFLINE": "1"}
    env.pop("GENLOOM_PLUGIN_PATH", None)
    env.pop("GENLOOM_DISABLE_PLUGINS", None)
    argv = [sys.executable, "-m", "genloom", "models", "list"]
    listed = subprocess.run([*argv, "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert listed.returncode == 0, listed.stderr
    bundled = sorted(m["details"]["bundled_id"] for m in json.loads(listed.stdout) if m["source"] == "bundled")
    assert bundled == ["audio.espeak-vocos-en", "audio.folk-abc", "code.stdlib-llama", "image.emoji-ldm-32",
                       "image.icon-gan-64", "image.icon-ldm-64", "image.icon-vae-64", "text.fortune-llama", "video.emoji-motion"]
    text = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120).stdout
    assert "no models" not in text and "Emoji" in text


def test_a_pickle_only_folder_is_refused_at_submit_and_the_command_the_refusal_names_works(genloom_home,
                                                                                           tmp_path):
    """The user's path through finding 2 and 3 of issue 11: refused once, at submit, with the
    command to run; after it, the folder generates, whatever name it is given."""
    folder = builders.gpt2_pickle_original_keys(tmp_path / "models" / "gpt2-pickle")
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home), "GENLOOM_DISABLE_PLUGINS": "audio,code,image,procedural,video",
           "HF_HUB_CACHE": str(tmp_path / "no-hf"), "HF_HUB_OFFLINE": "1"}
    env.pop("GENLOOM_PLUGIN_PATH", None)

    def genloom(*args):
        return subprocess.run([sys.executable, "-m", "genloom", *map(str, args)], capture_output=True, text=True,
                              env=env, timeout=300)

    generate = ("generate", "text.complete", "--prompt", "The", "--set", "max_new_tokens=3",
                "--project", tmp_path / "project", "--json")
    refused = genloom(*generate, "--model", folder)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.count("gpt2-pickle (") == 1 and refused.stderr.count("allow-pickle") == 1
    assert f"`genloom models allow-pickle {folder}`" in refused.stderr
    assert "Traceback" not in refused.stderr

    allowed = genloom("models", "allow-pickle", folder / "pytorch_model.bin")
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.startswith("allowed gpt2-pickle (")
    info = json.loads(genloom("models", "info", folder, "--json").stdout)
    assert (info["status"], info["allow_pickle"]) == ("ok", True)

    done = genloom(*generate, "--model", info["id"])
    assert done.returncode == 0, done.stderr
    (job,) = json.loads(done.stdout)["jobs"]
    assert job["state"] == "done"
