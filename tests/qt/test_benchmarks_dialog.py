"""Help ▸ Benchmarks: stored results, a real `genloom bench` run in a child process, the
report copied, and the model library showing a model's figures."""

from __future__ import annotations

import time

import pytest
from PySide6.QtGui import QGuiApplication

from genloom._qt.benchmarks_dialog import BenchmarksDialog
from genloom._qt.model_library import ModelLibraryDialog
from genloom.core import benchmarking
from genloom.core.models import ModelLibrary

TIMEOUT = 300_000


@pytest.fixture
def builtins(genloom_plugins):
    return genloom_plugins(entry_points=True)


def _stored(**changes):
    base = dict(generator_id="text.complete", modality="text", model_id="text.fortune-llama",
                model_hash="", model_title="Fortune", backend="torch", device="cpu", dtype="float32",
                params={}, runs=3, load_seconds=0.5, seconds=1.0, rate=88.0, unit="tokens/s",
                first_seconds=0.02, created=time.time())
    base.update(changes)
    return benchmarking.BenchResult(**base)


def test_stored_results_are_listed_and_the_report_is_copied(qtbot, builtins):
    benchmarking.save_result(_stored())
    dialog = BenchmarksDialog(builtins)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 1
    assert dialog.table.item(0, 0).text() == "text.complete"
    assert "88.00 tokens/s" in dialog.table.item(0, 3).text()
    dialog.copy_report()
    copied = QGuiApplication.clipboard().text()
    assert "text.complete" in copied and "88.00 tokens/s" in copied
    QGuiApplication.clipboard().clear()
    generators = [dialog.generator.itemData(i) for i in range(dialog.generator.count())]
    assert generators[0] == "" and "image.text_to_image" in generators and "image.image_to_image" not in generators


def test_run_measures_in_a_child_process_and_the_table_shows_it(qtbot, builtins):
    dialog = BenchmarksDialog(builtins)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 0 and not dialog.copy_button.isEnabled()
    dialog.generator.setCurrentIndex(dialog.generator.findData("code.complete"))
    dialog.runs.setValue(1)
    dialog.run(["--set", "max_new_tokens=8"])
    assert dialog.is_running() and not dialog.run_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=TIMEOUT)
    log = dialog.log.toPlainText()
    assert "Done." in log, log
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 0).text() == "code.complete"
    assert "tokens/s" in dialog.table.item(0, 3).text()
    assert dialog.run_button.isEnabled()


def test_a_failed_run_says_so(qtbot, builtins):
    dialog = BenchmarksDialog(builtins)
    qtbot.addWidget(dialog)
    dialog.run(["no.such_generator"])
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=TIMEOUT)
    assert "exit code 3" in dialog.log.toPlainText()
    assert dialog.table.rowCount() == 0


def test_the_model_library_shows_a_models_speed(qtbot, builtins):
    library = ModelLibrary(builtins, hf_cache=False)
    dialog = ModelLibraryDialog(library)
    qtbot.addWidget(dialog)
    entry = next(m for m in library.models() if m.details.get("bundled_id") == "text.fortune-llama")
    assert dialog.select(entry.hash)
    assert "speed on this machine: not measured" in dialog.details.toPlainText()
    benchmarking.save_result(_stored(model_hash=entry.hash))
    dialog.select("")
    dialog.select(entry.hash)
    dialog._show_details()
    assert "text.complete torch/cpu/float32: 88.00 tokens/s" in dialog.details.toPlainText()
    library.close()
