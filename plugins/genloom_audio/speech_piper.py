"""Piper voices (``voice.onnx`` + ``voice.onnx.json``) on ONNX Runtime.

This is the path of the bundled voice and of the Piper voices users collect:
text is phonemised by eSpeak NG in the voice's language (``espeak.voice`` in the
config), mapped to ids with the config's ``phoneme_id_map`` the way Piper does
(``^ _ p1 _ p2 _ ... _ $``), and each sentence is one ONNX Runtime call with
``scales = [noise_scale, length_scale, noise_w]`` (and ``sid`` for a voice with
several speakers). The config is read through the SDK's size-capped JSON reader;
nothing in it names a file to open.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from genloom.sdk.formats import ModelFormatError, read_json_config
from genloom_audio import speech_espeak

__all__ = ["PiperConfig", "PiperVoice", "config_path_for", "phoneme_ids", "read_piper_config"]

#: Piper's own symbols: padding between phonemes, start and end of a sentence.
PAD, BOS, EOS = "_", "^", "$"


def config_path_for(onnx_path: Path) -> Path:
    """Piper keeps a voice's config beside it as ``<name>.onnx.json``."""
    return onnx_path.with_name(onnx_path.name + ".json")


@dataclass(frozen=True)
class PiperConfig:
    """What Genloom uses from a Piper ``.onnx.json``."""

    sample_rate: int
    espeak_voice: str
    phoneme_type: str
    phoneme_id_map: dict[str, list[int]]
    phoneme_map: dict[str, list[str]]
    speakers: tuple[str, ...]
    noise_scale: float
    length_scale: float
    noise_w: float
    language: str


def read_piper_config(path: Path) -> PiperConfig:
    """Parse and check a Piper voice config; :class:`ModelFormatError` names what is wrong."""
    data = read_json_config(path)
    if data is None:
        raise ModelFormatError(f"{path} is missing or is not a JSON object")
    id_map = data.get("phoneme_id_map")
    if not isinstance(id_map, dict) or not id_map:
        raise ModelFormatError(f"{path}: 'phoneme_id_map' is missing; is this a Piper voice config?")
    clean_map: dict[str, list[int]] = {}
    for symbol, ids in id_map.items():
        if not isinstance(ids, list) or not all(isinstance(i, int) and i >= 0 for i in ids):
            raise ModelFormatError(f"{path}: phoneme_id_map[{symbol!r}] is not a list of ids")
        clean_map[str(symbol)] = list(ids)
    for symbol in (PAD, BOS, EOS):
        if symbol not in clean_map:
            raise ModelFormatError(f"{path}: phoneme_id_map lacks Piper's {symbol!r} symbol")
    audio = data.get("audio") or {}
    rate = audio.get("sample_rate") if isinstance(audio, dict) else None
    if not isinstance(rate, int) or not 4000 <= rate <= 96000:
        raise ModelFormatError(f"{path}: audio.sample_rate {rate!r} is not a sample rate in Hz")
    espeak = data.get("espeak") or {}
    voice = espeak.get("voice", "") if isinstance(espeak, dict) else ""
    phoneme_type = str(data.get("phoneme_type", "espeak"))
    if phoneme_type not in ("espeak", "text"):
        raise ModelFormatError(f"{path}: phoneme_type {phoneme_type!r} is not supported "
                               "(Genloom runs 'espeak' and 'text' Piper voices)")
    if phoneme_type == "espeak" and not (isinstance(voice, str) and voice):
        raise ModelFormatError(f"{path}: espeak.voice is missing")
    speaker_map = data.get("speaker_id_map") or {}
    n_speakers = int(data.get("num_speakers", 1) or 1)
    if isinstance(speaker_map, dict) and speaker_map:
        speakers = tuple(name for name, _ in sorted(speaker_map.items(), key=lambda kv: kv[1]))
    else:
        speakers = tuple(str(i) for i in range(n_speakers)) if n_speakers > 1 else ()
    inference = data.get("inference") or {}
    phoneme_map = data.get("phoneme_map") or {}
    return PiperConfig(
        sample_rate=rate, espeak_voice=str(voice), phoneme_type=phoneme_type,
        phoneme_id_map=clean_map,
        phoneme_map={str(k): [str(x) for x in v] for k, v in phoneme_map.items()
                     if isinstance(v, list)},
        speakers=speakers,
        noise_scale=float(inference.get("noise_scale", 0.667)),
        length_scale=float(inference.get("length_scale", 1.0)),
        noise_w=float(inference.get("noise_w", 0.8)),
        language=str((data.get("language") or {}).get("code", "")),
    )


