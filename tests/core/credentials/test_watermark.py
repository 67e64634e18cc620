"""The invisible watermark: in exports of images large enough, found by verify, surviving a JPEG re-save."""

from __future__ import annotations

import io

from PIL import Image

from genloom.core.credentials import watermark
from genloom.core.credentials.verify import verify_file
from genloom.core.exporting import export_asset
from genloom.core.settings import Settings

from .conftest import add_image, picture


def test_the_mark_survives_a_jpeg_re_save_at_quality_90_on_a_512_px_image(project, tmp_path):
    out = export_asset(project, add_image(project, size=512), tmp_path / "fox.png")
    with Image.open(out) as exported:
        buffer = io.BytesIO()
        exported.convert("RGB").save(buffer, format="JPEG", quality=90)
    resaved = tmp_path / "resaved.jpg"
    resaved.write_bytes(buffer.getvalue())
    result = verify_file(resaved)
    assert result.status == "absent"  # the re-save dropped the manifest and the metadata...
    assert result.watermark is True   # ...but not the mark in the pixels


def test_unmarked_images_are_not_mistaken_for_marked_ones():
    for seed in range(4):
        assert not watermark.detect(picture(512, seed=seed))
    assert not watermark.detect(Image.new("RGB", (512, 512), (128, 128, 128)))
    assert not watermark.detect(Image.new("RGB", (512, 512), (0, 0, 0)))


def test_small_images_get_no_mark_and_verify_does_not_look(project, tmp_path):
    out = export_asset(project, add_image(project, size=128), tmp_path / "small.png")
    assert verify_file(out).watermark is None
    assert not watermark.fits(128, 128) and watermark.fits(256, 400)


def test_the_setting_turns_the_mark_off(project, tmp_path):
    out = export_asset(project, add_image(project, size=512), tmp_path / "plain.png",
                       Settings(provenance_watermark=False))
    result = verify_file(out)
    assert result.status == "valid" and result.watermark is False


def test_the_mark_keeps_an_images_transparency(project, tmp_path):
    rgba = picture(300).convert("RGBA")
    rgba.putalpha(Image.new("L", rgba.size, 90))
    buffer = io.BytesIO()
    rgba.save(buffer, format="PNG")
    from .conftest import recipe

    asset = project.add_asset(buffer.getvalue(), kind="image", suffix=".png", recipe=recipe())
    out = export_asset(project, asset, tmp_path / "alpha.png")
    with Image.open(out) as image:
        assert image.mode == "RGBA" and image.getchannel("A").getextrema() == (90, 90)
    assert verify_file(out).watermark is True
