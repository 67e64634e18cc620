"""The music generators' specs and bundled model: plain data, cheap to import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genloom.sdk import (
    BoolParam,
    BundledModel,
    ChoiceParam,
    FloatParam,
    GeneratorSpec,
    InputSpec,
    IntParam,
    StringParam,
)
from genloom_audio import abc_text, audio_io, gm, render

MODELS_DIR = Path(__file__).resolve().parent / "models"
FOLK_MODEL_ID = "audio.folk-abc"
#: The model kind of ABC language models (transformers causal-LM folders trained on
#: Genloom's ABC header format); kept apart from text models so neither list offers the
#: other's models.
ABC_MODEL_KIND = "abc-music-lm"
DEVICES = ("cuda", "mps", "cpu")
#: Model kinds of users' audio models (``user_music.identify_music_model``).
MUSICGEN_KIND = "musicgen"
STABLE_AUDIO_KIND = "stable-audio"


def _music() -> object:
    from genloom_audio.music_generator import MusicGenerator

    return MusicGenerator()


def _check_music(params: dict[str, Any]) -> None:
    from genloom_audio.music_generator import check_music_params

    check_music_params(params)


def output_params(sample_rate: int = 44100, channels: int = 2,
                  normalise: str = "loudness") -> tuple[Any, ...]:
    """Sample rate, channels and normalisation: the audio output's parameters."""
    return (
        IntParam("sample_rate", sample_rate, minimum=min(audio_io.SAMPLE_RATES),
                 maximum=max(audio_io.SAMPLE_RATES), step=50, title="Sample rate (Hz)",
                 description="One of " + ", ".join(str(r) for r in audio_io.SAMPLE_RATES) + ".",
                 advanced=True),
        IntParam("channels", channels, minimum=1, maximum=2, title="Channels",
                 description="1 mono, 2 stereo.", advanced=True),
        ChoiceParam("normalise", normalise, choices=audio_io.NORMALISATIONS,
                    title="Normalise", description="none; peak to -1 dBFS; or loudness to "
                    "the target LUFS (never past a -1 dBFS peak).", advanced=True),
        FloatParam("target_lufs", audio_io.DEFAULT_LUFS, minimum=audio_io.LUFS_RANGE[0],
                   maximum=audio_io.LUFS_RANGE[1], step=0.5, title="Target loudness (LUFS)",
                   description="-14 streaming, -16 podcasts, -23 broadcast.", advanced=True),
    )


def music_generators() -> list[GeneratorSpec]:
    return [_folk_spec(), render_midi_spec(), text_to_music_spec()]


def _render_midi() -> object:
    from genloom_audio.music_generator import RenderMidiGenerator

    return RenderMidiGenerator()


def _check_render(params: dict[str, Any]) -> None:
    from genloom_audio.music_generator import check_render_params

    check_render_params(params)


def synth_params() -> tuple[Any, ...]:
    """Renderer and soundfont: how MIDI becomes audio."""
    return (
        ChoiceParam("renderer", "auto", choices=render.RENDERERS, title="Renderer",
                    description="auto: FluidSynth with a soundfont when installed, else "
                                "Genloom's plain tones; fluidsynth: fail when it is "
                                "missing; plain: Genloom's plain tones.", advanced=True),
        StringParam("soundfont", "", max_length=4096, title="Soundfont (.sf2)",
                    placeholder="/path/to/your.sf2",
                    description="Your own General MIDI soundfont (default: "
                                f"${render.SOUNDFONT_ENV}, else the system's).",
                    advanced=True),
    )


def render_midi_spec() -> GeneratorSpec:
    return GeneratorSpec(
        id="audio.render_midi", modality="audio", title="Render MIDI",
        description="Plays a MIDI asset (an imported .mid file or a tune's MIDI) through "
                    "FluidSynth and a General MIDI soundfont, with its own instruments or "
                    "one you choose.",
        factory=_render_midi,
        params=(
            ChoiceParam("instrument", "as in the file",
                        choices=("as in the file", *gm.GM_PROGRAMS), title="Instrument",
                        description="Keep the file's instruments, or play every melodic "
                                    "part with one General MIDI instrument."),
            *output_params(),
            *synth_params(),
        ),
        inputs=(InputSpec("midi", "audio", title="MIDI",
                          description="The MIDI asset to render."),),
        uses_seed=False, check=_check_render,
    )


