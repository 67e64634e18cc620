"""Model licences: read from safetensors headers and cards, restrictive ones flagged once, named in recipes."""

from __future__ import annotations

import numpy as np
import pytest
from safetensors.numpy import save_file

from genloom.core.models import ModelLibrary
from genloom.core.models.licences import acknowledge, classify, notice
from genloom.core.settings import Settings


@pytest.mark.parametrize("licence,restricted", [
    ("creativeml-openrail-m", True), ("openrail++", True), ("llama3.1", True), ("cc-by-nc-4.0", True),
    ("flux-1-dev-non-commercial-license", True), ("Some-NonCommercial-Research", True),
    ("apache-2.0", False), ("mit", False), ("cc0-1.0", False), ("", False)])
def test_classify_says_which_licences_restrict_use(licence, restricted):
    info = classify(licence)
    assert info.restricted is restricted
    assert info.label.endswith("(restricted)") is restricted
    assert info.summary


def test_the_library_reads_a_checkpoints_licence_from_its_safetensors_header(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    save_file({"w": np.zeros((2, 2), np.float32)}, str(folder / "restricted.safetensors"),
              metadata={"modelspec.license": "creativeml-openrail-m"})
    save_file({"w": np.ones((2, 2), np.float32)}, str(folder / "plain.safetensors"))
    library = ModelLibrary(None, index_path=tmp_path / "index.sqlite", hf_cache=False)
    library.add_folder(folder)
    library.scan()
    licences = {m.title: m.licence for m in library.models()}
    assert licences == {"restricted.safetensors": "creativeml-openrail-m", "plain.safetensors": ""}
    entry = library.get("restricted.safetensors")
    assert entry.to_ref().to_dict()["licence"] == "creativeml-openrail-m"  # what a job's recipe records
    library.close()


def test_the_library_reads_a_folders_licence_from_its_card(tmp_path):
    from genloom.core.models.identify import licence_from_model_card

    (tmp_path / "README.md").write_text("---\nlicense: llama3.1\ntags: [text]\n---\n# A model\n")
    assert licence_from_model_card(tmp_path) == "llama3.1"


def test_a_restrictive_licence_is_flagged_once_per_model_and_remembered(genloom_home):
    model = {"title": "Tiny SD", "hash": "c" * 64, "licence": "creativeml-openrail-m"}
    settings = Settings()
    text = notice(model, settings)
    assert text is not None and "creativeml-openrail-m" in text and "restricts its use" in text
    acknowledge(model, settings)
    assert notice(model, Settings.load()) is None  # saved: not asked again
    assert notice({**model, "hash": "d" * 64}, Settings.load()) is not None  # another model is
    assert notice({**model, "licence": "apache-2.0"}, Settings()) is None


def test_settings_refuse_malformed_provenance_values_with_the_key(genloom_home):
    import json

    from genloom.core.settings import SettingsError

    path = Settings.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    for bad, key in (({"acknowledged_licences": "abc"}, "acknowledged_licences"),
                     ({"provenance_watermark": "no"}, "provenance_watermark")):
        path.write_text(json.dumps(bad))
        with pytest.raises(SettingsError, match=key):
            Settings.load()
