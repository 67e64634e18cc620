"""Each built-in metric on inputs whose answer is known: real files, the real libraries."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genloom.core.evaluation import (
    audio_metrics,
    code_metrics,
    image_metrics,
    text_metrics,
    video_metrics,
)
from genloom.sdk.audio import write_wav
from genloom.sdk.metrics import MetricAsset, MetricContext
from genloom.sdk.video import write_video

IMAGE_MODEL = Path(__file__).parents[3] / "plugins" / "genloom_image" / "models" / "emoji-ldm-32"
TEXT_MODEL = Path(__file__).parents[3] / "plugins" / "genloom_text" / "models" / "fortune-llama"


def _asset(path: Path, kind: str, prompt: str = "", asset_id: int = 1) -> MetricAsset:
    return MetricAsset(asset_id=asset_id, kind=kind, path=path, prompt=prompt)


def _image(tmp_path: Path, name: str, seed: int, size: int = 32) -> MetricAsset:
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / f"{name}.png")
    return _asset(tmp_path / f"{name}.png", "image")


def _text(tmp_path: Path, name: str, content: str, kind: str = "text", suffix: str = ".txt") -> MetricAsset:
    path = tmp_path / f"{name}{suffix}"
    path.write_text(content, encoding="utf-8")
    return _asset(path, kind)


@pytest.fixture
def context(tmp_path: Path) -> MetricContext:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    return MetricContext(models={"image_vae": IMAGE_MODEL / "vae", "reference_text": TEXT_MODEL},
                         scratch=scratch)


# -- images


def test_identical_images_have_zero_diversity(tmp_path: Path, context: MetricContext) -> None:
    one = _image(tmp_path, "a", 1)
    same = [one, _asset(one.path, "image", asset_id=2), _asset(one.path, "image", asset_id=3)]
    assert image_metrics.vae_diversity(same, context) == pytest.approx(0.0, abs=1e-9)
    assert image_metrics.ms_ssim_diversity(same, context) == pytest.approx(0.0, abs=1e-6)


def test_different_images_are_more_diverse_than_near_copies(tmp_path: Path, context: MetricContext) -> None:
    different = [_image(tmp_path, f"d{i}", i) for i in range(3)]
    base = np.asarray(Image.open(different[0].path)).astype(int)
    near = []
    for i in range(3):
        pixels = np.clip(base + i, 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(tmp_path / f"n{i}.png")
        near.append(_asset(tmp_path / f"n{i}.png", "image"))
    assert image_metrics.vae_diversity(different, context) > 5 * image_metrics.vae_diversity(near, context)
    assert image_metrics.ms_ssim_diversity(different, context) > image_metrics.ms_ssim_diversity(near, context)


def test_a_flat_image_has_no_sharpness_and_noise_has_much(tmp_path: Path, context: MetricContext) -> None:
    Image.new("RGB", (32, 32), (90, 120, 200)).save(tmp_path / "flat.png")
    assert image_metrics.sharpness(_asset(tmp_path / "flat.png", "image"), context) == 0.0
    assert image_metrics.sharpness(_image(tmp_path, "noise", 3), context) > 1000


# -- text


def test_repeated_sentences_have_low_distinct_n_and_high_self_bleu(tmp_path: Path) -> None:
    repeated = ["the cat sat on the mat."] * 4
    varied = ["the cat sat on the mat.", "a storm rolled over distant hills.",
              "bright code compiles quickly today.", "seven owls hoot beneath pale moons."]
    assert text_metrics.distinct_n(repeated, 1) < 0.3
    assert text_metrics.distinct_n(repeated, 2) < 0.3
    assert text_metrics.distinct_n(varied, 2) == 1.0
    assert text_metrics.self_bleu(repeated) == pytest.approx(100.0)
    assert text_metrics.self_bleu(varied) < 10.0


def test_repetition_rate_counts_looping_text() -> None:
    assert text_metrics.repetition_rate("one two three four five six") == 0.0
    assert text_metrics.repetition_rate("la la la la la la la la") > 0.8


def test_perplexity_under_the_bundled_model_prefers_its_own_kind_of_text(context: MetricContext) -> None:
    fortune = "You will be successful in your work. Beware of all enterprises that require new clothes."
    noise = "qz xv jj kq zzv wq pf xq jv zq kx vq"
    assert 1.0 < text_metrics.perplexity(fortune, context) < text_metrics.perplexity(noise, context)


# -- code


def test_a_file_that_does_not_parse_counts_as_such(tmp_path: Path, context: MetricContext) -> None:
    good = _text(tmp_path, "good", "def f(x):\n    return x + 1\n", "code", ".py")
    bad = _text(tmp_path, "bad", "def f(x)\n    return x +\n", "code", ".py")
    assert code_metrics.parses(good, context) == 1.0
    assert code_metrics.parses(bad, context) == 0.0


def test_ruff_findings_are_counted(tmp_path: Path, context: MetricContext) -> None:
    clean = _text(tmp_path, "clean", "def f(x):\n    return x + 1\n", "code", ".py")
    messy = _text(tmp_path, "messy", "import os\nimport sys\n\ndef f(x):\n    return y\n", "code", ".py")
    assert code_metrics.lint_findings(clean, context) == 0.0
    # two unused imports and an undefined name (and, in newer ruff, the import order)
    assert code_metrics.lint_findings(messy, context) >= 3.0


def test_tests_in_the_prompt_run_in_a_subprocess(tmp_path: Path, context: MetricContext) -> None:
    prompt = ("Write add(a, b).\n>>> add(2, 3)\n5\n>>> add(-1, 1)\n0\n"
              "assert add(1, 1) == 2\nassert add(0, 0) == 1\n")
    right = _text(tmp_path, "right", "def add(a, b):\n    return a + b\n", "code", ".py")
    wrong = _text(tmp_path, "wrong", "def add(a, b):\n    return a + b + 1\n", "code", ".py")
    exits = _text(tmp_path, "exits", "import os\nos._exit(0)\n", "code", ".py")
    with_prompt = [MetricAsset(a.asset_id, "code", a.path, prompt=prompt) for a in (right, wrong, exits)]
    # 2 doctest examples + 2 asserts; the right code fails only the wrong assert
    assert code_metrics.test_pass_rate(with_prompt[0], context) == 0.75
    assert code_metrics.test_pass_rate(with_prompt[1], context) == 0.25  # only add(0, 0) == 1
    assert code_metrics.test_pass_rate(with_prompt[2], context) == 0.0
    assert code_metrics.test_pass_rate(right, context) is None  # no tests in the prompt


@pytest.mark.parametrize("hostile", [
    "import os\nos.remove({victim!r})\n",
    "import shutil\nshutil.rmtree({folder!r})\n",
    "import subprocess\nsubprocess.run(['rm', {victim!r}])\n",
])
def test_a_hostile_code_asset_harms_nothing_when_its_tests_run(tmp_path: Path, context: MetricContext,
                                                              hostile: str) -> None:
    """A code asset from a stranger's project is run only fenced in: what it tries
    outside its folder is refused, and it passes nothing it did not pass."""
    victim = tmp_path / "mine" / "keep.txt"
    victim.parent.mkdir()
    victim.write_text("mine")
    code = hostile.format(victim=str(victim), folder=str(victim.parent)) + "def add(a, b):\n    return a + b\n"
    asset = _text(tmp_path, "hostile", code, "code", ".py")
    tests = "assert add(1, 2) == 3\nassert 'GENLOOM_HOME' not in __import__('os').environ\n"
    rate = code_metrics.test_pass_rate(MetricAsset(1, "code", asset.path, prompt=tests), context)
    assert rate == 0.0  # the refused line stops the module before add() exists
    assert victim.read_text() == "mine"
    friendly = _text(tmp_path, "friendly", "def add(a, b):\n    return a + b\n", "code", ".py")
    assert code_metrics.test_pass_rate(MetricAsset(2, "code", friendly.path, prompt=tests), context) == 1.0
    assert list(Path(context.scratch).iterdir()) == []  # nothing left behind


def test_the_tests_of_a_whole_evaluation_run_in_one_batch_with_the_same_rates(tmp_path: Path) -> None:
    """The first code asset measured runs every code asset's tests (one fenced batch);
    the rates are those of measuring each alone."""
    prompt = ('def add(a, b):\n    """Add.\n\n    >>> add(2, 3)\n    5\n    """\n'
              "assert add(1, 1) == 2\nassert add(0, 0) == 1\n")
    bodies = ["def add(a, b):\n    return a + b\n", "def add(a, b):\n    return a - b\n",
              "import os\nos._exit(0)\n", "while True:\n    pass\n", "def add(a, b):\n    return 1\n"]
    assets = [MetricAsset(i + 1, "code", _text(tmp_path, f"c{i}", body, "code", ".py").path, prompt=prompt)
              for i, body in enumerate(bodies)]
    assets.append(MetricAsset(9, "code", assets[0].path, prompt="no tests here"))
    alone = []
    for asset in assets:
        scratch = tmp_path / f"alone-{asset.asset_id}"
        scratch.mkdir()
        alone.append(code_metrics.test_pass_rate(asset, MetricContext(scratch=scratch)))
    scratch = tmp_path / "batch"
    scratch.mkdir()
    shared = MetricContext(scratch=scratch, assets=assets)
    first = code_metrics.test_pass_rate(assets[2], shared)
    assert len(shared.cache["test-pass-rates"]) == 5  # all five with tests, at once
    together = [code_metrics.test_pass_rate(a, shared) for a in assets]
    assert together == alone == [2 / 3, 0.0, 0.0, 0.0, 1 / 3, None]  # right: the doctest and one assert
    assert first == together[2]


def test_a_hanging_candidate_fails_its_tests(tmp_path: Path, context: MetricContext, monkeypatch) -> None:
    monkeypatch.setattr(code_metrics, "TEST_TIMEOUT_S", 2.0)
    hang = _text(tmp_path, "hang", "while True:\n    pass\n", "code", ".py")
    asset = MetricAsset(1, "code", hang.path, prompt="assert True\n")
    assert code_metrics.test_pass_rate(asset, context) == 0.0


# -- audio


def test_a_silent_wav_has_silence_share_one_and_no_loudness(tmp_path: Path, context: MetricContext) -> None:
    write_wav(tmp_path / "silent.wav", np.zeros(16000, dtype=np.float32), 16000)
    silent = _asset(tmp_path / "silent.wav", "audio")
    assert audio_metrics.silence_share(silent, context) == 1.0
    assert audio_metrics.clipping_share(silent, context) == 0.0
    assert audio_metrics.loudness(silent, context) is None


def test_a_tone_is_loud_and_a_square_at_full_scale_clips(tmp_path: Path, context: MetricContext) -> None:
    t = np.arange(32000) / 16000
    write_wav(tmp_path / "tone.wav", (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)
    write_wav(tmp_path / "square.wav", np.sign(np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)
    tone, square = _asset(tmp_path / "tone.wav", "audio"), _asset(tmp_path / "square.wav", "audio")
    assert audio_metrics.silence_share(tone, context) == 0.0
    assert -12.0 < audio_metrics.loudness(tone, context) < -5.0
    assert audio_metrics.clipping_share(tone, context) == 0.0
    assert audio_metrics.clipping_share(square, context) > 0.9


def test_symbolic_music_bars_and_key(tmp_path: Path, context: MetricContext) -> None:
    steady = "X:1\nT:steady\nM:4/4\nL:1/4\nK:C\n" + "|".join(["C D E F", "G A B c", "c B A G", "F E D C"] * 2) + "|]\n"
    ragged = "X:1\nT:ragged\nM:4/4\nL:1/4\nK:C\nC D E F|G A B|c B A G F|E D C C|C D E F|]\n"
    steady_asset = _text(tmp_path, "steady", steady, suffix=".abc")
    assert audio_metrics.bar_consistency(steady_asset, context) == 1.0
    assert audio_metrics.bar_consistency(_text(tmp_path, "ragged", ragged, suffix=".abc"), context) < 0.5
    assert audio_metrics.key_stability(steady_asset, context) == 1.0


# -- video


def test_a_static_video_has_full_temporal_consistency_and_no_flicker(tmp_path: Path, context: MetricContext) -> None:
    frame = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    write_video(tmp_path / "static.mp4", [frame] * 12, fps=12)
    static = _asset(tmp_path / "static.mp4", "video")
    assert video_metrics.temporal_consistency(static, context) == pytest.approx(1.0, abs=0.02)
    assert video_metrics.flicker(static, context) == pytest.approx(0.0, abs=0.005)


def test_a_flashing_video_flickers_and_is_not_consistent(tmp_path: Path, context: MetricContext) -> None:
    rng = np.random.default_rng(2)
    frames = [np.full((64, 64, 3), 230 if i % 2 else 20, dtype=np.uint8) for i in range(12)]
    write_video(tmp_path / "flash.mp4", frames, fps=12)
    noise = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(12)]
    write_video(tmp_path / "noise.mp4", noise, fps=12)
    assert video_metrics.flicker(_asset(tmp_path / "flash.mp4", "video"), context) > 0.6
    assert video_metrics.temporal_consistency(_asset(tmp_path / "noise.mp4", "video"), context) < 0.3


def test_a_large_set_is_measured_on_a_fixed_sample_of_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image_metrics, "MAX_PAIRS", 50)
    pairs = image_metrics._pairs(200)
    assert len(pairs) == 50 and len(set(pairs)) == 50 and all(i < j for i, j in pairs)
    assert image_metrics._pairs(200) == pairs
    assert len(image_metrics._pairs(10)) == 45


def test_ruff_runs_once_for_all_the_files_of_an_evaluation(tmp_path: Path, context: MetricContext) -> None:
    clean = _text(tmp_path, "clean2", "def f(x):\n    return x + 1\n", "code", ".py")
    messy = _text(tmp_path, "messy2", "def f(x):\n    return y\n", "code", ".py")
    context.assets = (clean, messy)
    assert code_metrics.lint_findings(clean, context) == 0.0
    assert set(context.cache["ruff-findings"]) == {str(clean.path), str(messy.path)}
    messy.path.write_text("import os\n", encoding="utf-8")  # already counted: not linted again
    assert code_metrics.lint_findings(messy, context) == 1.0
