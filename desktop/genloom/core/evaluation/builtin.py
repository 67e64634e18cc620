"""Core's own metrics, offered through the same hook a plugin implements.

Ids start with ``genloom.``. Each spec is plain data; its functions import what they
need (torch, sacrebleu, music21...) only when an evaluation job runs them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from genloom.core.evaluation import audio_metrics as audio
from genloom.core.evaluation import code_metrics as code
from genloom.core.evaluation import image_metrics as image
from genloom.core.evaluation import text_metrics as text
from genloom.core.evaluation import video_metrics as video
from genloom.sdk.metrics import MetricAsset, MetricContext, MetricSpec

__all__ = ["AUDIO_FILES", "SYMBOLIC_FILES", "genloom_register_metrics"]

#: Sound files the audio metrics read (a MIDI file is an audio asset but has no samples).
AUDIO_FILES = (".wav", ".flac", ".ogg", ".mp3")
#: Symbolic music: ABC (a text asset) and MIDI (an audio asset).
SYMBOLIC_FILES = (".abc", ".mid", ".midi")
#: Plain text, not tunes or JSON reports.
_PROSE = (".txt", ".md")


def _texts(assets: Sequence[MetricAsset]) -> list[str]:
    return [text.read_text(a.path) for a in assets]


def _distinct(n: int, assets: Sequence[MetricAsset], context: MetricContext) -> float:
    return text.distinct_n(_texts(assets), n)


def _distinct_one(n: int, asset: MetricAsset, context: MetricContext) -> float:
    return text.distinct_n([text.read_text(asset.path)], n)


def _self_bleu(assets: Sequence[MetricAsset], context: MetricContext) -> float:
    return text.self_bleu(_texts(assets))


def _repetition(asset: MetricAsset, context: MetricContext) -> float:
    return text.repetition_rate(text.read_text(asset.path))


def _perplexity(asset: MetricAsset, context: MetricContext) -> float:
    return text.perplexity(text.read_text(asset.path), context)


@functools.cache
def _specs() -> tuple[MetricSpec, ...]:
    return (
        # -- images
        MetricSpec("genloom.sharpness", "Sharpness", ("image",),
                   "Variance of the Laplacian of the grey image: how much fine edge detail it has. "
                   "0 for a flat image; blurry images score low. Depends on image size and content, "
                   "so compare images of one kind.", low=0.0, high=None, higher_is_better=True,
                   per_asset=image.sharpness),
        MetricSpec("genloom.vae_diversity", "Diversity (VAE latents)", ("image",),
                   "Mean pairwise RMS distance between the images' latents under a bundled image "
                   "model's VAE encoder (the same one for every set, so sets made by different models "
                   "compare): 0 when every image is the same; higher means a more varied set.",
                   low=0.0, high=None, higher_is_better=True, per_set=image.vae_diversity,
                   needs_model="image_vae"),
        MetricSpec("genloom.ms_ssim_diversity", "Diversity (1 - MS-SSIM)", ("image",),
                   "One minus the mean pairwise multi-scale structural similarity (torchmetrics) "
                   "of the set's images: 0 when all are identical, towards 1 when they share no "
                   "structure.", low=0.0, high=1.0, higher_is_better=True,
                   per_set=image.ms_ssim_diversity),
        MetricSpec("genloom.clip_agreement", "Prompt agreement (CLIP)", ("image",),
                   "Cosine similarity x100 between the image and its prompt under a CLIP-family "
                   "model from your model library (the CLIPScore scale, 0-100). Offered only when "
                   "such a model is in the library.", low=0.0, high=100.0, higher_is_better=True,
                   per_asset=image.clip_agreement, needs_model="clip"),
        # -- text
        MetricSpec("genloom.distinct_1", "Distinct-1", ("text",),
                   "Distinct words over all words (per asset, and over the whole set): 1 when no "
                   "word repeats, near 0 for repetitive text.", low=0.0, high=1.0,
                   per_asset=functools.partial(_distinct_one, 1),
                   per_set=functools.partial(_distinct, 1), min_set=1, suffixes=_PROSE),
        MetricSpec("genloom.distinct_2", "Distinct-2", ("text",),
                   "Distinct word pairs over all word pairs (per asset, and over the whole set).",
                   low=0.0, high=1.0, per_asset=functools.partial(_distinct_one, 2),
                   per_set=functools.partial(_distinct, 2), min_set=1, suffixes=_PROSE),
        MetricSpec("genloom.self_bleu", "Self-BLEU", ("text",),
                   "Mean BLEU (sacrebleu, 0-100) of each text against the others of the set: high "
                   "when the texts repeat each other (less diverse).", low=0.0, high=100.0,
                   higher_is_better=False, per_set=_self_bleu, suffixes=_PROSE),
        MetricSpec("genloom.repetition", "Repetition rate", ("text",),
                   "Share of the text's word 3-grams that already occurred earlier in it: 0 for "
                   "no repetition, towards 1 for text stuck in a loop.", low=0.0, high=1.0,
                   higher_is_better=False, per_asset=_repetition, suffixes=_PROSE),
        MetricSpec("genloom.perplexity", "Perplexity", ("text",),
                   "Perplexity of the text under a reference language model (the bundled text "
                   "model unless you pick another): how surprising the model finds it. 1 is the "
                   "least; lower reads as more fluent to that model.", low=1.0, high=None,
                   higher_is_better=False, per_asset=_perplexity, needs_model="reference_text",
                   suffixes=_PROSE),
        # -- code
        MetricSpec("genloom.parse_rate", "Parse rate", ("code",),
                   "1 when the Python file parses (ast), 0 when it does not; over a set, the "
                   "share that parse.", low=0.0, high=1.0, per_asset=code.parses, suffixes=(".py",)),
        MetricSpec("genloom.lint_findings", "Linter findings", ("code",),
                   "How many findings ruff's default rules report (run as a separate process).",
                   low=0.0, high=None, higher_is_better=False, per_asset=code.lint_findings,
                   suffixes=(".py",)),
        MetricSpec("genloom.test_pass_rate", "Test pass rate", ("code",),
                   "Share of the tests carried by the prompt (doctest examples '>>>' and 'assert' "
                   "lines) that the code passes, run fenced in (a separate Python with no network, no "
                   "writes outside its folder and a 10 s limit). Only "
                   "for assets whose prompt carries tests.", low=0.0, high=1.0,
                   per_asset=code.test_pass_rate, suffixes=(".py",)),
        # -- audio
        MetricSpec("genloom.loudness", "Loudness", ("audio",),
                   "Integrated loudness (ITU-R BS.1770, LUFS). About -14 to -16 LUFS suits "
                   "streaming; much lower is quiet. Not a quality: no direction.", low=None,
                   high=0.0, higher_is_better=None, per_asset=audio.loudness, unit="LUFS",
                   suffixes=AUDIO_FILES),
        MetricSpec("genloom.clipping", "Clipping", ("audio",),
                   "Share of samples at full scale (distorted): 0 is clean.", low=0.0, high=1.0,
                   higher_is_better=False, per_asset=audio.clipping_share, suffixes=AUDIO_FILES),
        MetricSpec("genloom.silence", "Silence share", ("audio",),
                   "Share of 50 ms windows quieter than -60 dBFS: 1 for a silent file.",
                   low=0.0, high=1.0, higher_is_better=False, per_asset=audio.silence_share,
                   suffixes=AUDIO_FILES),
        MetricSpec("genloom.bar_consistency", "Bar-length consistency", ("audio", "text"),
                   "For symbolic music (ABC, MIDI): share of the inner bars that last exactly what "
                   "their time signature says (music21).", low=0.0, high=1.0,
                   per_asset=audio.bar_consistency, suffixes=SYMBOLIC_FILES),
        MetricSpec("genloom.key_stability", "Key stability", ("audio", "text"),
                   "For symbolic music: share of 4-bar windows whose estimated key is the whole "
                   "tune's key (music21's Krumhansl-Schmuckler analysis).", low=0.0, high=1.0,
                   per_asset=audio.key_stability, suffixes=SYMBOLIC_FILES),
        # -- video
        MetricSpec("genloom.temporal_consistency", "Temporal consistency", ("video",),
                   "Mean SSIM between consecutive frames (torchmetrics): 1 for a still clip; low "
                   "for clips whose content jumps.", low=0.0, high=1.0,
                   per_asset=video.temporal_consistency),
        MetricSpec("genloom.flicker", "Flicker", ("video",),
                   "Mean absolute change of the frames' mean luminance between frames, as a share "
                   "of full scale: 0 for steady light.", low=0.0, high=1.0, higher_is_better=False,
                   per_asset=video.flicker),
    )


def genloom_register_metrics() -> list[MetricSpec]:
    """Core's metrics (the hook's signature; :meth:`PluginManager.all_metrics` calls it)."""
    return list(_specs())