def _folk_spec() -> GeneratorSpec:
    return GeneratorSpec(
        id="audio.music", modality="audio", title="Music (folk tunes)",
        description="Writes a tune in ABC notation with a language model, keeps it as ABC and "
                    "MIDI (for notation programs and DAWs) and plays it with a General MIDI "
                    "instrument through FluidSynth and a soundfont. Can continue a tune "
                    "given as ABC or MIDI.",
        factory=_music,
        params=(
            ChoiceParam("tune_type", "reel", choices=("any", *abc_text.TUNE_TYPES),
                        title="Tune type", description="The kind of tune; it also sets the "
                        "meter and tempo when those are left on auto."),
            ChoiceParam("key", "D", choices=abc_text.TONICS, title="Key"),
            ChoiceParam("mode", "major", choices=tuple(abc_text.MODES), title="Mode"),
            ChoiceParam("meter", "auto", choices=("auto", *abc_text.METERS), title="Meter",
                        description="auto: the tune type's usual meter."),
            IntParam("tempo", 0, minimum=0, maximum=400, step=5, special_value="auto",
                     title="Tempo (quarter notes per minute)",
                     description="0 (auto): the tune type's usual tempo."),
            IntParam("bars", 16, minimum=1, maximum=128, title="Length (bars)",
                     description="How many bars to write (after the given tune, when "
                                 "continuing one)."),
            ChoiceParam("instrument", gm.DEFAULT_INSTRUMENT, choices=gm.GM_PROGRAMS,
                        title="Instrument", description="The General MIDI instrument."),
            FloatParam("temperature", 0.9, minimum=0.0, maximum=2.0, step=0.05,
                       title="Temperature", description="0 always takes the likeliest "
                       "note; higher is more adventurous."),
            BoolParam("regular_bars", True, title="Regular bars",
                      description="When the model's bars are uneven, place the bar lines by "
                                  "the meter (notes keep their order and lengths, a pickup "
                                  "stays, repeats are written out once)."),
            FloatParam("top_p", 0.95, minimum=0.05, maximum=1.0, step=0.05, title="Top-p",
                       advanced=True),
            StringParam("abc", "", multiline=True, max_length=20_000,
                        title="ABC to continue",
                        description="A tune in ABC notation to continue (optional; or give "
                                    "an ABC or MIDI asset)."),
            *output_params(),
            *synth_params(),
        ),
        inputs=(
            InputSpec("tune", "audio", title="Tune to continue (MIDI)", required=False,
                      description="A MIDI asset whose melody the model continues."),
            InputSpec("abc_tune", "text", title="Tune to continue (ABC)", required=False,
                      description="An ABC asset the model continues."),
        ),
        outputs=("audio", "text"),
        model_kinds=(ABC_MODEL_KIND,), default_model=FOLK_MODEL_ID, devices=DEVICES,
        check=_check_music,
    )


def _text_to_music() -> object:
    from genloom_audio.user_music import TextToMusicGenerator

    return TextToMusicGenerator()


def _check_text_to_music(params: dict[str, Any]) -> None:
    from genloom_audio.user_music import check_text_to_music

    check_text_to_music(params)


def text_to_music_spec() -> GeneratorSpec:
    return GeneratorSpec(
        id="audio.text_to_music", modality="audio", title="Text to music (MusicGen, Stable Audio)",
        description="Music or sound from a text description with your own MusicGen (and "
                    "MusicGen Melody, guided by a melody clip) or Stable Audio Open model.",
        factory=_text_to_music,
        params=(
            StringParam("prompt", "", multiline=True, role="prompt", min_length=1,
                        max_length=2000, description="What the music sounds like."),
            StringParam("negative_prompt", "", role="negative_prompt", max_length=2000,
                        description="What to avoid (Stable Audio only).", advanced=True),
            FloatParam("duration", 8.0, minimum=0.1, maximum=60.0, step=0.5,
                       title="Duration (s)"),
            FloatParam("guidance_scale", 3.0, minimum=0.0, maximum=20.0, step=0.5,
                       title="Guidance scale"),
            FloatParam("temperature", 1.0, minimum=0.0, maximum=2.0, step=0.05,
                       title="Temperature", description="MusicGen's sampling temperature "
                       "(0: greedy).", advanced=True),
            IntParam("steps", 100, minimum=1, maximum=500, title="Steps",
                     description="Diffusion steps (Stable Audio only).", advanced=True),
            *output_params(),
        ),
        inputs=(InputSpec("melody", "audio", title="Melody", required=False,
                          description="A clip whose melody a MusicGen Melody model follows."),),
        model_kinds=(MUSICGEN_KIND, STABLE_AUDIO_KIND), devices=DEVICES,
        check=_check_text_to_music,
    )


def music_models() -> list[BundledModel]:
    return [BundledModel(
        id=FOLK_MODEL_ID, kind=ABC_MODEL_KIND, path=MODELS_DIR / "folk-abc",
        title="Folk ABC (1M, bundled)", architecture="LlamaForCausalLM",
        licence="Trained on public-domain folk tunes from music21's corpus; see MODEL_CARD.md",
        description="A tiny Llama-style model that writes reels, jigs, hornpipes, airs and "
                    "more in ABC notation, trained on about 4,400 traditional tunes.",
    )]
