"""Models through the engine and the worker: resolved once in core, refused at submit,
recorded with their hash, consent read from the library at load, no prompt can block."""

from __future__ import annotations

import shutil
import textwrap
import time
from pathlib import Path

import pytest

from genloom.core.models import ModelLibrary
from genloom.sdk import InputError
from tests.core.models import builders

#: A drop-in plugin: ``probe.consent`` reports what the worker handed its ``load``;
#: ``probe.prompt`` asks a question on stdin while loading, as a library's prompt would.
PROBE = '''
from genloom.sdk import GeneratorSpec, Output, hookimpl

__version__ = "0.0.1"


class Consent:
    def load(self, model, device, dtype):
        self.seen = (model.allow_pickle, model.hash)

    def run(self, request, state):
        return [Output(kind="text", text=f"allow_pickle={self.seen[0]} hash={self.seen[1]}", suffix=".txt")]

    def unload(self):
        pass


class Prompt(Consent):
    def load(self, model, device, dtype):
        answer = input("Do you wish to run the custom code? [y/N] ")
        self.seen = (answer, "")


@hookimpl
def genloom_register_generators():
    return [
        GeneratorSpec(id="probe.consent", modality="text", title="Consent probe", factory=Consent,
                      model_kinds=("pickle", "transformers-causal-lm"), uses_seed=False, devices=("cpu",)),
        GeneratorSpec(id="probe.prompt", modality="text", title="Prompt probe", factory=Prompt,
                      uses_seed=False, devices=("cpu",)),
    ]
'''


@pytest.fixture
def probe_plugins(genloom_plugins, tmp_path):
    folder = tmp_path / "probe-plugins"
    folder.mkdir()
    (folder / "probe.py").write_text(textwrap.dedent(PROBE))
    return genloom_plugins(dirs=[folder], modules=["genloom_text.plugin"])


@pytest.fixture
def pickles(tmp_path) -> tuple[Path, Path]:
    """A folder with a plain tensor pickle and a malicious one (which would create the marker)."""
    import torch

    folder = tmp_path / "pickles"
    folder.mkdir()
    torch.save({"w": torch.ones(2)}, folder / "plain.ckpt")
    builders.malicious_pickle(folder / "evil.ckpt", tmp_path / "PWNED")
    return folder, tmp_path / "PWNED"


def _text(project, job) -> str:
    return project.asset_path(project.get_asset(job.asset_ids[0])).read_text()


def test_a_refused_model_is_refused_at_submit_with_one_message_and_no_worker(probe_plugins, genloom_engine,
                                                                              genloom_project, pickles):
    folder, marker = pickles
    engine = genloom_engine(probe_plugins)
    with pytest.raises(InputError) as caught:
        engine.submit("probe.consent", model=str(folder / "evil.ckpt"))
    message = str(caught.value)
    assert message.count("allow-pickle") == 1 and "evil.ckpt" in message and "cannot be used: pickle: refused" in message
    assert genloom_project.jobs.list() == [] and engine._worker is None
    assert not marker.exists()


def test_custom_code_folders_are_refused_at_submit_before_any_load(probe_plugins, genloom_engine, genloom_project,
                                                                  tmp_path):
    folder = builders.with_custom_code(builders.llama(tmp_path / "custom-llama"), tmp_path / "CODE-RAN")
    engine = genloom_engine(probe_plugins)
    with pytest.raises(InputError, match="contains its own code .* Genloom does not run model code"):
        engine.submit("text.complete", {"prompt": "hi"}, model=str(folder))
    assert genloom_project.jobs.list() == [] and not (tmp_path / "CODE-RAN").exists()


