"""Fixtures for the Qt widget tests (offscreen, real project in tmp_path)."""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from genloom.core.project import Asset, Project

from tests.qt.media import add_samples


def pin_singletons() -> None:
    """Work around PySide6 6.12's abi3 wheels on Python < 3.12.

    The wheels treat None/True/False as immortal (Python 3.12 semantics) and
    drop a reference to them on every void call, every Python virtual that
    returns None and every ``Signal.emit`` (measured: ``setObjectName`` costs
    None one reference, ``emit`` costs True one). On 3.11 the count reaches
    zero after a few thousand calls and the interpreter aborts with
    "none_dealloc"/"bool_dealloc". Giving these singletons a huge count makes
    them immortal, as the wheel assumes; they are never freed anyway.
    """
    if sys.version_info >= (3, 12):
        return
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40


pin_singletons()


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
