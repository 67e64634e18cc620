"""Scanning real model files: identification, incremental rescans, missing and moved models."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time

import pytest

from genloom.core import paths
from genloom.core.models import ModelLibrary, ModelNotFoundError
from genloom.core.models.index import SCHEMA_VERSION
from tests.core.models import builders


def _by_title(library):
    return {m.title: m for m in library.models()}


def test_a_scan_identifies_every_kind_of_model_in_the_tree(library, model_tree):
    library.add_folder(model_tree)
    report = library.scan()
    models = _by_title(library)
    expected = {
        "sd-tiny": ("diffusers", "SD 1.x", "diffusers-folder", "ok"),
        # also in the HF cache, so it goes by its Hub name
        "org/tiny-llama": ("transformers-causal-lm", "Llama", "safetensors", "ok"),
        "style.safetensors": ("lora", "SD 1.x", "safetensors", "ok"),
        "sd1.safetensors": ("sd-checkpoint", "SD 1.x", "safetensors", "ok"),
        "linear.onnx": ("onnx", "", "onnx", "ok"),
        "evil.ckpt": ("pickle", "", "pickle", "refused"),
        "mystery.safetensors": ("", "", "safetensors", "unknown"),
    }
    assert {t: (m.kind, m.architecture, m.format, m.status) for t, m in models.items()} == expected
    assert report.candidates == 8  # the seven above, plus the Llama again in the HF cache
    assert report.skipped_files == 2  # notes.txt and preview.png are not models


def test_unknown_and_refused_models_say_why(library, model_tree):
    library.add_folder(model_tree)
    library.scan()
    models = _by_title(library)
    assert "no plugin recognises its 2 tensors (baz, foo.bar)" in models["mystery.safetensors"].reason
    assert "pickle: refused unless allowed" in models["evil.ckpt"].reason
    assert f"genloom models allow-pickle {model_tree / 'single-file' / 'evil.ckpt'}" in models["evil.ckpt"].reason


def test_models_record_licence_size_and_the_generators_that_use_them(library, model_tree):
    library.add_folder(model_tree)
    library.scan()
    models = _by_title(library)
    llama = models["org/tiny-llama"]
    assert llama.licence == "apache-2.0"  # from the model card's front matter
    assert llama.generators == ("glmodels.text",)
    assert models["sd-tiny"].generators == ("glmodels.image",)
    assert models["linear.onnx"].generators == ()
    folder_bytes = sum(p.stat().st_size for p in (model_tree / "diffusers" / "sd-tiny").rglob("*") if p.is_file())
    assert models["sd-tiny"].size == folder_bytes


def test_the_hugging_face_cache_is_scanned_offline(library, hf_cache):
    library.scan()
    (model,) = library.models()
    assert (model.title, model.kind, model.architecture) == ("org/tiny-llama", "transformers-causal-lm", "Llama")
    assert model.source == "hf-cache"
    assert model.details["repo_id"] == "org/tiny-llama"
    assert model.details["refs"] == ["main"]
    assert model.path == str(hf_cache / "models--org--tiny-llama" / "snapshots" / ("a" * 40))


def test_hf_home_is_honoured_when_hf_hub_cache_is_not_set(model_plugins, hf_cache, monkeypatch):
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.setenv("HF_HOME", str(hf_cache.parent))
    library = ModelLibrary(model_plugins)
    library.scan()
    assert [m.title for m in library.models()] == ["org/tiny-llama"]
    library.close()


def test_the_same_model_in_the_cache_and_a_folder_is_one_model_with_two_locations(library, model_tree, hf_cache):
    library.add_folder(model_tree / "llm")
    report = library.scan()
    (model,) = library.models()
    assert sorted(loc.source for loc in model.locations) == ["folder", "hf-cache"]
    # The cache's LFS blob names are SHA-256s and were used as such, not re-read.
    assert report.hashed_files == 4 + 3  # folder: 4 files; cache: the 3 non-LFS files only


def test_a_files_hash_is_its_sha256_as_sha256sum_prints_it(library, model_tree):
    library.add_folder(model_tree / "lora")
    library.scan()
    model = library.get("style.safetensors")
    if shutil.which("sha256sum"):
        out = subprocess.run(["sha256sum", str(model_tree / "lora" / "style.safetensors")],
                             capture_output=True, text=True, check=True).stdout
        assert model.hash == out.split()[0]
    assert model.hash == hashlib.sha256((model_tree / "lora" / "style.safetensors").read_bytes()).hexdigest()


def test_the_index_lives_in_the_data_folder_with_a_schema_version(library):
    import sqlite3

    path = paths.data_dir() / "models.sqlite"
    assert path.is_file()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_a_rescan_with_nothing_changed_reads_no_file(library, model_tree):
    library.add_folder(model_tree)
    first = library.scan()
    assert first.hashed_files > 10
    again = library.scan()
    assert (again.hashed_files, again.new_models, again.changed_models, again.missing) == (0, [], [], [])


def test_a_rescan_after_changes_hashes_only_the_changed_and_new_files(library, model_tree):
    library.add_folder(model_tree)
    library.scan()
    builders.kohya_lora(model_tree / "lora" / "wide.safetensors", width=1024)
    config = model_tree / "llm" / "llama-tiny" / "generation_config.json"
    config.write_text(config.read_text().replace("}", ', "temperature": 0.5}', 1))
    report = library.scan()
    assert report.hashed_files == 2
    assert len(report.new_models) == 2  # the new LoRA, and the Llama folder with a changed file
    assert _by_title(library)["wide.safetensors"].architecture == "SD 2.x"


def test_a_deleted_model_is_shown_missing_not_dropped(library, model_tree):
    library.add_folder(model_tree)
    library.scan()
    (model_tree / "lora" / "style.safetensors").unlink()
    report = library.scan()
    lora = _by_title(library)["style.safetensors"]
    assert lora.status == "missing" and lora.missing
    assert lora.id in report.missing
    assert "not found at" in lora.reason
    assert lora.kind == "lora"  # what it was is kept


def test_a_model_that_comes_back_is_present_again(library, model_tree):
    library.add_folder(model_tree)
    library.scan()
    saved = (model_tree / "lora" / "style.safetensors").read_bytes()
    (model_tree / "lora" / "style.safetensors").unlink()
    library.scan()
    (model_tree / "lora" / "style.safetensors").write_bytes(saved)
    library.scan()
    assert _by_title(library)["style.safetensors"].status == "ok"


def test_a_moved_model_keeps_its_identity_at_the_new_path(library, model_tree):
    library.add_folder(model_tree)
    library.scan()
    before = _by_title(library)["sd-tiny"]
    os.rename(model_tree / "diffusers" / "sd-tiny", model_tree / "sd-renamed")
    report = library.scan()
    after = library.get(before.hash)
    assert after.path == str(model_tree / "sd-renamed")
    assert not after.missing and len(after.locations) == 1
    assert before.id in report.moved
    assert report.new_models == []


def test_a_whole_folder_gone_marks_its_models_missing(library, model_tree):
    library.add_folder(model_tree / "lora")
    library.scan()
    shutil.rmtree(model_tree / "lora")
    library.scan()
    assert library.get("style.safetensors").status == "missing"
    assert not library.roots()[0].exists


def test_forgetting_leaves_every_file_byte_for_byte_and_a_rescan_does_not_bring_it_back(library, model_tree):
    library.add_folder(model_tree)
    library.scan()
    before = builders.tree_digest(model_tree)
    stats_before = {p: p.stat().st_mtime_ns for p in model_tree.rglob("*")}
    for title in ("sd-tiny", "style.safetensors", "evil.ckpt"):
        library.forget(title)
    library.scan()
    assert builders.tree_digest(model_tree) == before
    assert {p: p.stat().st_mtime_ns for p in model_tree.rglob("*")} == stats_before
    assert not {"sd-tiny", "style.safetensors", "evil.ckpt"} & set(_by_title(library))


def test_adding_the_folder_again_brings_forgotten_models_back(library, model_tree):
    library.add_folder(model_tree)
    library.scan()
    library.forget("style.safetensors")
    library.add_folder(model_tree)
    library.scan()
    assert "style.safetensors" in _by_title(library)


def test_removing_a_folder_forgets_its_models_and_keeps_its_files(library, model_tree):
    library.add_folder(model_tree)
    library.scan()
    before = builders.tree_digest(model_tree)
    library.remove_folder(model_tree)
    assert [m.title for m in library.models()] == ["org/tiny-llama"]  # still in the HF cache
    assert builders.tree_digest(model_tree) == before


def test_the_user_can_set_the_type_of_an_unknown_model(library, model_tree):
    library.add_folder(model_tree)
    library.scan()
    entry = library.set_type("mystery.safetensors", "lora", architecture="SDXL")
    assert (entry.kind, entry.architecture, entry.status, entry.detected_kind) == ("lora", "SDXL", "ok", "")
    assert entry.generators == ("glmodels.image",)
    assert library.set_type("mystery.safetensors", "").status == "unknown"


def test_setting_a_type_no_generator_loads_is_refused_with_the_known_kinds(library, model_tree):
    library.add_folder(model_tree)
    library.scan()
    with pytest.raises(Exception, match="'bogus' is not one any generator loads; use one of .*lora"):
        library.set_type("mystery.safetensors", "bogus")


def test_models_are_found_by_id_prefix_path_or_title_and_a_miss_suggests(library, model_tree):
    library.add_folder(model_tree)
    library.scan()
    lora = _by_title(library)["style.safetensors"]
    assert library.get(lora.id).hash == lora.hash
    assert library.get(lora.hash[:8]).hash == lora.hash
    assert library.get(str(model_tree / "lora" / "style.safetensors")).hash == lora.hash
    with pytest.raises(ModelNotFoundError, match="Did you mean style.safetensors"):
        library.get("style.safetensor")


def test_filters_by_kind_architecture_status_and_text(library, model_tree):
    library.add_folder(model_tree)
    library.scan()
    assert {m.title for m in library.models(architecture="SD 1.x")} == {
        "sd-tiny", "style.safetensors", "sd1.safetensors"}
    assert [m.title for m in library.models(kind="lora")] == ["style.safetensors"]
    assert [m.title for m in library.models(status="unknown")] == ["mystery.safetensors"]
    assert [m.title for m in library.models(text="LLAMA")] == ["org/tiny-llama"]


def test_scan_progress_and_change_events_reach_subscribers(library, model_tree):
    seen = {"started": 0, "progress": [], "finished": [], "changed": []}
    library.events.scan_started.connect(lambda: seen.__setitem__("started", seen["started"] + 1))
    library.events.scan_progress.connect(seen["progress"].append)
    library.events.scan_finished.connect(seen["finished"].append)
    library.events.models_changed.connect(seen["changed"].append)
    library.add_folder(model_tree)
    library.scan()
    assert seen["started"] == 1
    assert {p.phase for p in seen["progress"]} >= {"finding", "done"}
    assert seen["progress"][-1].bytes_done == seen["progress"][-1].bytes_total == seen["finished"][0].hashed_bytes
    assert len(seen["changed"][0]) == 7 and all(len(h) == 64 for h in seen["changed"][0])


def test_a_background_scan_leaves_the_caller_free_and_reports_at_the_end(library, model_tree):
    library.add_folder(model_tree)
    threads = []
    library.events.scan_progress.connect(lambda p: threads.append(__import__("threading").current_thread().name))
    task = library.start_scan()
    report = task.wait(timeout=60)
    assert report is not None and len(report.new_models) == 7
    assert set(threads) == {"genloom-model-scan"}


def test_a_cancelled_scan_keeps_what_it_did_and_marks_nothing_missing(library, model_tree):
    library.add_folder(model_tree)
    library.scan()
    (model_tree / "lora" / "style.safetensors").unlink()
    cancel = __import__("threading").Event()
    library.events.scan_progress.connect(lambda p: cancel.set())  # at the first progress report
    report = library.scan(cancel=cancel)
    assert report.cancelled
    assert _by_title(library)["style.safetensors"].status == "ok"  # not judged missing by a partial scan


def test_watching_rescans_watched_folders(library, model_tree):
    library.add_folder(model_tree / "lora", watch=True)
    library.scan()
    finished = []
    library.events.scan_finished.connect(finished.append)
    library.watch(interval_s=0.05)
    builders.sd1_checkpoint(model_tree / "lora" / "dropped-in.safetensors")
    deadline = time.monotonic() + 30
    while "dropped-in.safetensors" not in _by_title(library) and time.monotonic() < deadline:
        time.sleep(0.05)
    library.stop_watching()
    assert _by_title(library)["dropped-in.safetensors"].kind == "sd-checkpoint"
    assert finished


def test_adding_a_folder_that_does_not_exist_says_so(library, tmp_path):
    with pytest.raises(Exception, match="does not exist"):
        library.add_folder(tmp_path / "nope")


def test_without_plugins_the_fallbacks_still_identify_onnx_and_pickle(model_tree, hf_cache):
    library = ModelLibrary(plugins=None, hf_cache=False)
    library.add_folder(model_tree / "misc")
    library.add_folder(model_tree / "single-file")
    library.scan()
    models = _by_title(library)
    assert models["linear.onnx"].kind == "onnx"
    assert models["evil.ckpt"].status == "refused"
    assert models["sd1.safetensors"].status == "unknown"
    library.close()
