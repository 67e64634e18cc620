"""Exports carry content credentials that c2pa itself reads back as valid, with what made them."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import c2pa
import pytest

from genloom.core.credentials import keys
from genloom.core.credentials.manifest import COMPOSITE, RECIPE_LABEL, TRAINED
from genloom.core.credentials.verify import (
    ANOTHER_GENLOOM,
    TAMPERED,
    THIS_INSTALLATION,
    VALID,
    verify_file,
)
from genloom.core.exporting import export_asset
from genloom.core.settings import Settings

from .conftest import add_image


def read_with_c2pa(path: Path) -> tuple[str, dict]:
    """The validation state and active manifest, as c2pa reads them trusting this installation's root."""
    context = c2pa.Context.from_dict({"verify": {"remote_manifest_fetch": False},
                                      "trust": {"user_anchors": keys.trust_anchors()}})
    with c2pa.Reader(str(path), context=context) as reader:
        return reader.get_validation_state(), reader.get_active_manifest()


def actions_of(manifest: dict) -> list[dict]:
    return next(a["data"]["actions"] for a in manifest["assertions"] if a["label"].startswith("c2pa.actions"))


def test_a_png_export_is_signed_created_by_a_trained_model_with_model_and_recipe(project, tmp_path):
    asset = add_image(project)
    out = export_asset(project, asset, tmp_path / "fox.png")
    state, manifest = read_with_c2pa(out)
    assert state == "Trusted"  # valid, and signed under this installation's own root
    [created] = actions_of(manifest)
    assert created["action"] == "c2pa.created"
    assert created["digitalSourceType"] == TRAINED
    assert created["softwareAgent"]["name"] == "Genloom"
    assert created["parameters"]["org.genloom.model"] == {
        "name": "Emoji LDM 32", "id": "emoji-ldm-32", "hash": "ab" * 32, "licence": "openrail++"}
    recipe = next(a["data"] for a in manifest["assertions"] if a["label"] == RECIPE_LABEL)
    assert recipe["seed"] == 7 and recipe["params"]["prompt"] == "a red fox"
    assert "path" not in recipe["model"]  # the model's local path does not leave the machine
    assert manifest["claim_generator_info"][0]["name"] == "Genloom"


def test_an_edit_is_opened_from_its_input_then_edited_with_the_inputs_as_ingredients(project, tmp_path):
    source = add_image(project, seed=1)
    mask = add_image(project, seed=2, size=64)
    painted = add_image(project, seed=3, inputs={"image": source.id, "mask": mask.id})
    state, manifest = read_with_c2pa(export_asset(project, painted, tmp_path / "painted.png"))
    assert state == "Trusted"
    assert [a["action"] for a in actions_of(manifest)] == ["c2pa.opened", "c2pa.edited", "c2pa.placed"]
    assert actions_of(manifest)[1]["digitalSourceType"] == COMPOSITE
    assert [(i["title"], i["relationship"]) for i in manifest["ingredients"]] == [
        ("fox 1", "parentOf"), ("fox 2", "componentOf")]


def test_changing_one_byte_makes_verify_say_tampered(project, tmp_path):
    out = export_asset(project, add_image(project), tmp_path / "fox.png")
    assert verify_file(out).status == VALID
    data = bytearray(out.read_bytes())
    middle = len(data) // 2  # inside the image data, far from the manifest
    data[middle] ^= 0x01
    out.write_bytes(bytes(data))
    result = verify_file(out)
    assert result.status == TAMPERED
    assert any("mismatch" in problem for problem in result.problems)


def test_verify_names_this_installation_and_reads_model_recipe_and_actions(project, tmp_path):
    out = export_asset(project, add_image(project), tmp_path / "fox.png")
    result = verify_file(out)
    assert (result.status, result.trusted, result.signer) == (VALID, True, THIS_INSTALLATION)
    assert result.model["name"] == "Emoji LDM 32"
    assert result.recipe is not None and result.recipe["seed"] == 7
    assert [a["action"] for a in result.actions] == ["c2pa.created"]
    assert result.watermark is True


