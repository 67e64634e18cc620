"""MIDI to audio: FluidSynth with a General MIDI soundfont, or Genloom's plain fallback.

Why FluidSynth (through ``pyfluidsynth``, ctypes bindings over the system's
``libfluidsynth``): it is the maintained reference SoundFont 2 synthesiser (LGPL, linked
dynamically), it renders offline sample-exactly and the same every time, with reverb and
chorus, and every Linux distribution, Homebrew and MSYS2 package it. TinySoundFont's
Python wheel was the other candidate, but it depends on ``pyaudio``, which does not build
on Linux without PortAudio's headers.

The soundfont: the user's own ``.sf2`` when given (parameter ``soundfont`` or the
``GENLOOM_SOUNDFONT`` environment variable), else the first General MIDI soundfont found
where systems install one (:data:`SYSTEM_SOUNDFONTS`; Debian's ``fluid-soundfont-gm``
puts FluidR3_GM, MIT-licensed, at ``/usr/share/sounds/sf2``). The renderer ``"auto"``
falls back to :func:`render_plain` (additive tones with a plucked envelope, written
here, no samples) when FluidSynth or a soundfont is missing, and says what to install;
``"fluidsynth"`` makes that a clear error instead.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genloom.sdk import InputError, ParameterError

RENDERERS = ("auto", "fluidsynth", "plain")
SOUNDFONT_ENV = "GENLOOM_SOUNDFONT"
SYSTEM_SOUNDFONTS: tuple[str, ...] = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/soundfonts/default.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/sounds/sf2/MuseScore_General.sf2",
    "/opt/homebrew/share/soundfonts/default.sf2",
    "/usr/local/share/soundfonts/default.sf2",
    "/Library/Audio/Sounds/Banks/FluidR3_GM.sf2",
)
INSTALL_HINT = (
    "install FluidSynth and a General MIDI soundfont: Debian/Ubuntu 'sudo apt install "
    "libfluidsynth3 fluid-soundfont-gm', Fedora 'sudo dnf install fluidsynth-libs "
    "fluid-soundfont-gm', macOS 'brew install fluid-synth' (and any GM .sf2), Windows: "
    "FluidSynth's release zip on the PATH; or point Genloom at your own .sf2 with the "
    f"'soundfont' parameter or {SOUNDFONT_ENV}"
)
TAIL_SECONDS = 1.5
BLOCK = 4096
MAX_SECONDS = 20 * 60


class SynthUnavailable(InputError):
    """FluidSynth or a soundfont is missing where the user asked for FluidSynth."""


@dataclass
class Rendered:
    """Audio (float32, frames x 2), and what made it (for the recipe)."""

    audio: Any
    sample_rate: int
    info: dict[str, Any] = field(default_factory=dict)


def fluidsynth_module() -> Any | None:
    """The ``fluidsynth`` bindings with the library loaded, or None (never raises)."""
    try:
        import fluidsynth
    except (ImportError, OSError):
        return None
    return fluidsynth


def find_soundfont(given: str = "", param: str = "soundfont") -> Path | None:
    """The soundfont to use: ``given`` (must exist and be an SF2), else the environment
    variable, else the first system soundfont; None when there is none."""
    if given:
        path = Path(given).expanduser()
        if not path.is_file():
            raise ParameterError(param, given, "is not a file",
                                 "give the path of a SoundFont 2 (.sf2) file")
        check_sf2(path, param)
        return path
    env = os.environ.get(SOUNDFONT_ENV, "")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise ParameterError(SOUNDFONT_ENV, env, "is not a file",
                                 "set it to the path of a SoundFont 2 (.sf2) file")
        check_sf2(path, SOUNDFONT_ENV)
        return path
    for candidate in SYSTEM_SOUNDFONTS:
        path = Path(candidate)
        if path.is_file():
            return path.resolve()
    return None


def check_sf2(path: Path, param: str) -> None:
    """``ParameterError`` unless the file starts like a SoundFont 2 (RIFF ... sfbk)."""
    with open(path, "rb") as fh:
        head = fh.read(12)
    if head[:4] != b"RIFF" or head[8:12] != b"sfbk":
        raise ParameterError(param, str(path), "is not a SoundFont 2 file",
                             "give a .sf2 file (SF3 and SFZ are not supported)")


_HASHES: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """The file's SHA-256, remembered per path, size and modification time."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHES:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        _HASHES[key] = digest.hexdigest()
    return _HASHES[key]


def midi_events(midi_bytes: bytes) -> list[tuple[float, Any]]:
    """(seconds, message) for every channel message of a MIDI file, in time order."""
    import mido

    midi = mido.MidiFile(file=io.BytesIO(midi_bytes))
    events: list[tuple[float, Any]] = []
    now = 0.0
    for msg in midi:  # iterating a MidiFile merges tracks and converts to seconds
        now += msg.time
        if now > MAX_SECONDS:
            raise ParameterError("midi", f"{now:.0f} s", "is longer than Genloom renders",
                                 f"render at most {MAX_SECONDS // 60} minutes")
        if not msg.is_meta and hasattr(msg, "channel"):
            events.append((now, msg))
    return events


