"""The GAN and VAE generators (image.gan, image.vae, image.vae_interpolate) in-process:
determinism, backends, captions, interpolation, bad inputs and damaged folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genloom.sdk import InputError, ModelRef, ParameterError
from genloom.sdk.formats import ModelFormatError
from genloom_image.families import identify_family_folder
from tests.plugins.genloom_image.conftest import pixels
from tests.plugins.genloom_image.tiny_family import build_family_folder

MODELS = Path(__file__).resolve().parents[3] / "plugins" / "genloom_image" / "models"
#: ONNX and torch decode the same inputs to images in [0, 1] within this (max abs difference).
ONNX_TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def tiny_gan(tmp_path_factory: pytest.TempPathFactory) -> ModelRef:
    path = build_family_folder(tmp_path_factory.mktemp("user-gan") / "my-gan", "icon-gan", seed=1)
    return ModelRef(id=str(path), kind="icon-gan", path=str(path), source="user", title="my-gan")


@pytest.fixture(scope="module")
def tiny_vae(tmp_path_factory: pytest.TempPathFactory) -> ModelRef:
    path = build_family_folder(tmp_path_factory.mktemp("user-vae") / "my-vae", "icon-vae", seed=2)
    return ModelRef(id=str(path), kind="icon-vae", path=str(path), source="user", title="my-vae")


def bundled(name: str, kind: str) -> ModelRef:
    path = MODELS / name
    return ModelRef(id=f"image.{name}", kind=kind, path=str(path), source="bundled", title=name)


@pytest.mark.parametrize("generator, fixture", [("image.gan", "tiny_gan"), ("image.vae", "tiny_vae")])
def test_same_seed_gives_the_same_bytes_and_other_seeds_differ(runner, request, generator, fixture):
    run = runner(generator, request.getfixturevalue(fixture))
    (first,), _ = run.run(seed=5, prompt="red heart")
    (again,), _ = run.run(seed=5, prompt="red heart")
    (other,), _ = run.run(seed=6, prompt="red heart")
    assert first.path.read_bytes() == again.path.read_bytes()
    assert np.abs(pixels(first) - pixels(other)).mean() > 0.5
    assert first.metadata["seed"] == 5 and first.metadata["family"] in ("icon-gan", "icon-vae")
    with Image.open(first.path) as img:
        assert img.size == (16, 16)
        assert img.text["parameters"].startswith("red heart\nSeed: 5, Size: 16x16, Temperature: 1.0")


def test_unknown_words_are_left_out_and_recorded(runner, tiny_gan):
    run = runner("image.gan", tiny_gan)
    (out,), _ = run.run(seed=1, prompt="red zebra heart")
    (plain,), _ = run.run(seed=1, prompt="red heart")
    assert out.metadata["ignored_words"] == ["zebra"]
    assert out.path.read_bytes() != b"" and np.array_equal(pixels(out), pixels(plain))


def test_a_caption_with_no_known_word_is_refused_naming_the_words_and_offering_known_ones(runner, tiny_gan):
    run = runner("image.gan", tiny_gan)
    with pytest.raises(ParameterError) as caught:
        run.run(seed=1, prompt="zebra unicorn")
    message = str(caught.value)
    assert caught.value.param == "prompt"
    assert "unknown: unicorn, zebra" in message
    assert "such as red, heart, cat" in message


def test_the_onnx_backend_matches_torch_and_records_its_providers(runner, tiny_gan):
    run = runner("image.gan", tiny_gan)
    (torch_out,), _ = run.run(seed=3, prompt="blue star")
    (onnx_out,), _ = run.run(seed=3, prompt="blue star", backend="onnxruntime")
    assert onnx_out.metadata["backend"] == "onnxruntime"
    assert "CPUExecutionProvider" in onnx_out.metadata["onnx_providers"]
    assert np.abs(pixels(torch_out) - pixels(onnx_out)).max() <= 1.0  # one level of 255 at most (rounding)


@pytest.mark.parametrize("name, kind", [("icon-gan-64", "icon-gan"), ("icon-vae-64", "icon-vae")])
def test_bundled_onnx_exports_match_torch_within_the_stated_tolerance(name, kind):
    from genloom_image.family_runtime import FamilyRunner, latents

    folder = MODELS / name
    torch_run, onnx_run = FamilyRunner(folder, "torch"), FamilyRunner(folder, "onnxruntime")
    config = torch_run.config
    bags, _ = config.bag_of_words(["red heart", "", "cat face", "star"])
    z = latents([1, 2, 3, 4], config.latent_dim)
    a, b = torch_run.decode(z, bags), onnx_run.decode(z, bags)
    assert a.shape == (4, 3, 64, 64) and 0.0 <= a.min() and a.max() <= 1.0
    assert np.abs(a - b).max() <= ONNX_TOLERANCE
    if kind == "icon-vae":
        images = (a.transpose(0, 2, 3, 1) * 255).round().astype(np.uint8)
        assert np.abs(torch_run.encode(images) - onnx_run.encode(images)).max() <= ONNX_TOLERANCE


def test_without_an_onnx_export_the_error_names_the_export_command(runner, tmp_path):
    folder = build_family_folder(tmp_path / "no-onnx", "icon-gan", onnx=False)
    derived = tmp_path / "derived"
    ref = ModelRef(id=str(folder), kind="icon-gan", path=str(folder), derived_dir=str(derived))
    run = runner("image.gan", ref)
    with pytest.raises(ParameterError) as caught:
        run.run(seed=1, prompt="red", backend="onnxruntime")
    assert "genloom_image.family_export" in str(caught.value) and str(derived / "onnx") in str(caught.value)


def test_interpolation_makes_a_strip_of_n_frames_from_the_first_image_to_the_second(runner, tiny_vae, picture):
    run = runner("image.vae_interpolate", tiny_vae)
    start, end = picture(40, 40, name="a.png"), picture(16, 16, name="b.png")
    Image.new("RGB", (16, 16), (20, 90, 200)).save(end.path)
    outputs, state = run.run(inputs={"start": start, "end": end}, steps=5)
    (strip,) = outputs
    with Image.open(strip.path) as img:
        assert img.size == (5 * 16, 16)
        frames = np.asarray(img.convert("RGB"), dtype=np.float32).reshape(16, 5, 16, 3).transpose(1, 0, 2, 3)
    assert strip.metadata["frames"] == 5 and strip.metadata["mode"] == "slerp" and strip.metadata["strip"]
    # Consecutive frames move from the start's decoding towards the end's.
    to_end = [np.abs(f - frames[-1]).mean() for f in frames]
    assert to_end[0] > to_end[2] > to_end[-1] == 0.0
    assert state.reports


def test_interpolation_can_keep_each_frame_as_an_image_too(runner, tiny_vae, picture):
    run = runner("image.vae_interpolate", tiny_vae)
    outputs, _ = run.run(inputs={"start": picture(16, 16, name="a.png"), "end": picture(16, 16, name="b.png")},
                         steps=3, mode="lerp", save_frames=True)
    assert len(outputs) == 4
    assert [o.metadata.get("frame_index") for o in outputs[1:]] == [0, 1, 2]
    strip = pixels(outputs[0])
    for index, frame in enumerate(outputs[1:]):
        assert np.array_equal(pixels(frame), strip[:, index * 16:(index + 1) * 16])


def test_interpolation_refuses_a_missing_or_unreadable_input(runner, tiny_vae, picture, tmp_path):
    from genloom.sdk import InputAsset

    run = runner("image.vae_interpolate", tiny_vae)
    with pytest.raises(InputError, match="needs an image as 'end'") as caught:
        run.run(inputs={"start": picture(16, 16)}, steps=3)
    assert caught.value.remedy.action == "give_input" and caught.value.remedy.subject == "end"
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png at all")
    with pytest.raises(InputError, match="'end' \\(broken.png\\) is not an image"):
        run.run(inputs={"start": picture(16, 16), "end": InputAsset(None, "image", broken)}, steps=3)


def test_interpolation_steps_out_of_range_are_refused_by_the_spec(image_plugins):
    spec = image_plugins.generator("image.vae_interpolate")
    for steps in (1, 33):
        with pytest.raises(ParameterError, match="steps"):
            spec.validate_params({"steps": steps})
    assert spec.uses_seed is False and [i.role for i in spec.inputs] == ["start", "end"]


def test_a_user_folder_of_the_same_format_is_recognised(tiny_gan, tiny_vae):
    gan, vae = identify_family_folder(Path(tiny_gan.path)), identify_family_folder(Path(tiny_vae.path))
    assert (gan.kind, vae.kind) == ("icon-gan", "icon-vae")
    assert "refused" not in gan.details and "refused" not in vae.details
    assert identify_family_folder(MODELS / "emoji-ldm-32") is None


def _copy(folder: Path, to: Path) -> Path:
    import shutil

    return Path(shutil.copytree(folder, to))


def test_a_damaged_folder_is_refused_by_identification_and_by_the_loader(tiny_gan, runner, tmp_path):
    truncated = _copy(Path(tiny_gan.path), tmp_path / "truncated")
    weights = truncated / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:200])
    match = identify_family_folder(truncated)
    assert match.kind == "icon-gan" and "damaged" in match.details["refused"]

    other = _copy(Path(tiny_gan.path), tmp_path / "other-vocabulary")
    config = json.loads((other / "config.json").read_text())
    config["vocabulary"] = [*config["vocabulary"], "extra"]
    (other / "config.json").write_text(json.dumps(config))
    assert "different models" in identify_family_folder(other).details["refused"]
    with pytest.raises(ModelFormatError, match="different models"):
        runner("image.gan", ModelRef(id="x", kind="icon-gan", path=str(other)))

    config["vocabulary"] = config["vocabulary"][:-1]
    config["channels"] = [16, 8, 4]
    (other / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFormatError, match="does not fit config.json"):
        runner("image.gan", ModelRef(id="x", kind="icon-gan", path=str(other)))

    (other / "config.json").write_text("{not json")
    assert identify_family_folder(other) is None  # no longer says what it is: left to the library


def test_a_vae_folder_given_to_the_gan_is_refused(runner, tiny_vae):
    with pytest.raises(ModelFormatError, match="is a icon-vae folder"):
        runner("image.gan", tiny_vae)


def test_the_python_api_the_families_comparison_calls(tiny_gan, tiny_vae):
    from genloom_image import gan_model, vae_model

    gan = gan_model.load(tiny_gan.path)
    images = gan(["red heart", "cat"], [1, 2])
    assert images.shape == (2, 16, 16, 3) and images.dtype == np.uint8
    assert np.array_equal(gan(["cat"], [2])[0], images[1])  # a seed's image does not depend on its batch
    with pytest.raises(ParameterError):
        gan(["zebra"], [1])
    assert np.array_equal(gan(["zebra"], [1], strict=False), gan([""], [1]))  # scoring scripts: no caption
    vae = vae_model.load(tiny_vae.path, backend="onnxruntime")
    assert vae(["star"], [4]).shape == (1, 16, 16, 3)
    assert vae.interpolate(images[0], images[1], 6).shape == (6, 16, 16, 3)


def test_loading_and_running_a_model_leaves_torchs_grad_mode_alone(tiny_gan, tiny_vae):
    # The worker and training scripts share the process's grad mode: a loader that switched it
    # off globally broke the next test that trained a network in the same process.
    import torch

    from genloom_image import gan_model, vae_model

    assert torch.is_grad_enabled()
    gan_model.load(tiny_gan.path)(["red heart"], [1])
    vae = vae_model.load(tiny_vae.path)
    vae.interpolate(vae(["star"], [1])[0], vae(["star"], [2])[0], 3)
    assert torch.is_grad_enabled()
