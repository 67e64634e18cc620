"""Settings > Precision: the dtype choice is offered, saved, and a failed save keeps the old value."""

from __future__ import annotations

from genloom._qt.dialogs import SettingsDialog
from genloom.core.settings import DTYPE_CHOICES, Settings


def test_the_precision_choice_is_offered_and_saved(qtbot, genloom_home):
    settings = Settings()
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    assert [dialog.dtype.itemText(i) for i in range(dialog.dtype.count())] == list(DTYPE_CHOICES)
    assert dialog.dtype.currentText() == "auto"
    dialog.dtype.setCurrentText("bfloat16")
    dialog._save()
    assert Settings.load().dtype == "bfloat16"


def test_a_failed_save_puts_the_precision_back(qtbot, genloom_home):
    settings = Settings(dtype="float16")
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.dtype.currentText() == "float16"
    dialog.dtype.setCurrentText("float32")
    dialog.device.setCurrentText("quantum")  # refused: nothing of this save is kept
    dialog._save()
    assert "device: 'quantum'" in dialog.error.text()
    assert settings.dtype == "float16"
