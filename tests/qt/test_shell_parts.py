"""The shell's own widgets driven offscreen: form, picker, queue, bridge, dialogs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QPlainTextEdit, QSpinBox

from genloom._qt.bridge import EngineBridge
from genloom._qt.dialogs import PluginDialog, SettingsDialog
from genloom._qt.generator_picker import GeneratorPicker
from genloom._qt.param_form import ParamForm
from genloom._qt.queue_panel import QueuePanel
from genloom.core.jobs.engine import Engine
from genloom.core.settings import Settings
from genloom.sdk import ParameterError


def test_form_builds_the_right_widget_per_parameter_with_tooltips(qtbot, fixture_plugins):
    form = ParamForm(fixture_plugins.generator("gltest_basic.echo"))
    qtbot.addWidget(form)
    assert isinstance(form.fields["prompt"].widget, QPlainTextEdit)
    assert form.fields["steps"].widget.findChild(QSpinBox) is not None  # spin box + slider
    assert isinstance(form.fields["shout"].widget, QCheckBox)
    pixels = ParamForm(fixture_plugins.generator("gltest_basic.pixels"))
    qtbot.addWidget(pixels)
    assert isinstance(pixels.fields["palette"].widget, QComboBox)
    assert pixels.fields["palette"].widget.toolTip() == "Palette"  # no description: the title
    assert form.fields["steps"].widget.toolTip() == "Steps"


def test_form_values_are_validated_by_the_spec_and_errors_show_beside_the_field(qtbot, fixture_plugins):
    form = ParamForm(fixture_plugins.generator("gltest_basic.echo"))
    qtbot.addWidget(form)
    form.show()
    with pytest.raises(ParameterError):
        form.values()
    assert form.errors["prompt"].isVisible()
    assert "prompt: '' is empty" in form.errors["prompt"].text()
    form.fields["prompt"].set("a quiet harbour")
    assert not form.errors["prompt"].isVisible()
    form.fields["steps"].set(7)
    assert form.values() == {"prompt": "a quiet harbour", "steps": 7, "delay": 0.0, "shout": False}


def test_seed_row_random_unless_locked(qtbot, fixture_plugins):
    form = ParamForm(fixture_plugins.generator("gltest_basic.echo"))
    qtbot.addWidget(form)
    assert form.seed.seed() is None
    form.seed.edit.setText("1234")
    assert form.seed.seed() is None
    form.seed.lock.setChecked(True)
    assert form.seed.seed() == 1234
    form.seed.show_used(99)
    assert form.seed.edit.text() == "1234"


def test_picker_groups_by_modality_and_filters(qtbot, fixture_plugins):
    picker = GeneratorPicker()
    qtbot.addWidget(picker)
    picker.set_generators(list(fixture_plugins.generators.values()))
    groups = [picker.tree.topLevelItem(i).text(0) for i in range(picker.tree.topLevelItemCount())]
    assert groups == ["Text  (2)", "Image  (3)", "Audio  (0)", "Video  (0)", "Code  (1)"]
    with qtbot.waitSignal(picker.generator_selected) as signal:
        assert picker.select("gltest_basic.pixels")
    assert signal.args == ["gltest_basic.pixels"]
    picker.filter.setText("invert")
    assert picker._items["gltest_basic.pixels"].isHidden()
    assert not picker._items["gltest_basic.invert"].isHidden()
    # Modalities without a match go; the others count what they show.
    shown = [picker.tree.topLevelItem(i) for i in range(picker.tree.topLevelItemCount())]
    assert [g.text(0) for g in shown if not g.isHidden()] == ["Image  (1 of 3)"]
    picker.filter.setText("image")  # a modality's name shows all of it
    assert [g.text(0) for g in shown if not g.isHidden()] == ["Image  (3)"]
    picker.filter.setText("")
    assert [g.text(0) for g in shown if not g.isHidden()] == groups


def test_queue_panel_follows_a_real_job_to_done(qtbot, fixture_plugins, genloom_project, genloom_engine):
    bridge = EngineBridge()
    panel = QueuePanel(bridge)
    qtbot.addWidget(panel)
    panel.set_project(genloom_project)
    engine = genloom_engine(fixture_plugins)
    bridge.attach(engine)
    progress = []
    bridge.job_progress.connect(lambda p: progress.append((p.step, p.text)))
    (job,) = engine.submit("gltest_basic.echo", {"prompt": "tide", "steps": 5, "delay": 0.05}, seed=3)
    qtbot.waitUntil(lambda: any(j.id == job.id and j.state == "done" for j in panel.model.jobs), timeout=60000)
    assert progress and progress[-1][0] == 5
    final_text = progress[-1][1]
    assert final_text.count(" ") == 5  # five streamed words, none dropped by throttling
    panel.select_job(job.id)
    assert f"job {job.id}: gltest_basic.echo (done)" in panel.details.toPlainText()
    assert not panel.cancel_button.isEnabled() and not panel.retry_button.isEnabled()


def test_queue_panel_shows_the_full_error_and_offers_retry(qtbot, fixture_plugins, genloom_project,
                                                          genloom_engine):
    bridge = EngineBridge()
    panel = QueuePanel(bridge)
    qtbot.addWidget(panel)
    panel.set_project(genloom_project)
    engine = genloom_engine(fixture_plugins)
    bridge.attach(engine)
    (job,) = engine.submit("gltest_basic.misbehave", {"how": "raise"})
    qtbot.waitUntil(lambda: any(j.id == job.id and j.state == "failed" for j in panel.model.jobs), timeout=60000)
    panel.select_job(job.id)
    assert "the generator broke on purpose" in panel.details.toPlainText()
    assert "Traceback" in panel.details.toPlainText()
    assert panel.retry_button.isEnabled()
    with qtbot.waitSignal(panel.retry_requested) as signal:
        panel.retry_button.click()
    assert signal.args == [job.id]


def test_queue_reorder_buttons_emit_moves(qtbot, fixture_plugins, genloom_project):
    bridge = EngineBridge()
    panel = QueuePanel(bridge)
    qtbot.addWidget(panel)
    engine = Engine(genloom_project, fixture_plugins)
    jobs = engine.submit("gltest_basic.echo", {"prompt": "x"}, count=3)
    panel.set_project(genloom_project)
    panel.select_job(jobs[2].id)
    assert panel.up_button.isEnabled()
    with qtbot.waitSignal(panel.move_requested) as signal:
        panel.up_button.click()
    assert signal.args == [jobs[2].id, 1]


def test_queue_rows_follow_the_width_of_the_queue_and_never_scroll_sideways(qtbot, fixture_plugins,
                                                                          genloom_project):
    """The rows were sized once, at the width the list first had; a queue made narrower
    afterwards (a restored layout, a moved splitter) scrolled sideways under them."""
    bridge = EngineBridge()
    panel = QueuePanel(bridge)
    qtbot.addWidget(panel)
    Engine(genloom_project, fixture_plugins).submit("gltest_basic.echo", {"prompt": "x"}, count=3)
    panel.set_project(genloom_project)
    panel.resize(1000, 300)
    panel.show()
    view = panel.view
    first = view.model().index(0, 0)
    for width in (700, 1100):
        panel.resize(width, 300)
        qtbot.waitUntil(lambda: abs(view.visualRect(first).width() - view.viewport().width()) <= 1)
        assert view.horizontalScrollBar().maximum() == 0


def test_plugin_dialog_shows_a_failed_plugin_with_its_traceback(qtbot, fixture_plugins, genloom_home):
    settings = Settings()
    dialog = PluginDialog(fixture_plugins, settings)
    qtbot.addWidget(dialog)
    assert "gltest_bad_return  — failed" in dialog.detail.toPlainText()  # the first failure is shown
    broken = next(i for i, r in enumerate(dialog.records) if r.name == "gltest_broken_import")
    dialog.table.setCurrentCell(broken, 1)
    shown = dialog.detail.toPlainText()
    assert "Traceback" in shown and "needs a library that is not installed" in shown
    row = next(i for i, r in enumerate(dialog.records) if r.name == "gltest_basic")
    dialog.table.item(row, 0).setCheckState(Qt.CheckState.Unchecked)
    dialog._save()
    assert Settings.load().disabled_plugins == ["gltest_basic"]


def test_settings_dialog_refuses_a_bad_device_and_keeps_the_old_value(qtbot, genloom_home):
    settings = Settings()
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.device.setCurrentText("quantum")
    dialog._save()
    assert dialog.error.isVisibleTo(dialog) and "device: 'quantum'" in dialog.error.text()
    assert settings.device == "auto"
    dialog.device.setCurrentText("cpu")
    dialog.theme.setCurrentText("light")
    dialog._save()
    assert Settings.load().device == "cpu" and Settings.load().theme == "light"


def test_settings_dialog_saves_the_memory_budget(qtbot, genloom_home):
    settings = Settings()
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.budget.text() == "automatic"
    dialog.budget.setValue(6144)
    dialog._save()
    assert Settings.load().model_memory_budget_mb == 6144


def test_the_app_words_every_remedy():
    from genloom._qt.remedies import APP_PHRASES
    from genloom.sdk.errors import REMEDY_ACTIONS

    assert set(APP_PHRASES) == set(REMEDY_ACTIONS)
    assert not any("--" in phrase for phrase in APP_PHRASES.values())


def test_plugin_dialog_lists_a_broken_plugins_declared_generators_as_unavailable(qtbot, genloom_plugins, tmp_path):
    import shutil

    from tests.core.test_manifest import SDK_PLUGINS

    shutil.copytree(SDK_PLUGINS / "shipsmodel", tmp_path / "shipsmodel")
    (tmp_path / "shipsmodel" / "__init__.py").write_text("import no_such_library_genloom\n")
    dialog = PluginDialog(genloom_plugins(dirs=[tmp_path]), Settings())
    qtbot.addWidget(dialog)
    (row,) = [i for i, r in enumerate(dialog.records) if r.name == "shipsmodel"]
    assert dialog.table.item(row, 4).text() == ("shipsmodel.lookup, shipsmodel.plain "
                                                "(unavailable: plugin failed)")
    dialog.table.setCurrentCell(row, 1)
    shown = dialog.detail.toPlainText()
    assert "Ships a model" in shown and f"manifest: {tmp_path / 'shipsmodel' / 'genloom-plugin.toml'}" in shown
