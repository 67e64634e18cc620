"""The v2 image data (prepare_icons.py), its augmentation, and the families' feature space and scores."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

TRAINING = Path(__file__).resolve().parents[3] / "plugins" / "genloom_image" / "training"
NEEDED = {  # source key -> (a file it reads, the Debian package that ships it)
    "noto": ("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf", "fonts-noto-color-emoji"),
    "symbola": ("/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf", "fonts-symbola"),
    "tango": ("/usr/share/icons/Tango/index.theme", "tango-icon-theme"),
    "emoji-test": ("/usr/share/unicode/emoji/emoji-test.txt", "unicode-data"),
}


@pytest.fixture
def training(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The training scripts importable as top-level modules (as they import each other)."""
    monkeypatch.syspath_prepend(str(TRAINING))
    return TRAINING


def _require_sources() -> None:
    missing = [pkg for path, pkg in NEEDED.values() if not Path(path).exists()]
    if missing:
        pytest.skip(f"needs the Debian packages {', '.join(missing)} (apt-get install them)")


def _prepare(out: Path) -> dict[str, np.ndarray]:
    subprocess.run([sys.executable, str(TRAINING / "prepare_icons.py"), "--out", str(out), "--limit", "6",
                    "--sources", "noto,symbola,tango", "--heldout", "0.2"], check=True, capture_output=True,
                   text=True, timeout=600)
    with np.load(out) as data:
        return {k: data[k] for k in data.files}


def test_prepare_icons_writes_the_agreed_arrays_deterministically(tmp_path):
    _require_sources()
    first = _prepare(tmp_path / "a.npz")
    second = _prepare(tmp_path / "b.npz")
    for key in ("images", "captions", "names", "sources", "split", "flip_ok", "groups"):
        assert np.array_equal(first[key], second[key]), key
    images = first["images"]
    n = len(images)
    assert images.dtype == np.uint8 and images.shape == (n, 64, 64, 3)
    assert (images[:, 0, :, :] == 255).all(), "the 2 px margin is white background"
    assert set(first["sources"]) == {"fonts-noto-color-emoji", "fonts-symbola", "tango-icon-theme"}
    assert set(first["split"]) <= {"train", "heldout"}
    # Held out by name: a name's renderings are all on one side.
    for name in set(first["names"]):
        assert len(set(first["split"][first["names"] == name])) == 1
    # Noto and Symbola render the same emoji names: several pictures per concept.
    noto = set(first["names"][first["sources"] == "fonts-noto-color-emoji"])
    symbola = set(first["names"][first["sources"] == "fonts-symbola"])
    assert noto & symbola
    caption = first["captions"][first["names"] == "grinning face"]
    assert "grinning face emoji, face smiling" in caption
    assert any(c.endswith("line art") for c in caption)
    assert any(c.endswith("icon, " + g) for c, g in zip(first["captions"], first["groups"], strict=True))


def test_prepare_icons_refuses_an_unknown_source_by_name(tmp_path):
    done = subprocess.run([sys.executable, str(TRAINING / "prepare_icons.py"), "--out", str(tmp_path / "x.npz"),
                           "--sources", "noto,twemoji"], capture_output=True, text=True, timeout=600)
    assert done.returncode != 0
    assert "twemoji" in done.stderr and "choose from" in done.stderr
    assert not (tmp_path / "x.npz").exists()


def test_flip_rules_keep_meaning(training):
    from prepare_icons import emoji_flip_ok

    assert emoji_flip_ok("red apple", "Food & Drink", "food-fruit")
    assert not emoji_flip_ok("flag: Japan", "Flags", "country-flag")
    assert not emoji_flip_ok("thumbs up", "People & Body", "hand-fingers-closed")
    assert not emoji_flip_ok("person walking facing right", "People & Body", "person-activity")
    assert not emoji_flip_ok("right arrow", "Symbols", "arrow")


def _asymmetric(n: int) -> np.ndarray:
    images = np.full((n, 16, 16, 3), 255, np.uint8)
    images[:, 6:10, 4:7] = (200, 0, 0)  # a red bar left of centre
    return images


def test_numpy_augmentation_flips_only_where_allowed_and_keeps_white_white(training):
    from prepare_icons import augment

    images = _asymmetric(64)
    forbidden = augment(images, np.zeros(64, bool), np.random.default_rng(0), shift=0)
    assert (forbidden[:, :, 9:] == 255).all(), "never mirrored to the right half"
    allowed = augment(images, np.ones(64, bool), np.random.default_rng(0), shift=0)
    right = (allowed[:, :, 9:] < 255).any(axis=(1, 2, 3))
    assert 0 < right.sum() < 64, "about half mirrored"
    assert (allowed[:, :3] == 255).all(), "the background stays white under ink jitter"
    again = augment(images, np.ones(64, bool), np.random.default_rng(0), shift=0)
    assert np.array_equal(allowed, again)


