"""A damaged project given to the app is reported, not shown as an empty window."""

from __future__ import annotations

import sqlite3

from genloom._qt.startup import build_window
from genloom.core.project import Project
from genloom.core.settings import Settings


def _damaged(root):
    with Project.create(root) as project:
        project.add_asset(b"keep me", kind="text", suffix=".txt")
    for name in ("genloom.db", "genloom.db-wal", "genloom.db-shm"):
        (root / name).unlink(missing_ok=True)
    (root / "genloom.db").write_bytes(b"")
    return sorted(p for p in (root / "assets").rglob("*") if p.is_file())


def test_a_damaged_project_on_the_command_line_is_reported(qtbot, tmp_path):
    files = _damaged(tmp_path / "shared")
    _app, window = build_window(["genloom-app", str(tmp_path / "shared")])
    qtbot.addWidget(window)
    assert window.problem_box.isVisible()
    assert "genloom.db is empty but assets/ holds files" in window.problem_box.text()
    assert "was opened instead" in window.problem_box.text()
    assert window.project.path.name == "My first project"
    assert all(f.exists() for f in files) and (tmp_path / "shared/genloom.db").stat().st_size == 0


def test_a_last_project_that_became_foreign_is_reported_not_silently_replaced(qtbot, tmp_path):
    root = tmp_path / "last"
    root.mkdir()
    with sqlite3.connect(root / "genloom.db") as conn:
        conn.execute("CREATE TABLE moz_places (id INTEGER)")
    settings = Settings.load()
    settings.remember_project(root)
    settings.save()
    _app, window = build_window(["genloom-app"])
    qtbot.addWidget(window)
    assert "another program" in window.problem_box.text()
    assert str(root) in window.problem_box.text()


def test_the_app_logs_to_a_file_and_the_problem_is_in_it(qtbot, tmp_path, genloom_home):
    import logging

    _damaged(tmp_path / "shared")
    _app, window = build_window(["genloom-app", str(tmp_path / "shared")])
    qtbot.addWidget(window)
    for handler in logging.getLogger().handlers:
        handler.flush()
    log = genloom_home / "logs" / "app.log"
    try:
        assert "genloom.db is empty but assets/ holds files" in log.read_text()
    finally:  # leave the process's logging as the other tests expect it
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "baseFilename", "") == str(log)]:
            root.removeHandler(handler)
            handler.close()


def test_a_damaged_default_project_is_left_alone_and_a_fresh_one_opens(qtbot, genloom_home):
    from genloom.core import paths

    default = paths.default_projects_dir() / "My first project"
    files = _damaged(default)
    _app, window = build_window(["genloom-app"])
    qtbot.addWidget(window)
    assert window.project.path == default.with_name("My first project 2")
    assert window.problem_box.isVisible()
    assert str(default) in window.problem_box.text()
    assert "was opened instead" in window.problem_box.text()
    assert all(f.exists() for f in files) and (default / "genloom.db").stat().st_size == 0
