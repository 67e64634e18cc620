"""Fixtures for the Qt widget tests (offscreen, real project in tmp_path)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from genloom.core.project import Asset, Project
from tests.qt.media import add_samples


@pytest.fixture
def samples(genloom_project: Project, tmp_path: Path) -> dict[str, Asset]:
    """One asset of each kind in ``genloom_project``."""
    media = tmp_path / "media"
    media.mkdir()
    return add_samples(genloom_project, media)


@pytest.fixture
def url_opened(qapp) -> Iterator[list]:
    """Catches QDesktopServices.openUrl for file URLs (nothing is launched)."""
    from PySide6.QtCore import QObject, Slot
    from PySide6.QtGui import QDesktopServices

    class Recorder(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.urls: list = []

        @Slot("QUrl")
        def handle(self, url) -> None:
            self.urls.append(url)

    recorder = Recorder()
    QDesktopServices.setUrlHandler("file", recorder, "handle")
    yield recorder.urls
    QDesktopServices.unsetUrlHandler("file")
