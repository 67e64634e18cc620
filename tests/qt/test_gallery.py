"""The gallery: lists, filters, searches, sorts and pages a real project."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt

from genloom._qt.gallery import ASSET_ID_ROLE, GalleryModel, GalleryWidget
from genloom._qt.thumbnails import ThumbnailService
from tests.qt.media import png_bytes


@pytest.fixture
def gallery(qtbot, genloom_project, samples):
    widget = GalleryWidget(genloom_project)
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    yield widget
    widget.shutdown()


def _ids(model):
    return [model.index(r).data(ASSET_ID_ROLE) for r in range(model.rowCount())]


def test_lists_every_asset_newest_first(gallery, samples):
    expected = sorted((a.id for a in samples.values()), reverse=True)
    assert _ids(gallery.model) == expected
    assert gallery.count_label.text() == f"{len(samples)} assets"


def test_filters_by_kind_tag_rating_generator_and_model(gallery, genloom_project, samples):
    gallery.kind_combo.setCurrentIndex(gallery.kind_combo.findData("audio"))
    assert _ids(gallery.model) == [samples["audio"].id]
    gallery.kind_combo.setCurrentIndex(0)

    gallery.tag_combo.setCurrentIndex(gallery.tag_combo.findData("story"))
    assert _ids(gallery.model) == [samples["text"].id]
    gallery.tag_combo.setCurrentIndex(0)

    genloom_project.set_rating(samples["code"].id, 4)
    gallery.rating_combo.setCurrentIndex(gallery.rating_combo.findData(3))
    assert _ids(gallery.model) == [samples["code"].id]
    gallery.rating_combo.setCurrentIndex(0)

    gallery.generator_edit.setText("test.image")
    gallery.generator_edit.editingFinished.emit()
    assert set(_ids(gallery.model)) == {samples["image"].id, samples["child"].id}
    gallery.model_edit.setText("no-such-model")
    gallery.model_edit.editingFinished.emit()
    assert _ids(gallery.model) == []
    assert gallery.count_label.text() == "0 assets"


def test_search_finds_prompts_and_text(qtbot, gallery, samples):
    qtbot.keyClicks(gallery.search_edit, "lighthouse")
    qtbot.waitUntil(lambda: gallery.model.filter().search == "lighthouse")
    assert set(_ids(gallery.model)) == {samples["image"].id, samples["child"].id,
                                        samples["text"].id}
    gallery.search_edit.setText("sine")
    gallery.search_edit.returnPressed.emit()
    assert _ids(gallery.model) == [samples["audio"].id]


def test_ctrl_f_focuses_the_search_field(qtbot, gallery):
    gallery.view.setFocus()
    gallery.activateWindow()
    gallery.find_shortcut.activated.emit()
    assert gallery.search_edit.hasFocus()


def test_sorts_oldest_first_and_by_rating(gallery, genloom_project, samples):
    gallery.order_combo.setCurrentIndex(gallery.order_combo.findData("oldest"))
    assert _ids(gallery.model) == sorted(a.id for a in samples.values())
    genloom_project.set_rating(samples["audio"].id, 5)
    genloom_project.set_rating(samples["text"].id, 2)
    gallery.order_combo.setCurrentIndex(gallery.order_combo.findData("rating"))
    assert _ids(gallery.model)[:2] == [samples["audio"].id, samples["text"].id]


def test_pages_are_fetched_lazily(qtbot, genloom_project, qapp):
    blob = png_bytes(8, 8)
    for i in range(25):
        genloom_project.add_asset(blob, kind="image", suffix=".png", prompt=f"n{i}")
    service = ThumbnailService(genloom_project)
    model = GalleryModel(genloom_project, service, page_size=10)
    assert model.total() == 25
    assert model.rowCount() == 10
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 25
    assert not model.canFetchMore(QModelIndex())
    assert len(set(_ids(model))) == 25
    service.shutdown()


def test_select_asset_finds_an_unloaded_row(qtbot, genloom_project, qapp):
    blob = png_bytes(8, 8)
    first = genloom_project.add_asset(blob, kind="image", suffix=".png")
    for _ in range(30):
        genloom_project.add_asset(blob, kind="image", suffix=".png")
    widget = GalleryWidget(genloom_project)
    qtbot.addWidget(widget)
    widget.model._page_size = 10
    widget.refresh()
    with qtbot.waitSignal(widget.asset_selected) as selected:
        assert widget.select_asset(first.id)
    assert selected.args == [first.id]
    assert widget.current_id() == first.id
    widget.kind_combo.setCurrentIndex(widget.kind_combo.findData("audio"))
    assert not widget.select_asset(first.id)
    widget.shutdown()


def test_clicking_a_cell_emits_its_id_and_double_click_activates(qtbot, gallery):
    index = gallery.model.index(2)
    expected = index.data(ASSET_ID_ROLE)
    center = gallery.view.visualRect(index).center()
    with qtbot.waitSignal(gallery.asset_selected) as selected:
        qtbot.mouseClick(gallery.view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    assert selected.args == [expected]
    with qtbot.waitSignal(gallery.asset_activated) as activated:
        qtbot.mouseDClick(gallery.view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    assert activated.args == [expected]


def test_drag_out_carries_the_file_urls(gallery, genloom_project, samples):
    rows = [gallery.model.loaded_row_of(samples["image"].id),
            gallery.model.loaded_row_of(samples["audio"].id)]
    mime = gallery.model.mimeData([gallery.model.index(r) for r in rows])
    paths = {url.toLocalFile() for url in mime.urls()}
    assert paths == {str(genloom_project.asset_path(samples["image"])),
                     str(genloom_project.asset_path(samples["audio"]))}
    assert all(url.isLocalFile() for url in mime.urls())
    assert gallery.model.flags(gallery.model.index(0)) & Qt.ItemFlag.ItemIsDragEnabled


def test_context_menu_actions_emit_requests(qtbot, gallery, samples, url_opened):
    asset = samples["image"]
    menu = gallery.context_menu(asset)
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert set(actions) >= {"Re-run", "Vary (new seed)", "Use as input", "Export…", "Copy",
                            "Reveal in file manager", "Delete…"}
    with qtbot.waitSignal(gallery.rerun_requested) as rerun:
        actions["Vary (new seed)"].trigger()
    assert rerun.args == [asset.id, True]
    with qtbot.waitSignal(gallery.rerun_requested) as rerun:
        actions["Re-run"].trigger()
    assert rerun.args == [asset.id, False]
    with qtbot.waitSignal(gallery.use_as_input_requested) as used:
        actions["Use as input"].trigger()
    assert used.args == [asset.id]
    with qtbot.waitSignal(gallery.export_requested) as exported:
        actions["Export…"].trigger()
    assert exported.args == [asset.id]
    with qtbot.waitSignal(gallery.delete_requested) as deleted:
        actions["Delete…"].trigger()
    assert deleted.args == [asset.id]
    actions["Reveal in file manager"].trigger()
    assert [u.toLocalFile() for u in url_opened] == [
        str(gallery.project().asset_path(asset).parent)]
    menu.deleteLater()


def test_model_follows_an_asset_added_on_another_thread(qtbot, gallery, genloom_project):
    added = []

    def add() -> None:
        added.append(genloom_project.add_asset(png_bytes(12, 12), kind="image", suffix=".png",
                                               prompt="from a worker"))

    worker = threading.Thread(target=add)
    worker.start()
    qtbot.waitUntil(lambda: not worker.is_alive())
    worker.join()
    qtbot.waitUntil(lambda: gallery.model.rowCount() == 7 or
                    (added and gallery.model.loaded_row_of(added[0].id) == 0))
    assert gallery.model.loaded_row_of(added[0].id) == 0
    assert gallery.count_label.text().startswith(str(gallery.model.total()))


def test_model_follows_changes_and_deletes(qtbot, gallery, genloom_project, samples):
    gallery.tag_combo.setCurrentIndex(gallery.tag_combo.findData("sea"))
    assert _ids(gallery.model) == [samples["image"].id]
    genloom_project.add_tags(samples["audio"].id, ["sea"])
    qtbot.waitUntil(lambda: samples["audio"].id in _ids(gallery.model))
    genloom_project.remove_tags(samples["image"].id, ["sea"])
    qtbot.waitUntil(lambda: samples["image"].id not in _ids(gallery.model))
    genloom_project.delete_asset(samples["audio"].id)
    qtbot.waitUntil(lambda: _ids(gallery.model) == [])
    assert gallery.model.total() == 0


def test_visible_cells_get_thumbnails(qtbot, gallery):
    model = gallery.model

    def all_ready() -> bool:
        return all(model.index(r).data(Qt.ItemDataRole.DecorationRole) is not None
                   for r in range(model.rowCount()))

    qtbot.waitUntil(all_ready, timeout=30_000)
    assert gallery.view.indexAt(QPoint(20, 20)).isValid()


def test_cells_hold_cards_and_the_tooltip_reads_the_whole_asset(qtbot, gallery, genloom_project,
                                                                 samples):
    """A page holds cards (9 columns); what a card leaves out (generator, model) is read by id on hover."""
    from genloom.core.project import AssetCard

    image = samples["image"]
    row = gallery.model.loaded_row_of(image.id)
    card = gallery.model.asset_at(row)
    assert isinstance(card, AssetCard)
    assert card == AssetCard.of(genloom_project.get_asset(image.id))
    tooltip = gallery.model.index(row).data(Qt.ItemDataRole.ToolTipRole)
    assert f"#{image.id} · image" in tooltip
    assert image.generator_id and image.generator_id in tooltip
    genloom_project.set_rating(image.id, 5)  # an event's whole asset becomes the row's card
    qtbot.waitUntil(lambda: gallery.model.asset_at(gallery.model.loaded_row_of(image.id)).rating == 5)
    assert isinstance(gallery.model.asset_at(gallery.model.loaded_row_of(image.id)), AssetCard)
    genloom_project.delete_asset(image.id)  # a stale row's hover shows nothing rather than failing
    assert gallery.model._tooltip(card) is None
