"""Render the app icon (resources/icons/genloom.svg) into the raster files desktops want:
genloom.png (256 px, Linux), genloom.ico (Windows shortcuts), genloom.icns (macOS bundle).

Run after changing the SVG (needs the dev environment's PySide6):
    .venv/bin/python installer/icons/render_icons.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

HERE = Path(__file__).resolve().parent
SVG = HERE.parents[1] / "resources" / "icons" / "genloom.svg"


def render(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(SVG)).render(painter)
    painter.end()
    return image


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    ok = render(256).save(str(HERE / "genloom.png"))
    ok &= render(256).save(str(HERE / "genloom.ico"))
    ok &= render(512).save(str(HERE / "genloom.icns"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
