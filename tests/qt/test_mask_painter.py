"""The inpainting mask painter: brush, erase, clear, save as an asset."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, Qt

from genloom._qt.mask_painter import MaskPainterDialog
from tests.qt.media import png_bytes


def _drag(qtbot, canvas, start: QPoint, end: QPoint) -> None:
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 11):
        point = start + (end - start) * (step / 10)
        qtbot.mouseMove(canvas, point)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=end)


def test_paint_erase_clear_and_save_a_mask_asset(qtbot, genloom_project):
    image = genloom_project.add_asset(png_bytes(96, 64), kind="image", suffix=".png")
    dialog = MaskPainterDialog(genloom_project, image)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    canvas = dialog.canvas
    dialog.size_slider.setValue(8)
    centre = canvas.rect().center()
    _drag(qtbot, canvas, centre - QPoint(60, 0), centre + QPoint(60, 0))
    painted = canvas.coverage()
    assert 0.02 < painted < 0.9
    dialog.erase.setChecked(True)
    _drag(qtbot, canvas, centre - QPoint(30, 0), centre + QPoint(30, 0))
    assert canvas.coverage() < painted
    canvas.clear()
    assert canvas.coverage() == 0
    dialog.save()
    assert dialog.error.isVisibleTo(dialog) and "mask is empty" in dialog.error.text()
    dialog.erase.setChecked(False)
    _drag(qtbot, canvas, centre - QPoint(40, 10), centre + QPoint(40, 10))
    dialog.save()
    mask = dialog.saved_asset
    assert mask.tags == ("mask",)
    assert [p.id for p in genloom_project.parents(mask.id)] == [image.id]
    with Image.open(genloom_project.asset_path(mask)) as saved:
        assert saved.size == (96, 64) and saved.mode == "L"
        painted = int((np.asarray(saved) > 127).sum())
        assert 0 < painted < 96 * 64


def test_main_window_puts_image_and_mask_into_an_inpainting_form(qtbot, genloom_plugins, genloom_project,
                                                                 tmp_path):
    from genloom._qt.main_window import MainWindow
    from genloom.core.settings import Settings

    (tmp_path / "t.py").write_text(
        "from genloom.sdk import GeneratorSpec, InputSpec, hookimpl\n"
        "@hookimpl\n"
        "def genloom_register_generators():\n"
        "    return [GeneratorSpec(id='t.inpaint', modality='image', title='Inpaint', factory=object,\n"
        "            inputs=(InputSpec('image', 'image'), InputSpec('mask', 'image')))]\n")
    window = MainWindow(Settings(), genloom_plugins(dirs=[tmp_path]), genloom_project)
    qtbot.addWidget(window)
    image = genloom_project.add_asset(png_bytes(), kind="image", suffix=".png")

    def paint(dialog):
        dialog.canvas.stroke(dialog.canvas.to_image(dialog.canvas.rect().center()),
                             dialog.canvas.to_image(dialog.canvas.rect().center()))
        dialog.save()

    mask = window.paint_mask(image.id, dialog_hook=paint)
    assert window.generate_panel.form.spec.id == "t.inpaint"
    assert window.generate_panel.form.input_ids() == {"image": image.id, "mask": mask.id}
