"""The app runs the local API when Settings turns it on (off by default) and shows it in
the status bar with its address; jobs sent to it run on the app's engine."""

from __future__ import annotations

import socket

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from genloom._qt.dialogs import SettingsDialog
from genloom._qt.main_window import MainWindow
from genloom.core.settings import Settings

httpx = pytest.importorskip("httpx", reason="the API tests need the dev extra (httpx)")
pytest.importorskip("uvicorn", reason="the local API needs the 'api' extra")

TIMEOUT = 60_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


@pytest.fixture
def window(qtbot, fixture_plugins, genloom_project):
    settings = Settings(api_port=_free_port())
    win = MainWindow(settings, fixture_plugins, genloom_project)
    qtbot.addWidget(win)
    win.show()
    win.start_engine()
    yield win
    win.close()


def test_the_api_is_off_by_default_and_nothing_listens(window):
    assert Settings().api_enabled is False
    assert window.api.server is None
    assert not window.status_api.isVisible()
    assert not _listening(window.settings.api_port)


def test_turning_it_on_in_settings_serves_the_project_and_the_status_bar_says_where(qtbot, window,
                                                                                  genloom_project):
    port = window.settings.api_port
    dialog = SettingsDialog(window.settings, window)
    qtbot.addWidget(dialog)
    assert not dialog.api_enabled.isChecked()
    dialog.api_enabled.setChecked(True)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    assert window.settings.api_enabled is True
    assert Settings.load().api_enabled is True  # saved
    window.api.apply_settings()  # what show_settings does once the dialog is accepted

    assert window.status_api.isVisible()
    assert window.status_api.text() == f"API on http://127.0.0.1:{port}"
    token = window.api.server.token
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                          headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/health").json()["project"] == genloom_project.name
    assert httpx.get(f"http://127.0.0.1:{port}/api/health").status_code == 401
    # A job sent over HTTP runs on the app's engine and lands in its project.
    (job,) = client.post("/api/jobs", json={"generator": "gltest_basic.echo", "params": {"prompt": "hi"},
                                            "seed": 3}).json()["jobs"]
    qtbot.waitUntil(lambda: genloom_project.jobs.get(job["id"]).state == "done", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.gallery.model.total() == 1, timeout=TIMEOUT)

    window.settings.api_enabled = False
    window.api.apply_settings()
    assert not window.status_api.isVisible()
    assert not _listening(port)


def test_a_port_in_use_is_said_in_the_status_bar(qtbot, window):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", window.settings.api_port))
        taken.listen(1)
        window.settings.api_enabled = True
        window.api.apply_settings()
        assert window.api.server is None
        assert window.status_api.isVisible()
        assert window.status_api.text().startswith("API off: the API could not listen on 127.0.0.1")