def test_a_file_signed_by_another_installation_is_valid_but_untrusted(project, tmp_path, monkeypatch):
    monkeypatch.setenv("GENLOOM_HOME", str(tmp_path / "other-home"))
    out = export_asset(project, add_image(project), tmp_path / "theirs.png")
    monkeypatch.setenv("GENLOOM_HOME", str(tmp_path / "my-home"))
    result = verify_file(out)
    assert (result.status, result.trusted, result.signer) == (VALID, False, ANOTHER_GENLOOM)


def test_installation_keys_are_made_once_with_private_keys_for_the_user_only(project, tmp_path):
    export_asset(project, add_image(project), tmp_path / "a.png")
    folder = keys.credentials_dir()
    first = (folder / "signer.pem").read_bytes()
    for name in ("root.key", "signer.key"):
        assert stat.S_IMODE(os.stat(folder / name).st_mode) == 0o600
    export_asset(project, add_image(project, seed=5), tmp_path / "b.png")
    assert (folder / "signer.pem").read_bytes() == first


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_exported_images_carry_xmp_digital_source_type_read_by_exiftool(project, tmp_path, suffix):
    if shutil.which("exiftool") is None:
        pytest.skip("exiftool is not installed (CI installs libimage-exiftool-perl)")
    out = export_asset(project, add_image(project, suffix=suffix), tmp_path / f"fox{suffix}")
    found = json.loads(subprocess.run(["exiftool", "-json", "-XMP-iptcExt:DigitalSourceType", str(out)],
                                      capture_output=True, text=True, check=True).stdout)[0]
    assert found["DigitalSourceType"] == TRAINED
    assert verify_file(out).status == VALID  # written before the signature, never after


def test_the_png_keeps_its_parameters_text_and_genloom_recipe(project, tmp_path):
    from PIL import Image

    out = export_asset(project, add_image(project), tmp_path / "fox.png")
    with Image.open(out) as image:
        assert image.text["parameters"].startswith("a red fox\n")
        assert "Seed: 7" in image.text["parameters"]
        assert json.loads(image.text["genloom"])["seed"] == 7


def test_with_every_part_off_the_export_is_the_assets_file(project, tmp_path):
    asset = add_image(project)
    off = Settings(provenance_c2pa=False, provenance_xmp=False, provenance_watermark=False)
    out = export_asset(project, asset, tmp_path / "plain.png", off)
    assert verify_file(out).status == "absent"
    assert verify_file(out).watermark is False
    with_parts = export_asset(project, asset, tmp_path / "signed.png")
    assert with_parts.stat().st_size > out.stat().st_size


def test_an_imported_file_without_a_recipe_is_exported_byte_for_byte(project, tmp_path):
    from .conftest import encoded, picture

    photo = project.add_asset(encoded(picture(300), "JPEG"), kind="image", suffix=".jpg")
    out = export_asset(project, photo, tmp_path / "photo.jpg")
    assert out.read_bytes() == project.asset_path(photo).read_bytes()  # no claim Genloom made it


def test_any_changed_bit_outside_the_manifest_is_tampered_and_none_inside_misleads(project, tmp_path):
    import random
    import struct

    out = export_asset(project, add_image(project, size=64), tmp_path / "fox.png")
    data = out.read_bytes()
    start = data.find(b"caBX") - 4  # the PNG chunk holding the manifest: length, type, data, CRC
    end = start + 12 + struct.unpack(">I", data[start:start + 4])[0]
    original = verify_file(out)
    rng = random.Random(16)
    for index in range(40):
        damaged = bytearray(data)
        inside = index % 2 == 1
        where = rng.randrange(start + 8, end - 4) if inside else rng.choice(
            [rng.randrange(8, start), rng.randrange(end, len(data))])
        damaged[where] ^= 1 << rng.randrange(8)
        path = tmp_path / f"damaged-{index}.png"
        path.write_bytes(bytes(damaged))
        result = verify_file(path)  # never raises
        if not inside:
            assert result.status == TAMPERED, (index, where)
        elif result.status == VALID:
            # C2PA leaves padding in the signature box unsigned: a flip there changes nothing signed.
            assert (result.actions, result.recipe, result.model) == (
                original.actions, original.recipe, original.model), (index, where)
