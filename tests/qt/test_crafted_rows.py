"""A crafted asset row in a shared project: the gallery and inspector neither read the
file it names nor write a thumbnail outside the project; they say what is wrong."""

from __future__ import annotations

import sqlite3

from genloom._qt.inspector import InspectorWidget
from genloom._qt.thumbnails import ThumbnailService
from tests.qt.media import png_bytes


def test_a_crafted_row_is_not_read_and_gets_no_thumbnail_outside(qtbot, genloom_project, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(png_bytes())
    asset = genloom_project.add_asset(png_bytes(), kind="image", suffix=".png")
    with sqlite3.connect(genloom_project.db_path) as conn:
        conn.execute("UPDATE assets SET hash = ?, path = ? WHERE id = ?",
                     ("../../../../outside", str(secret), asset.id))
    crafted = genloom_project.get_asset(asset.id)
    cache = ThumbnailService(genloom_project)
    cache.request(crafted)
    assert "damaged row" in (cache.error(crafted) or "")
    assert cache.pending() == 0
    inspector = InspectorWidget(genloom_project)
    qtbot.addWidget(inspector)
    inspector.show_asset(crafted.id)
    assert "damaged row" in inspector.info_label.toolTip()
    assert not list(tmp_path.rglob("outside*"))
