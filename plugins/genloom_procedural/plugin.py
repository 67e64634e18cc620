"""Entry module of the built-in procedural plugin: cheap to import, plain data only."""

from __future__ import annotations

from genloom.sdk import ChoiceParam, FloatParam, GeneratorSpec, IntParam, hookimpl
from genloom_procedural import __version__  # noqa: F401 - read by the plugin manager

PALETTES = ("aurora", "ember", "ocean", "moss", "mono")
SCALES = ("major", "minor", "pentatonic", "dorian")
WAVEFORMS = ("sine", "triangle", "soft-square")


def _pattern():
    from genloom_procedural.pattern import PatternGenerator

    return PatternGenerator()


def _tones():
    from genloom_procedural.tones import ToneGenerator

    return ToneGenerator()


@hookimpl
def genloom_register_generators() -> list[GeneratorSpec]:
    return [
        GeneratorSpec(
            id="procedural.pattern",
            modality="image",
            title="Noise pattern",
            description="Seeded fractal noise through a colour palette: textures, backgrounds, placeholders.",
            factory=_pattern,
            params=(
                IntParam("width", 512, minimum=64, maximum=4096, step=8,
                         description="Image width in pixels, a multiple of 8."),
                IntParam("height", 512, minimum=64, maximum=4096, step=8,
                         description="Image height in pixels, a multiple of 8."),
                IntParam("octaves", 6, minimum=1, maximum=10,
                         description="Layers of detail; each adds finer noise at half the strength."),
                FloatParam("scale", 4.0, minimum=1.0, maximum=64.0, step=0.5,
                           description="Size of the coarsest features: cells across the image."),
                ChoiceParam("palette", choices=PALETTES, description="Colours the noise is mapped to."),
            ),
        ),
        GeneratorSpec(
            id="procedural.tones",
            modality="audio",
            title="Tone sketch",
            description="A seeded melody on a scale, as a WAV file: a sound placeholder for drafts.",
            factory=_tones,
            params=(
                FloatParam("duration", 4.0, minimum=0.5, maximum=60.0, step=0.5,
                           description="Length in seconds."),
                IntParam("tempo", 100, minimum=30, maximum=240, description="Beats per minute."),
                ChoiceParam("scale", choices=SCALES, description="The notes the melody uses."),
                ChoiceParam("waveform", choices=WAVEFORMS, description="The timbre of each note."),
                IntParam("root", 57, minimum=24, maximum=96,
                         description="MIDI number of the scale's first note (57 is A3)."),
            ),
        ),
    ]
