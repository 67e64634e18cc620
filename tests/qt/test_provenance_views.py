"""Provenance in the app: the inspector's "Content credentials" section, project archives from the File menu."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from genloom._qt.main_window import MainWindow
from genloom.core.exporting import export_asset
from genloom.core.project import Project
from genloom.core.settings import Settings
from tests.core.credentials.conftest import add_image


@pytest.fixture
def window(qtbot, fixture_plugins, genloom_project):
    win = MainWindow(Settings(), fixture_plugins, genloom_project)
    qtbot.addWidget(win)
    win.show()
    win.start_engine()
    yield win
    win.stop_engine()


def drop(window, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    window.dropEvent(QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier))


def test_a_dropped_file_signed_elsewhere_shows_its_credentials(qtbot, window, tmp_path, monkeypatch):
    mine = os.environ["GENLOOM_HOME"]
    monkeypatch.setenv("GENLOOM_HOME", str(tmp_path / "their-home"))  # another installation signs it
    theirs = Project.create(tmp_path / "theirs")
    signed = export_asset(theirs, add_image(theirs, size=320), tmp_path / "their-fox.png")
    monkeypatch.setenv("GENLOOM_HOME", mine)
    drop(window, signed)
    box = window.inspector.credentials_box
    qtbot.waitUntil(lambda: "Valid" in box.label.text(), timeout=10_000)
    text = box.label.text()
    assert "another Genloom" in text and "untrusted" in text
    assert "c2pa.created (trainedAlgorithmicMedia) by Genloom" in text
    assert "checked when imported" in text and "watermark" in text


def test_a_dropped_tampered_file_says_so_and_check_confirms_it(qtbot, window, tmp_path):
    other = Project.create(tmp_path / "other")
    signed = export_asset(other, add_image(other, size=64), tmp_path / "fox.png")
    data = bytearray(signed.read_bytes())
    data[len(data) // 2] ^= 0x01
    signed.write_bytes(bytes(data))
    drop(window, signed)
    box = window.inspector.credentials_box
    qtbot.waitUntil(lambda: "Tampered" in box.label.text(), timeout=10_000)
    box.check_button.click()
    assert "Tampered" in box.label.text() and "checked now" in box.label.text()


def test_an_asset_made_here_says_what_its_exports_carry(qtbot, window):
    asset = add_image(window.project, size=64)
    window.inspector.show_asset(asset.id)
    assert "exports carry content credentials" in window.inspector.credentials_box.label.text()


def test_a_project_archived_and_unpacked_from_the_window_opens_with_its_assets(qtbot, window, tmp_path):
    asset = add_image(window.project, size=64)
    window.project.add_tags(asset.id, ["fox"])
    window.project.set_rating(asset.id, 5)
    archive = window.archive_to(tmp_path / "fox.genloom-archive")
    assert archive is not None and archive.is_file()
    assert window.unarchive_into(archive, tmp_path / "unpacked")
    assert window.project.path.resolve() == (tmp_path / "unpacked").resolve()
    [copy] = window.project.list_assets()
    assert (copy.hash, copy.tags, copy.rating, copy.recipe) == (asset.hash, ("fox",), 5, asset.recipe)
    file_menu = [a.text() for a in window.menus["file"].actions()]
    assert "Archive project…" in file_menu and "Open project archive…" in file_menu


def test_a_restrictive_licence_is_asked_about_before_first_use_and_not_again(window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    asked: list[str] = []
    answer = {"value": QMessageBox.StandardButton.No}

    def question(parent, title, text, *args):  # the modal box, answered as a user would
        asked.append(text)
        return answer["value"]

    monkeypatch.setattr(QMessageBox, "question", question)
    model = {"title": "Tiny SD", "hash": "e" * 64, "licence": "creativeml-openrail-m"}
    panel = window.generate_panel
    assert panel._licence_accepted(model) is False  # declined: nothing is queued
    assert "creativeml-openrail-m" in asked[0] and "e" * 64 not in Settings.load().acknowledged_licences
    answer["value"] = QMessageBox.StandardButton.Yes
    assert panel._licence_accepted(model) is True
    assert "e" * 64 in Settings.load().acknowledged_licences
    assert panel._licence_accepted(model) is True and len(asked) == 2  # not asked a third time
    assert panel._licence_accepted({**model, "licence": "mit", "hash": "f" * 64}) is True and len(asked) == 2
