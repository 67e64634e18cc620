"""The model library dialog over a real library and real tiny model files."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from genloom._qt.model_library import ModelLibraryDialog
from genloom.core.models import ModelLibrary
from tests.core.models import builders
from tests.core.models.conftest import MODEL_PLUGINS

TIMEOUT = 60_000


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "my-models"
    builders.kohya_lora(root / "lora" / "ink-style.safetensors")
    builders.unknown_safetensors(root / "misc" / "mystery.safetensors")
    builders.malicious_pickle(root / "old" / "legacy.ckpt", tmp_path / "PWNED")
    return root


@pytest.fixture
def dialog(qtbot, genloom_plugins):
    library = ModelLibrary(genloom_plugins(dirs=[MODEL_PLUGINS]), hf_cache=False)
    view = ModelLibraryDialog(library)
    qtbot.addWidget(view)
    yield view
    library.close()


def _rows(dialog):
    return {dialog.table.item(r, 0).text(): [dialog.table.item(r, c).text() for c in range(8)]
            for r in range(dialog.table.rowCount())}


def test_add_folder_scans_with_progress_and_lists_each_model(qtbot, dialog, folder, tmp_path):
    finished = []
    dialog.signals.scan_finished.connect(finished.append)
    dialog.add_folder(str(folder))
    qtbot.waitUntil(lambda: bool(finished), timeout=TIMEOUT)
    rows = _rows(dialog)
    lora = next(v for k, v in rows.items() if "ink-style" in k)
    assert lora[1] == "lora" and lora[7] == "ok"
    mystery = next(v for k, v in rows.items() if "mystery" in k)
    assert mystery[7] == "unknown type"
    legacy = next(v for k, v in rows.items() if "legacy" in k)
    assert legacy[7] == "refused"
    assert not (tmp_path / "PWNED").exists()
    assert dialog.progress.isHidden()
    assert dialog.progress_label.text() == str(finished[0])


def test_the_list_opens_a_to_z_ignoring_case_and_sorts_sizes_by_bytes(qtbot, dialog, folder):
    finished = []
    dialog.signals.scan_finished.connect(finished.append)
    dialog.add_folder(str(folder))
    qtbot.waitUntil(lambda: bool(finished), timeout=TIMEOUT)
    column = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert len(column) >= 3 and column == sorted(column, key=str.casefold)
    dialog.table.sortByColumn(4, Qt.SortOrder.AscendingOrder)
    by_hash = {e.hash: e.size for e in dialog.entries}
    sizes = [by_hash[dialog.table.item(r, 4).data(Qt.ItemDataRole.UserRole)]
             for r in range(dialog.table.rowCount())]
    assert sizes == sorted(sizes) and len(set(sizes)) > 1


def test_filters_search_set_type_and_forget_leave_files_alone(qtbot, dialog, folder):
    finished = []
    dialog.signals.scan_finished.connect(finished.append)
    before = builders.tree_digest(folder)
    dialog.add_folder(str(folder))
    qtbot.waitUntil(lambda: bool(finished), timeout=TIMEOUT)
    dialog.status.setCurrentIndex(dialog.status.findData("unknown"))
    assert len(_rows(dialog)) == 1 and "mystery" in next(iter(_rows(dialog)))
    dialog.table.setCurrentCell(0, 0)
    dialog.set_type("lora")
    dialog.status.setCurrentIndex(0)
    dialog.search.setText("mystery")
    (row,) = _rows(dialog).values()
    assert row[1] == "lora"
    dialog.table.setCurrentCell(0, 0)
    assert "set by hand" in dialog.details.toPlainText()
    entry = dialog.selected()
    dialog.library.forget(entry.hash)
    dialog.reload()
    assert _rows(dialog) == {}
    assert builders.tree_digest(folder) == before


def test_pickle_can_be_allowed_for_that_one_file(qtbot, dialog, folder):
    finished = []
    dialog.signals.scan_finished.connect(finished.append)
    dialog.add_folder(str(folder))
    qtbot.waitUntil(lambda: bool(finished), timeout=TIMEOUT)
    dialog.search.setText("legacy")
    dialog.table.setCurrentCell(0, 0)
    assert dialog.pickle_button.isEnabled()
    dialog.allow_pickle(confirmed=True)
    assert dialog.library.get(dialog.selected().hash).allow_pickle
    dialog.table.setCurrentCell(0, 1)
    assert "pickle loading allowed for this file (weights-only)" in dialog.details.toPlainText()


def test_form_offers_library_models_of_the_kinds_the_generator_loads(qtbot, genloom_plugins, tmp_path):
    from genloom._qt.param_form import ParamForm
    from genloom.sdk import GeneratorSpec

    spec = GeneratorSpec(id="t.styled", modality="image", title="Styled", factory=object,
                         model_kinds=("lora",), default_model=None)
    form = ParamForm(spec)
    qtbot.addWidget(form)
    assert form.model_combo.count() == 1 and form.model_key() is None
    form.set_models([("ink-style [lora]", "abc123")])
    form.model_combo.setCurrentIndex(1)
    assert form.model_key() == "abc123"
    assert form.model_combo.itemText(0) == "Default"