def test_torch_augmentation_translates_by_whole_pixels_over_white(training):
    import torch
    from train import augment

    x = torch.ones(32, 3, 16, 16)
    x[:, :, 8, 8] = -1  # one black pixel
    out = augment(x, torch.zeros(32, dtype=torch.bool), torch.Generator().manual_seed(0), shift=2, jitter=0.0)
    for img in out:
        ys, xs = torch.nonzero(img[0] < 0, as_tuple=True)
        assert len(ys) == 1 and abs(int(ys[0]) - 8) <= 2 and abs(int(xs[0]) - 8) <= 2
        assert int((img[0] == 1).sum()) == 16 * 16 - 1
    moved = {tuple(torch.nonzero(img[0] < 0)[0].tolist()) for img in out}
    assert len(moved) > 1


def test_frechet_distance_is_zero_for_identical_sets_and_the_mean_shift_squared_for_a_translation(training):
    from features import frechet_distance

    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 8))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shift = np.array([3.0] + [0.0] * 7)
    assert frechet_distance(a, a + shift) == pytest.approx(9.0, rel=1e-6)
    wider = frechet_distance(a, 3 * a)
    assert wider > 1.0
    with pytest.raises(ValueError, match="at least two"):
        frechet_distance(a[:1], a)


def test_precision_recall_is_one_for_identical_sets_and_low_for_disjoint_ones(training):
    from features import precision_recall

    rng = np.random.default_rng(1)
    real = rng.normal(size=(200, 4))
    assert precision_recall(real, real.copy()) == (1.0, 1.0)
    far = precision_recall(real, real + 100.0)
    assert far == (0.0, 0.0)
    # A generator that covers one half only: precise, but recalls about half.
    half = real[real[:, 0] > 0]
    precision, recall = precision_recall(real, half)
    assert precision == 1.0 and 0.3 < recall < 0.8