def test_every_recipe_names_the_models_content_hash_however_the_model_is_named(probe_plugins, genloom_engine,
                                                                              genloom_project, tmp_path):
    folder = builders.llama(tmp_path / "user-llama")
    library = ModelLibrary(probe_plugins)
    engine = genloom_engine(probe_plugins)
    (by_path,) = engine.submit("probe.consent", model=str(folder))
    entry = library.get(str(folder))
    (by_id,) = engine.submit("probe.consent", model=entry.id)
    (bundled,) = engine.submit("text.complete", {"prompt": "a"}, model="text.fortune-llama")
    (default,) = engine.submit("text.complete", {"prompt": "a"})
    assert by_path.model["hash"] == by_id.model["hash"] == entry.hash
    bundled_hash = library.get("text.fortune-llama").hash
    assert len(bundled_hash) == 64 and bundled.model["hash"] == default.model["hash"] == bundled_hash
    assert bundled.model["id"] == "text.fortune-llama"
    (done,) = engine.wait([by_path.id], timeout=120)
    assert done.state == "done", done.error
    recipe = genloom_project.get_asset(done.asset_ids[0]).recipe
    assert recipe["model"]["hash"] == entry.hash and recipe["model"]["path"] == str(folder.resolve())
    library.close()


def test_the_worker_reads_consent_from_the_library_for_the_content_as_it_is_at_load(probe_plugins,
                                                                                    genloom_engine,
                                                                                    genloom_project, pickles):
    import torch

    folder, marker = pickles
    library = ModelLibrary(probe_plugins)
    library.adopt(folder / "plain.ckpt")
    library.allow_pickle(str(folder / "plain.ckpt"))
    engine = genloom_engine(probe_plugins)
    (allowed,) = engine.submit("probe.consent", model=str(folder / "plain.ckpt"))
    (allowed,) = engine.wait([allowed.id], timeout=120)
    assert allowed.state == "done", allowed.error
    assert _text(genloom_project, allowed).startswith("allow_pickle=True")

    # A recipe that claims a permission gets none, and a file changed after submit loses it.
    model = dict(allowed.model, allow_pickle=True)
    torch.save({"w": torch.zeros(5)}, folder / "plain.ckpt")
    (claimed,) = engine.submit("probe.consent", model=model)
    (claimed,) = engine.wait([claimed.id], timeout=120)
    assert claimed.state == "done", claimed.error
    assert _text(genloom_project, claimed).startswith("allow_pickle=False")
    library.close()
    assert not marker.exists()


def test_no_prompt_can_block_the_worker_stdin_is_the_null_device(probe_plugins, genloom_engine, genloom_project):
    engine = genloom_engine(probe_plugins, stall_timeout_s=60)
    started = time.monotonic()
    (job,) = engine.submit("probe.prompt")
    (job,) = engine.wait([job.id], timeout=120)
    assert job.state == "failed"
    assert job.error.startswith("EOFError"), job.error
    assert "stalled" not in job.error and time.monotonic() - started < 60


def test_a_copied_model_folder_resolves_to_the_same_model(probe_plugins, genloom_engine, tmp_path):
    first = builders.llama(tmp_path / "a" / "llama")
    second = tmp_path / "b" / "llama"
    shutil.copytree(first, second)
    engine = genloom_engine(probe_plugins)
    (one,) = engine.submit("probe.consent", model=str(first))
    (two,) = engine.submit("probe.consent", model=str(second))
    assert len(one.model["hash"]) == 64 and one.model["hash"] == two.model["hash"]
    assert {one.model["path"], two.model["path"]} <= {str(first.resolve()), str(second.resolve())}


def test_a_refusal_in_the_worker_is_one_message_without_a_traceback(probe_plugins, genloom_engine, genloom_project,
                                                                    tmp_path):
    """Allowed at submit, changed before the load: the worker's consent check finds the new
    content not allowed, and the plugin's refusal is the job's whole error."""
    import torch

    folder = builders.gpt2_pickle_original_keys(tmp_path / "gpt2-pickle")
    library = ModelLibrary(probe_plugins)
    library.adopt(folder)
    library.allow_pickle(str(folder))
    engine = genloom_engine(probe_plugins)
    engine.stop()  # hold the queue while the file changes under the submitted job
    (job,) = engine.submit("text.complete", {"prompt": "The", "max_new_tokens": 2}, model=str(folder))
    state = torch.load(folder / "pytorch_model.bin", weights_only=True)
    state["wte.weight"] = state["wte.weight"] * 2
    torch.save(state, folder / "pytorch_model.bin")
    engine.start()
    (job,) = engine.wait([job.id], timeout=120)
    assert job.state == "failed"
    assert "pickle-based file" in job.error and job.error.count("allow-pickle") == 1
    assert "Traceback" not in job.error
    library.close()
