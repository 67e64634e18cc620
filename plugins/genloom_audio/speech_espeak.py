"""eSpeak NG through ctypes: phonemisation (IPA, Piper's way) and synthesis.

The library and its voice data come from the ``espeakng-loader`` wheel, so no
system package is needed. eSpeak NG keeps global state (one voice, one callback),
so every call takes a process-wide lock. Phonemisation follows Piper
(IPA mode, one clause at a time, the clause's punctuation appended, clauses
grouped into sentences), which is what Piper voices were trained on. The wheel's
library lacks ``espeak_TextToPhonemesWithTerminator``, so clauses are cut at
punctuation here before eSpeak NG phonemises each.
"""

from __future__ import annotations

import ctypes
import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_CHARS_UTF8 = 1
_PHONEMES_IPA = 0x02
_RATE = 1


_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)

_lock = threading.RLock()
_state: dict[str, Any] = {}


class EspeakError(RuntimeError):
    """eSpeak NG could not be loaded or refused a request."""


@dataclass(frozen=True)
class Sentence:
    """One sentence: its IPA phonemes (punctuation kept) and its final punctuation."""

    phonemes: str
    terminator: str


def _library() -> Any:
    with _lock:
        lib = _state.get("lib")
        if lib is not None:
            return lib
        try:
            import espeakng_loader
        except ImportError as exc:  # pragma: no cover - the wheel is a dependency
            raise EspeakError(
                "eSpeak NG is not available: install the 'espeakng-loader' package"
            ) from exc
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data = espeakng_loader.get_data_path().encode()
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
        if rate <= 0:
            raise EspeakError(f"eSpeak NG failed to initialise (data at {data.decode()})")
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [
            ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int,
        ]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        chunks: list[np.ndarray] = []

        def _collect(wav: Any, count: int, _events: Any) -> int:
            if count > 0:
                chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
            return 0

        callback = _SYNTH_CALLBACK(_collect)
        lib.espeak_SetSynthCallback(callback)
        _state.update(lib=lib, rate=rate, chunks=chunks, callback=callback, voice=None)
        return lib


def sample_rate() -> int:
    """The rate eSpeak NG synthesises at (22050 Hz)."""
    _library()
    return int(_state["rate"])


def _set_voice(voice: str) -> None:
    lib = _library()
    if _state.get("voice") == voice:
        return
    if lib.espeak_SetVoiceByName(voice.encode()) != 0:
        raise EspeakError(f"eSpeak NG has no voice {voice!r} (e.g. 'en-us', 'en-us+f3')")
    _state["voice"] = voice


_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st jr sr prof vs etc e.g i.e approx dept fig vol".split()
)
_CLAUSE = re.compile(r"([.!?;:,]+)(?=\s|$)|\n\s*\n")


def split_clauses(text: str) -> list[tuple[str, str]]:
    """``text`` cut at punctuation into ``(words, mark)`` pairs; a blank line reads as "."."""
    clauses: list[tuple[str, str]] = []
    start = 0
    for match in _CLAUSE.finditer(text):
        words = text[start:match.start()].strip()
        mark = (match.group(1) or ".")[-1]
        last_word = words.rsplit(maxsplit=1)[-1].lower() if words else ""
        if mark == "." and last_word.rstrip(".") in _ABBREVIATIONS:
            continue  # "Dr. Smith" is one clause
        start = match.end()
        if words:
            clauses.append((words, mark))
    tail = text[start:].strip()
    if tail:
        clauses.append((tail, "."))
    return clauses


def _clause_phonemes(lib: Any, words: str) -> str:
    encoded = ctypes.c_char_p(words.encode("utf-8"))
    pointer = ctypes.pointer(encoded)
    parts: list[str] = []
    while pointer.contents.value:
        raw = lib.espeak_TextToPhonemes(pointer, _CHARS_UTF8, _PHONEMES_IPA)
        part = (raw or b"").decode("utf-8", errors="replace").strip()
        if part:
            parts.append(part)
    return " ".join(parts)


def phonemize(text: str, voice: str) -> list[Sentence]:
    """IPA phonemes of ``text``, one entry per sentence, punctuation kept as Piper keeps it."""
    with _lock:
        lib = _library()
        _set_voice(voice)
        sentences: list[Sentence] = []
        current: list[str] = []
        for words, mark in split_clauses(text):
            phonemes = _clause_phonemes(lib, words)
            if phonemes:
                current.append(phonemes + mark)
            if mark in ".!?" and current:
                sentences.append(Sentence(" ".join(current), mark))
                current = []
        if current:
            sentences.append(Sentence(" ".join(current), "."))
        return sentences


def synthesize(text: str, voice: str, rate_wpm: int = 175) -> np.ndarray:
    """eSpeak NG's own rendering of ``text`` as float32 samples at :func:`sample_rate`."""
    with _lock:
        lib = _library()
        _set_voice(voice)
        lib.espeak_SetParameter(_RATE, int(rate_wpm), 0)
        chunks: list[np.ndarray] = _state["chunks"]
        chunks.clear()
        data = text.encode("utf-8") + b"\0"
        status = lib.espeak_Synth(data, len(data), 0, 0, 0, _CHARS_UTF8, None, None)
        if status != 0:
            raise EspeakError(f"eSpeak NG could not synthesise the text (status {status})")
        audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        chunks.clear()
        return (audio.astype(np.float32) / 32768.0).astype(np.float32)