def test_mean_pairwise_distance_known_answers(training):
    from features import mean_pairwise_distance

    assert mean_pairwise_distance(np.array([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5.0)
    assert mean_pairwise_distance(np.zeros((4, 3))) == pytest.approx(0.0)
    assert mean_pairwise_distance(np.zeros((1, 3))) == 0.0


def _squares(colour: tuple[int, int, int], n: int, rng: np.random.Generator) -> np.ndarray:
    images = np.full((n, 64, 64, 3), 255, np.uint8)
    for img in images:
        y, x = rng.integers(8, 40, 2)
        img[y:y + 16, x:x + 16] = colour
    return images


def test_the_feature_network_learns_categories_and_round_trips(training, tmp_path):
    import torch
    from features import FeatureNet, category, frechet_distance, train

    assert category("red heart emoji, heart, blue line art") == "emoji: heart"
    assert category("folder icon, places") == "icon: places"
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    images = np.concatenate([_squares((220, 30, 30), 32, rng), _squares((30, 30, 220), 32, rng)])
    captions = np.array(["red square icon, red"] * 32 + ["blue square icon, blue"] * 32)
    net, accuracy = train(images, captions, np.ones(64, bool), steps=40, seed=0, batch=16, log_every=0)
    assert net.labels == ["icon: blue", "icon: red"]
    assert accuracy > 0.9
    red, red2, blue = (net.features(_squares(c, 40, np.random.default_rng(s)))
                       for c, s in (((220, 30, 30), 1), ((220, 30, 30), 2), ((30, 30, 220), 3)))
    assert red.shape == (40, 128)
    assert frechet_distance(red, red2) < frechet_distance(red, blue)
    net.save(tmp_path / "f.safetensors")
    loaded = FeatureNet.load(tmp_path / "f.safetensors")
    assert loaded.labels == net.labels
    assert np.allclose(loaded.features(images[:4]), net.features(images[:4]))


def test_the_comparison_uses_one_colour_caption_per_held_out_name(training):
    from compare_families import heldout_captions

    data = {
        "captions": np.array(["cat emoji, cat, black line art", "cat emoji, cat", "dog emoji, dog",
                              "folder icon, places", "tree emoji, plant",
                              # "symbolic" in a name is not a style; the caption's ending is.
                              "emblem symbolic link icon, emblems, black symbolic",
                              "emblem symbolic link icon, emblems"]),
        "names": np.array(["cat", "cat", "dog", "folder", "tree", "emblem symbolic link", "emblem symbolic link"]),
        "split": np.array(["heldout", "heldout", "heldout", "heldout", "train", "heldout", "heldout"]),
        "images": np.arange(7)[:, None],
    }
    captions, real = heldout_captions(data)
    assert sorted(captions) == ["cat emoji, cat", "dog emoji, dog", "emblem symbolic link icon, emblems",
                                "folder icon, places"]
    assert sorted(real[:, 0]) == [0, 1, 2, 3, 5, 6]
    emoji, real_emoji = heldout_captions(data, "emoji")
    assert sorted(emoji) == ["cat emoji, cat", "dog emoji, dog"] and sorted(real_emoji[:, 0]) == [0, 1, 2]
    icons, _ = heldout_captions(data, "icons")
    assert sorted(icons) == ["emblem symbolic link icon, emblems", "folder icon, places"]


def test_train_py_makes_a_64px_model_from_an_icon_archive_that_the_plugin_runs(tmp_path, runner):
    """The v2 path end to end on a tiny archive: captions, split, flips, export, the plugin's loader."""
    from PIL import Image

    from genloom.sdk import ModelRef

    rng = np.random.default_rng(0)
    images = np.concatenate([_squares((220, 30, 30), 6, rng), _squares((30, 30, 220), 6, rng)])
    captions = ["red square icon, shapes"] * 6 + ["blue square icon, shapes"] * 6
    names = ["red square"] * 6 + ["blue square"] * 6
    np.savez(tmp_path / "tiny.npz", images=images, captions=np.array(captions), names=np.array(names),
             sources=np.array(["test"] * 12), split=np.array(["train"] * 10 + ["heldout"] * 2),
             flip_ok=np.ones(12, bool), groups=np.array(["shapes"] * 12))
    folder = tmp_path / "v2"
    done = subprocess.run([sys.executable, str(TRAINING / "train.py"), "--data", str(tmp_path / "tiny.npz"),
                           "--work", str(tmp_path / "work"), "--out", str(folder), "--curves", str(tmp_path),
                           "--device", "cpu", "--threads", "1", "--batch", "4", "--vae-steps", "2",
                           "--unet-steps", "2", "--max-tokens", "16"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "10 images of 2 names at 64 px" in done.stdout and "augment=True" in done.stdout
    model = ModelRef(id=str(folder), kind="diffusers", path=str(folder), source="user", title="v2")
    (out,), _ = runner("image.text_to_image", model).run(prompt="red square", steps=2)
    with Image.open(out.path) as img:
        assert img.size == (64, 64)
    # Continued (--init-from): the shipped folder's weights are where training starts. With
    # a learning rate of almost nothing the continued model is the one it started from.
    again = tmp_path / "v2-continued"
    done = subprocess.run([sys.executable, str(TRAINING / "train.py"), "--data", str(tmp_path / "tiny.npz"),
                           "--work", str(tmp_path / "work2"), "--out", str(again), "--curves", str(tmp_path),
                           "--device", "cpu", "--threads", "1", "--batch", "4", "--init-from", str(folder),
                           "--unet-steps", "2", "--unet-lr", "1e-12"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"continuing {folder}" in done.stdout and "vae: reusing" in done.stdout
    from safetensors.numpy import load_file

    for part in ("unet/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors",
                 "vae/diffusion_pytorch_model.safetensors"):
        before, after = load_file(folder / part), load_file(again / part)
        assert before.keys() == after.keys()
        assert all(np.allclose(before[k], after[k], atol=1e-6) for k in before), part
    assert (again / "tokenizer" / "vocab.json").read_bytes() == (folder / "tokenizer" / "vocab.json").read_bytes()
    (out,), _ = runner("image.text_to_image", ModelRef(id=str(again), kind="diffusers", path=str(again),
                                                       source="user", title="v2 continued")).run(
        prompt="red square", steps=2)
    with Image.open(out.path) as img:
        assert img.size == (64, 64)


def test_bare_name_prompts_keep_the_style_of_monochrome_renderings(training):
    from train import prompt_names

    names = ["red heart", "red heart", "folder", "folder", "cat"]
    captions = ["red heart emoji, heart", "red heart emoji, heart, blue line art", "folder icon, places",
                "folder icon, places, black symbolic", "cat"]
    assert prompt_names(names, captions) == ["red heart", "red heart, blue line art", "folder",
                                             "folder, black symbolic", "cat"]


def test_a_themes_prerendered_symbolic_png_is_a_file_of_its_name_and_rtl_mirrors_are_skipped(training, tmp_path):
    """Adwaita ships ``x-symbolic.symbolic.png`` beside ``x-symbolic.svg``: one name, drawn
    as a symbolic (two-ink) icon, not a second name "x symbolic symbolic" taken for colour."""
    from PIL import Image
    from prepare_icons import icon_files, theme_items

    theme = tmp_path / "icons" / "Theme"
    drawn = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    drawn.paste((40, 40, 40, 255), (16, 16, 48, 48))
    files = ["64x64/devices/ac-adapter-symbolic.symbolic.png", "64x64/actions/go-next.png",
             "64x64/actions/go-next-rtl.png", "64x64/actions/go-next-symbolic-rtl.symbolic.png"]
    for name in files:
        (theme / name).parent.mkdir(parents=True, exist_ok=True)
        drawn.save(theme / name)
    (theme / "scalable" / "devices").mkdir(parents=True)
    (theme / "scalable" / "devices" / "ac-adapter-symbolic.svg").write_text("<svg/>")

    found = icon_files(theme)
    assert sorted(found) == ["ac-adapter-symbolic", "go-next"]
    assert found["ac-adapter-symbolic"] == ("devices", theme / files[0])  # the 64 px drawing, not the SVG

    import prepare_icons

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(prepare_icons, "ICONS", tmp_path / "icons")
        captions = sorted(item.caption for item in theme_items("Theme")(0, 0))
    inks = [ink for ink, _ in prepare_icons.inks_for("ac adapter", 2)]
    assert captions == sorted([f"ac adapter icon, devices, {ink} symbolic" for ink in inks]
                              + ["go next icon, actions"])