def render(midi_bytes: bytes, *, sample_rate: int, renderer: str = "auto",
           soundfont: str = "", step: Callable[[int, int], None] | None = None) -> Rendered:
    """Render a MIDI file to stereo float audio.

    ``step(done, total)`` is called after each block (it may raise to cancel).
    """
    if renderer not in RENDERERS:
        raise ParameterError("renderer", renderer, "is not a renderer",
                             "use " + ", ".join(RENDERERS))
    events = midi_events(midi_bytes)
    if renderer == "plain":
        return render_plain(events, sample_rate, step)
    fluidsynth = fluidsynth_module()
    font = find_soundfont(soundfont)
    if fluidsynth is None or font is None:
        missing = "the FluidSynth library" if fluidsynth is None else "a General MIDI soundfont"
        if renderer == "fluidsynth":
            raise SynthUnavailable(f"cannot render with FluidSynth: {missing} is not "
                                   f"installed; {INSTALL_HINT}")
        rendered = render_plain(events, sample_rate, step)
        rendered.info["renderer_note"] = (f"{missing} was not found, so Genloom's plain "
                                          f"tones were used; {INSTALL_HINT}")
        return rendered
    return render_fluidsynth(fluidsynth, font, events, sample_rate, step)


def render_fluidsynth(fluidsynth: Any, font: Path, events: list[tuple[float, Any]],
                      sample_rate: int, step: Callable[[int, int], None] | None) -> Rendered:
    import numpy as np

    synth = fluidsynth.Synth(gain=0.5, samplerate=float(sample_rate))
    try:
        sfid = synth.sfload(str(font))
        if sfid < 0:
            raise ParameterError("soundfont", str(font), "could not be loaded by FluidSynth",
                                 "check the file is a complete SoundFont 2 (.sf2)")
        for channel in range(16):
            synth.program_select(channel, sfid, 128 if channel == 9 else 0, 0)
        end = (events[-1][0] if events else 0.0) + TAIL_SECONDS
        total = int(end * sample_rate)
        chunks: list[Any] = []
        done = 0

        def advance(until: int) -> None:
            nonlocal done
            while done < until:
                count = min(BLOCK, until - done)
                chunks.append(np.asarray(synth.get_samples(count), dtype=np.int16))
                done += count
                if step is not None and done % (BLOCK * 8) < BLOCK:
                    step(done, total)

        for seconds, msg in events:
            advance(int(seconds * sample_rate))
            _send(synth, sfid, msg)
        advance(total)
    finally:
        synth.delete()
    pcm = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
    audio = pcm.reshape(-1, 2).astype(np.float32) / 32768.0
    return Rendered(audio, sample_rate, {
        "renderer": "fluidsynth", "fluidsynth_version": _fluidsynth_version(fluidsynth),
        "soundfont": font.name, "soundfont_sha256": file_sha256(font)})


def _send(synth: Any, sfid: int, msg: Any) -> None:
    if msg.type == "note_on":
        synth.noteon(msg.channel, msg.note, msg.velocity)
    elif msg.type == "note_off":
        synth.noteoff(msg.channel, msg.note)
    elif msg.type == "program_change":
        bank = 128 if msg.channel == 9 else 0
        synth.program_select(msg.channel, sfid, bank, msg.program)
    elif msg.type == "control_change":
        synth.cc(msg.channel, msg.control, msg.value)
    elif msg.type == "pitchwheel":
        synth.pitch_bend(msg.channel, msg.pitch)


def _fluidsynth_version(fluidsynth: Any) -> str:
    """The loaded library's version (``fluid_version_str``), or the bindings' version."""
    import ctypes

    try:
        function = fluidsynth._fl.fluid_version_str
        function.restype = ctypes.c_char_p
        return str(function().decode())
    except (AttributeError, OSError):
        return "pyfluidsynth " + str(getattr(fluidsynth, "api_version", "?"))


def render_plain(events: list[tuple[float, Any]], sample_rate: int,
                 step: Callable[[int, int], None] | None) -> Rendered:
    """Genloom's own fallback: each note an additive tone (a few harmonics) with a
    plucked envelope, panned by channel. Plain, but in tune and in time."""
    import numpy as np

    end = (events[-1][0] if events else 0.0) + TAIL_SECONDS
    audio = np.zeros((int(end * sample_rate) + 1, 2), dtype=np.float32)
    started: dict[tuple[int, int], tuple[float, int]] = {}
    notes: list[tuple[float, float, int, int, int]] = []
    for seconds, msg in events:
        if msg.type == "note_on" and msg.velocity > 0:
            started[(msg.channel, msg.note)] = (seconds, msg.velocity)
        elif msg.type in ("note_on", "note_off") and (msg.channel, msg.note) in started:
            begin, velocity = started.pop((msg.channel, msg.note))
            notes.append((begin, seconds, msg.channel, msg.note, velocity))
    for (channel, note), (begin, velocity) in started.items():
        notes.append((begin, end - TAIL_SECONDS, channel, note, velocity))
    for index, (begin, stop, channel, note, velocity) in enumerate(notes):
        if channel == 9:
            continue  # no drum kit in the fallback
        length = int((stop - begin + 0.3) * sample_rate)
        t = np.arange(length, dtype=np.float32) / sample_rate
        freq = 440.0 * 2 ** ((note - 69) / 12)
        tone = sum(np.sin(2 * np.pi * freq * h * t) / h ** 1.5 for h in (1, 2, 3, 4))
        held = stop - begin
        envelope = np.minimum(1.0, t / 0.008) * np.exp(-2.5 * t)
        envelope *= np.where(t > held, np.exp(-(t - held) / 0.08), 1.0)
        voice = (0.25 * velocity / 127) * tone * envelope
        first = int(begin * sample_rate)
        last = min(first + length, len(audio))
        pan = 0.5 + 0.3 * ((channel % 3) - 1)
        audio[first:last, 0] += voice[: last - first] * (1 - pan)
        audio[first:last, 1] += voice[: last - first] * pan
        if step is not None and index % 32 == 0:
            step(index, len(notes))
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 0.99:
        audio *= 0.99 / peak
    return Rendered(audio, sample_rate, {"renderer": "plain"})