def phoneme_ids(phonemes: str, config: PiperConfig) -> tuple[list[int], list[str]]:
    """Piper's ids for one sentence, and the symbols the voice does not know (dropped)."""
    id_map = config.phoneme_id_map
    ids = [*id_map[BOS], *id_map[PAD]]
    missing: list[str] = []
    for symbol in unicodedata.normalize("NFD", phonemes):
        for mapped in config.phoneme_map.get(symbol, [symbol]):
            if mapped in id_map:
                ids += [*id_map[mapped], *id_map[PAD]]
            elif mapped not in missing:
                missing.append(mapped)
    return [*ids, *id_map[EOS]], missing


class PiperVoice:
    """An opened Piper voice: sentences in, float32 samples out."""

    def __init__(self, onnx_path: Path, device: str = "cpu") -> None:
        from genloom.sdk.runtime import onnx_session

        self.path = onnx_path
        self.config = read_piper_config(config_path_for(onnx_path))
        self.session, self.providers = onnx_session(onnx_path, device)
        self._input_names = {i.name for i in self.session.get_inputs()}
        if not {"input", "input_lengths", "scales"} <= self._input_names:
            raise ModelFormatError(
                f"{onnx_path} does not take Piper's inputs (input, input_lengths, scales); "
                f"it takes {sorted(self._input_names)}")

    @property
    def speakers(self) -> tuple[str, ...]:
        return self.config.speakers

    def phonemes(self, sentence: str) -> str:
        """The phonemes this voice reads ``sentence`` as (eSpeak NG's IPA, or its letters)."""
        if self.config.phoneme_type == "text":
            return unicodedata.normalize("NFD", sentence)
        return " ".join(s.phonemes for s in speech_espeak.phonemize(sentence,
                                                                   self.config.espeak_voice))

    def speak(self, phonemes: str, speaker: int = 0, length_scale: float | None = None,
              seed: int = 0) -> np.ndarray:
        """One sentence's samples at ``config.sample_rate``; the seed fixes VITS's noise."""
        import onnxruntime

        ids, _missing = phoneme_ids(phonemes, self.config)
        scale = self.config.length_scale if length_scale is None else length_scale
        feeds: dict[str, Any] = {
            "input": np.array([ids], dtype=np.int64),
            "input_lengths": np.array([len(ids)], dtype=np.int64),
            "scales": np.array([self.config.noise_scale, scale, self.config.noise_w],
                               dtype=np.float32),
        }
        if "sid" in self._input_names:
            feeds["sid"] = np.array([speaker], dtype=np.int64)
        # VITS samples noise inside the graph; ONNX Runtime's random ops draw from this seed.
        onnxruntime.set_seed(int(seed))
        audio = self.session.run(None, feeds)[0]
        return np.asarray(audio, dtype=np.float32).reshape(-1)


class PiperBackend:
    """:class:`PiperVoice` as an ``audio.speech`` backend."""

    def __init__(self, onnx_path: Path, device: str) -> None:
        self.voice = PiperVoice(onnx_path, device)
        self.sample_rate = self.voice.config.sample_rate
        self.description = f"piper ({', '.join(self.voice.providers)})"

    def voices(self) -> tuple[str, ...]:
        return self.voice.speakers

    def resolve_voice(self, name: str, seed: int) -> int:
        from genloom_audio.speech_generator import unknown_voice

        speakers = self.voice.speakers
        if not name:
            return 0
        if name in speakers:
            return speakers.index(name)
        raise unknown_voice(name, speakers)

    def speak(self, text: str, voice: int, speed: float, seed: int) -> np.ndarray:
        from genloom.sdk import ParameterError

        phonemes = self.voice.phonemes(text)
        ids, missing = phoneme_ids(phonemes, self.voice.config)
        if len(ids) <= 3:
            raise ParameterError("text", text, "has nothing this voice can pronounce"
                                 + (f" (it lacks {''.join(missing)})" if missing else ""),
                                 "write it in the voice's language")
        return self.voice.speak(phonemes, voice, self.voice.config.length_scale / speed, seed)

    def close(self) -> None:
        del self.voice
