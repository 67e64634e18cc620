"""The inspector: viewer per kind, recipe, lineage, tags, rating, notes, actions."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication

from genloom._qt import viewers
from genloom._qt.inspector import InspectorWidget


@pytest.fixture
def inspector(qtbot, genloom_project, samples):
    widget = InspectorWidget(genloom_project, volume=0.0)
    qtbot.addWidget(widget)
    widget.resize(520, 900)
    widget.show()
    yield widget
    widget.show_asset(None)


def _recipe_rows(inspector):
    form = inspector.recipe_form
    rows = {}
    for row in range(form.rowCount()):
        label = form.itemAt(row, form.ItemRole.LabelRole)
        field = form.itemAt(row, form.ItemRole.FieldRole)
        if label and field:
            rows[label.widget().text().strip()] = field.widget().text()
    return rows


# Class names, resolved in the test: the media viewers load QtMultimedia, and a machine
# without its system libraries must fail these tests, not the collection of the file.
@pytest.mark.parametrize("kind, cls", [("image", "ImageViewer"), ("audio", "AudioViewer"),
                                       ("video", "VideoViewer"), ("text", "TextViewer"),
                                       ("code", "CodeViewer")])
def test_each_kind_opens_in_its_viewer(inspector, samples, kind, cls):
    if kind not in samples:
        pytest.skip("ffmpeg is not installed, so no sample video was made")
    inspector.show_asset(samples[kind].id)
    assert isinstance(inspector.viewer(), getattr(viewers, cls))
    assert not inspector.error_banner.isVisibleTo(inspector)


def test_shows_the_recipe_readably_and_as_json(qtbot, inspector, samples):
    inspector.show_asset(samples["image"].id)
    rows = _recipe_rows(inspector)
    assert rows["Generator"] == "test.image"
    assert rows["Model"] == "tiny-unet"
    assert rows["Seed"] == "1234"
    assert rows["steps"] == "20" and rows["cfg"] == "7.5"
    assert rows["Prompt"] == "a red lighthouse at dusk"
    assert not inspector.raw_json.isVisibleTo(inspector)
    inspector.raw_toggle.click()
    assert inspector.raw_json.isVisibleTo(inspector)
    assert '"seed": 1234' in inspector.raw_json.toPlainText()


def test_an_engine_recipe_reads_as_names_not_json(qtbot, inspector, genloom_project):
    recipe = {"recipe_version": 1,
              "generator": {"id": "procedural.pattern", "plugin": "procedural",
                            "plugin_version": "0.1.0", "modality": "image"},
              "model": {"id": "text.fortune-llama", "title": "fortune-llama", "kind": "llm",
                        "path": "/x", "source": "bundled", "hash": ""},
              "params": {"width": 64}, "seed": 7, "device": "cpu",
              "libraries": {"torch": "2.13.0", "diffusers": "0.42.1"},
              "made": 1796330903.4868}
    asset = genloom_project.add_asset(b"text", kind="text", suffix=".txt", recipe=recipe,
                                      generator_id="procedural.pattern")
    inspector.show_asset(asset.id)
    rows = _recipe_rows(inspector)
    assert rows["Generator"] == "procedural.pattern (procedural 0.1.0)"
    assert rows["Model"] == "fortune-llama (bundled)"
    assert rows["width"] == "64"
    assert rows["libraries"] == "diffusers 0.42.1, torch 2.13.0"  # the store sorts keys
    from datetime import datetime

    assert rows["made"] == datetime.fromtimestamp(1796330903.4868).strftime("%Y-%m-%d %H:%M:%S")
    inspector.raw_toggle.click()
    assert '"plugin_version": "0.1.0"' in inspector.raw_json.toPlainText()


def test_lineage_lists_parents_and_children_and_jumps(qtbot, inspector, samples):
    inspector.show_asset(samples["image"].id)
    children = inspector.children_list
    assert children.count() == 1
    assert children.item(0).data(Qt.ItemDataRole.UserRole) == samples["child"].id
    with qtbot.waitSignal(inspector.jump_to_asset) as jumped:
        rect = children.visualItemRect(children.item(0))
        qtbot.mouseClick(children.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert jumped.args == [samples["child"].id]
    inspector.show_asset(samples["child"].id)
    assert inspector.parents_list.item(0).data(Qt.ItemDataRole.UserRole) == samples["image"].id


def test_rating_click_is_saved(qtbot, inspector, genloom_project, samples):
    inspector.show_asset(samples["audio"].id)
    stars = inspector.rating
    x = int(2 + stars._star * 3.5)  # the fourth star
    qtbot.mouseClick(stars, Qt.MouseButton.LeftButton, pos=QPoint(x, stars.height() // 2))
    assert genloom_project.get_asset(samples["audio"].id).rating == 4
    qtbot.mouseClick(stars, Qt.MouseButton.LeftButton, pos=QPoint(x, stars.height() // 2))
    assert genloom_project.get_asset(samples["audio"].id).rating == 0  # same star clears


def test_tags_are_added_and_removed(qtbot, inspector, genloom_project, samples):
    asset_id = samples["text"].id
    inspector.show_asset(asset_id)
    qtbot.keyClicks(inspector.tag_edit, "Night, calm ")
    qtbot.keyClick(inspector.tag_edit, Qt.Key.Key_Return)
    assert set(genloom_project.get_asset(asset_id).tags) == {"story", "night", "calm"}
    assert inspector.tag_edit.text() == ""
    chips = [inspector.tags_flow.itemAt(i).widget() for i in range(inspector.tags_flow.count())]
    chip = next(c for c in chips if c.tag == "night")
    chip.remove_button.click()
    assert set(genloom_project.get_asset(asset_id).tags) == {"story", "calm"}


def test_notes_save_after_typing_and_on_focus_out(qtbot, inspector, genloom_project, samples):
    asset_id = samples["code"].id
    inspector.show_asset(asset_id)
    inspector.notes_edit.setFocus()
    qtbot.keyClicks(inspector.notes_edit, "keep this one")
    qtbot.waitUntil(lambda: genloom_project.get_asset(asset_id).notes == "keep this one",
                    timeout=5_000)
    qtbot.keyClicks(inspector.notes_edit, "!")
    inspector.tag_edit.setFocus()  # focus out saves at once
    inspector.notes_edit.focus_lost.emit()
    assert genloom_project.get_asset(asset_id).notes == "keep this one!"


def test_switching_assets_saves_pending_notes(qtbot, inspector, genloom_project, samples):
    inspector.show_asset(samples["code"].id)
    inspector.notes_edit.setPlainText("pending")
    inspector.show_asset(samples["text"].id)
    assert genloom_project.get_asset(samples["code"].id).notes == "pending"
    assert inspector.notes_edit.toPlainText() == ""


def test_actions_emit_requests(qtbot, inspector, samples):
    asset_id = samples["image"].id
    inspector.show_asset(asset_id)
    with qtbot.waitSignal(inspector.rerun_requested) as rerun:
        inspector.rerun_action.trigger()
    assert rerun.args == [asset_id, False]
    with qtbot.waitSignal(inspector.rerun_requested) as vary:
        inspector.vary_action.trigger()
    assert vary.args == [asset_id, True]
    with qtbot.waitSignal(inspector.use_as_input_requested) as used:
        inspector.use_as_input_action.trigger()
    assert used.args == [asset_id]
    with qtbot.waitSignal(inspector.export_requested) as exported:
        inspector.export_action.trigger()
    assert exported.args == [asset_id]
    assert inspector.rerun_action.shortcut().toString() == "Ctrl+R"


def test_copy_puts_an_image_or_text_on_the_clipboard(inspector, genloom_project, samples):
    clipboard = QGuiApplication.clipboard()
    inspector.show_asset(samples["image"].id)
    inspector.copy_action.trigger()
    assert clipboard.image().width() == 96
    inspector.show_asset(samples["text"].id)
    inspector.copy_action.trigger()
    assert clipboard.text().startswith("Once upon a time")
    inspector.show_asset(samples["audio"].id)
    inspector.copy_action.trigger()
    assert clipboard.mimeData().urls()[0].toLocalFile() == str(
        genloom_project.asset_path(samples["audio"]))


def test_reveal_opens_the_folder(inspector, genloom_project, samples, url_opened):
    inspector.show_asset(samples["audio"].id)
    inspector.reveal_action.trigger()
    assert [u.toLocalFile() for u in url_opened] == [
        str(genloom_project.asset_path(samples["audio"]).parent)]


def test_follows_changes_made_elsewhere_and_deletion(qtbot, inspector, genloom_project, samples):
    asset_id = samples["audio"].id
    inspector.show_asset(asset_id)
    genloom_project.set_rating(asset_id, 3)
    qtbot.waitUntil(lambda: inspector.rating.rating() == 3)
    genloom_project.delete_asset(asset_id)
    qtbot.waitUntil(lambda: inspector.asset() is None)
    assert inspector.viewer() is None


def test_unknown_asset_shows_an_error(inspector):
    inspector.show_asset(987654)
    assert "987654" in inspector.error_banner.message()
    assert "gallery lists" in inspector.error_banner.message()  # the app's words, not `genloom assets`
    assert "`genloom" not in inspector.error_banner.message()
    assert inspector.asset() is None
    assert not inspector.rerun_action.isEnabled()


def test_a_large_image_shows_without_holding_the_window_and_a_damaged_one_says_so(qtbot, inspector,
                                                                                 genloom_project, tmp_path):
    import numpy as np
    from PIL import Image

    pixels = np.random.default_rng(1).integers(0, 256, (1024, 1024, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "big.png")
    big = genloom_project.add_asset(tmp_path / "big.png", kind="image", suffix=".png")
    inspector.show_asset(big.id)
    viewer = inspector.viewer()
    assert viewer.pixmap().isNull()  # show_asset returned before the image was decoded
    qtbot.waitUntil(lambda: not viewer.pixmap().isNull(), timeout=30_000)
    assert viewer.pixmap().width() == 1024 and not inspector.error_banner.isVisibleTo(inspector)

    damaged = genloom_project.add_asset(b"\x89PNG\r\n\x1a\n" + bytes(400_000), kind="image", suffix=".png")
    inspector.show_asset(damaged.id)
    qtbot.waitUntil(lambda: inspector.error_banner.isVisibleTo(inspector), timeout=30_000)
    assert "Cannot show the image" in inspector.error_banner.message()


def test_the_action_buttons_wrap_in_a_narrow_inspector_instead_of_being_cut_off(qtbot, inspector,
                                                                                   samples):
    """Beside a 1366 px screen's gallery the inspector is about 300 px wide: in one row,
    Copy and Reveal fell outside the details, which never scroll sideways."""
    from PySide6.QtWidgets import QToolButton

    inspector.show_asset(samples["image"].id)
    inspector.resize(300, 900)
    viewport = inspector.details_scroll.viewport()
    buttons = inspector.actions_box.findChildren(QToolButton)
    assert len(buttons) == len(inspector.actions()) >= 6

    def all_inside() -> bool:
        return all(b.isVisible() and 0 <= b.mapTo(viewport, b.rect().topRight()).x() < viewport.width()
                   for b in buttons)

    qtbot.waitUntil(all_inside)
    rows = {b.y() for b in buttons}
    assert len(rows) >= 2  # wrapped
    below = inspector.actions_box.mapTo(viewport, inspector.actions_box.rect().bottomLeft()).y()
    assert all(b.mapTo(viewport, b.rect().bottomLeft()).y() <= below for b in buttons)


def test_a_long_recipe_never_widens_the_details_past_a_narrow_inspector(qtbot, inspector,
                                                                         genloom_project):
    """A long parameter name and a long value (an evaluation's set, the libraries) pushed the
    whole column past the inspector's edge; every wrapped value still shows all its lines."""
    from PySide6.QtWidgets import QLabel

    from tests.qt.media import png_bytes

    recipe = {"generator": "test.image", "seed": 3,
              "params": {"no_repeat_ngram_size_of_a_long_name": 0,
                         "plan": {"set": {"kind": "ids", "value": list(range(1, 60))},
                                  "metrics": ["genloom.ms_ssim_diversity"] * 6}},
              "libraries": {f"library{i}": f"{i}.0.{i}" for i in range(12)},
              "token": "x" * 300}  # one word longer than any inspector
    asset = genloom_project.add_asset(png_bytes(8, 8), kind="image", suffix=".png", recipe=recipe)
    inspector.resize(300, 900)
    inspector.show_asset(asset.id)
    viewport = inspector.details_scroll.viewport()
    details = inspector.details_scroll.widget()
    labels = [w for w in details.findChildren(QLabel)
              if w.wordWrap() and inspector.recipe_form.indexOf(w) >= 0]
    assert len(labels) >= 6
    qtbot.waitUntil(lambda: all(w.isVisible() for w in labels))
    qtbot.waitUntil(lambda: details.width() <= viewport.width())
    for label in labels:
        assert label.height() >= label.heightForWidth(label.width()), label.text()[:40]
    long_value = next(w for w in labels if w.text().startswith("xxx"))
    assert long_value.toolTip().startswith("xxx")
