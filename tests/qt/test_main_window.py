"""The real main window, offscreen, with a real engine, worker and project."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from genloom._qt.main_window import MainWindow
from genloom.core.settings import Settings
from tests.qt.media import png_bytes

TIMEOUT = 60_000


@pytest.fixture
def window(qtbot, fixture_plugins, genloom_project):
    win = MainWindow(Settings(), fixture_plugins, genloom_project)
    qtbot.addWidget(win)
    win.show()
    win.start_engine()
    yield win
    win.stop_engine()


def _jobs(window, state=None):
    return window.project.jobs.list(states=[state] if state else None)


def test_pick_fill_generate_and_see_the_asset_in_gallery_and_inspector(qtbot, window):
    assert window.generate_panel.picker.select("gltest_basic.echo")
    assert window.generate_panel.form.spec.id == "gltest_basic.echo"
    window.generate_panel.form.fields["prompt"].set("harbour lights")
    window.generate_panel.form.fields["steps"].set(3)
    window.generate_panel.generate_button.click()
    qtbot.waitUntil(lambda: [j.state for j in _jobs(window)] == ["done"], timeout=TIMEOUT)
    (job,) = _jobs(window)
    qtbot.waitUntil(lambda: window.gallery.model.total() == 1, timeout=TIMEOUT)
    assert window.generate_panel.form.seed.edit.text() == str(job.seed)  # the seed used is shown
    assert window.gallery.select_asset(job.asset_ids[0])
    qtbot.waitUntil(lambda: window.inspector.asset() is not None, timeout=TIMEOUT)
    assert window.inspector.asset().id == job.asset_ids[0]
    assert "harbour lights" in window.inspector.viewer().toPlainText()


def test_progress_reaches_the_queue_panel_while_running(qtbot, window):
    window.generate_panel.picker.select("gltest_basic.echo")
    window.generate_panel.form.fields["prompt"].set("slow")
    window.generate_panel.form.fields["steps"].set(10)
    window.generate_panel.form.fields["delay"].set(0.1)
    seen = []
    window.projects.bridge.job_progress.connect(lambda p: seen.append(p.step))
    window.generate_panel.generate()
    qtbot.waitUntil(lambda: [j.state for j in _jobs(window)] == ["done"], timeout=TIMEOUT)
    qtbot.waitUntil(lambda: seen and seen[-1] == 10, timeout=TIMEOUT)  # the last flush follows shortly
    assert seen == sorted(seen)


def test_empty_prompt_is_shown_beside_the_field_and_nothing_is_queued(qtbot, window):
    window.generate_panel.picker.select("gltest_basic.echo")
    window.generate_panel.form.fields["prompt"].set("")  # the first form's prompt carries over
    assert window.generate_panel.generate() == []
    assert window.generate_panel.form.errors["prompt"].isVisible()
    assert _jobs(window) == []


def test_escape_cancels_the_running_job(qtbot, window):
    window.generate_panel.picker.select("gltest_basic.pixels")
    window.generate_panel.form.fields["steps"].set(100)
    window.generate_panel.form.fields["delay"].set(0.05)
    window.generate_panel.generate()
    qtbot.waitUntil(lambda: bool(_jobs(window, "running")), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.projects.bridge.progress_of(_jobs(window)[0].id) is not None, timeout=TIMEOUT)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: [j.state for j in _jobs(window)] == ["cancelled"], timeout=TIMEOUT)
    assert window.project.count_assets() == 0


def test_rerun_from_the_inspector_makes_the_same_output_with_lineage(qtbot, window):
    window.generate_panel.picker.select("gltest_basic.pixels")
    window.generate_panel.generate()
    qtbot.waitUntil(lambda: [j.state for j in _jobs(window)] == ["done"], timeout=TIMEOUT)
    original = _jobs(window)[0].asset_ids[0]
    window.jump_to_asset(original)
    window.inspector.rerun_requested.emit(original, False)
    qtbot.waitUntil(lambda: len(_jobs(window, "done")) == 2, timeout=TIMEOUT)
    newest = window.project.list_assets(limit=1)[0]
    assert newest.hash == window.project.get_asset(original).hash
    assert [p.id for p in window.project.parents(newest.id)] == [original]


def test_use_as_input_switches_to_a_generator_that_takes_the_asset(qtbot, window):
    image = window.project.add_asset(png_bytes(), kind="image", suffix=".png")
    window.generate_panel.picker.select("gltest_basic.echo")
    window.generate_panel.use_as_input(image.id)
    assert window.generate_panel.form.spec.id == "gltest_basic.invert"
    assert window.generate_panel.form.input_ids() == {"image": image.id}
    window.generate_panel.generate()
    qtbot.waitUntil(lambda: [j.state for j in _jobs(window)] == ["done"], timeout=TIMEOUT)
    child = window.project.get_asset(_jobs(window)[0].asset_ids[0])
    assert [p.id for p in window.project.parents(child.id)] == [image.id]


def test_text_asset_used_as_input_fills_the_prompt(qtbot, window):
    text = window.project.add_asset(b"a lantern in fog", kind="text", suffix=".txt")
    window.generate_panel.picker.select("gltest_basic.echo")
    window.generate_panel.use_as_input(text.id)
    assert window.generate_panel.form.raw_values()["prompt"] == "a lantern in fog"


def test_dropping_files_imports_them(qtbot, window, tmp_path):
    picture = tmp_path / "dropped.png"
    picture.write_bytes(png_bytes())
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(picture))])
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    (asset,) = window.project.list_assets()
    assert (asset.kind, asset.title) == ("image", "dropped")
    qtbot.waitUntil(lambda: window.gallery.model.total() == 1, timeout=TIMEOUT)


def test_a_worker_crash_is_a_failed_job_and_the_window_lives_on(qtbot, window):
    window.generate_panel.picker.select("gltest_basic.misbehave")
    window.generate_panel.form.fields["how"].set("exit")
    window.generate_panel.generate()
    qtbot.waitUntil(lambda: [j.state for j in _jobs(window)] == ["failed"], timeout=TIMEOUT)
    assert "worker process crashed" in _jobs(window)[0].error
    assert window.isVisible()
    window.generate_panel.picker.select("gltest_basic.echo")
    window.generate_panel.form.fields["prompt"].set("still here")
    window.generate_panel.generate()
    qtbot.waitUntil(lambda: len(_jobs(window, "done")) == 1, timeout=TIMEOUT)


def test_closing_mid_job_puts_it_back_in_the_queue(qtbot, window):
    window.generate_panel.picker.select("gltest_basic.echo")
    window.generate_panel.form.fields["prompt"].set("interrupted")
    window.generate_panel.form.fields["steps"].set(50)
    window.generate_panel.form.fields["delay"].set(0.1)
    window.generate_panel.generate()
    qtbot.waitUntil(lambda: bool(_jobs(window, "running")), timeout=TIMEOUT)
    path = window.project.path
    window.close()
    from genloom.core.project import Project

    with Project.open(path) as reopened:
        assert [j.state for j in reopened.jobs.list()] == ["queued"]


def test_switching_project_rewires_gallery_queue_and_engine(qtbot, window, tmp_path):
    assert window.open_project(tmp_path / "second", create=True)
    assert window.project.path == tmp_path / "second"
    assert window.gallery.model.total() == 0
    window.generate_panel.picker.select("gltest_basic.echo")
    window.generate_panel.form.fields["prompt"].set("in the second project")
    window.generate_panel.generate()
    qtbot.waitUntil(lambda: [j.state for j in _jobs(window)] == ["done"], timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.gallery.model.total() == 1, timeout=TIMEOUT)
    assert window.settings.recent_projects[0] == str((tmp_path / "second").resolve())


def test_sigterm_closes_the_window_and_puts_the_running_job_back(qtbot, window):
    import os
    import signal

    from genloom._qt.startup import close_on_sigterm

    window.generate_panel.picker.select("gltest_basic.echo")
    window.generate_panel.form.fields["prompt"].set("terminated")
    window.generate_panel.form.fields["steps"].set(50)
    window.generate_panel.form.fields["delay"].set(0.1)
    window.generate_panel.generate()
    qtbot.waitUntil(lambda: bool(_jobs(window, "running")), timeout=TIMEOUT)
    path = window.project.path
    previous = signal.getsignal(signal.SIGTERM)
    try:
        _timer = close_on_sigterm(window)
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=TIMEOUT)
    finally:
        signal.signal(signal.SIGTERM, previous)
    from genloom.core.project import Project

    with Project.open(path) as reopened:
        assert [j.state for j in reopened.jobs.list()] == ["queued"]


def test_a_missing_input_is_explained_in_the_apps_words_not_the_cli_syntax(qtbot, window):
    window.generate_panel.picker.select("gltest_basic.invert")
    assert window.generate_panel.generate() == []
    message = window.generate_panel.form_message.text()
    assert "'image'" in message and "slot" in message
    assert "--input" not in message and "`genloom" not in message
    assert _jobs(window) == []
