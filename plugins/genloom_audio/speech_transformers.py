"""User text-to-speech models through transformers: VITS / MMS-TTS and SpeechT5.

Loaded offline from safetensors with ``trust_remote_code=False``.

- VITS (``VitsModel`` + ``VitsTokenizer``): MMS-TTS and other VITS checkpoints.
  A tokenizer that wants phonemes (``phonemize: true``, as in ``kakao-enterprise/vits-*``)
  gets them from eSpeak NG here, since the ``phonemizer`` package is not needed.
  Speed is VITS's ``speaking_rate``; a multi-speaker model's voices are its
  speaker numbers; the noise is seeded per sentence.
- SpeechT5 (``SpeechT5ForTextToSpeech`` + ``SpeechT5HifiGan``): the vocoder is found
  beside the model (:mod:`genloom_audio.speech_layout`). Voices are the x-vector
  files in ``<model>/speaker_embeddings/*.npy`` (``speaker_embedding_dim`` numbers,
  512 for Microsoft's release, read without pickle). A model without any gets the one
  voice ``seeded``: a unit-length vector drawn from the run's seed, so each seed is a different
  (possibly odd) voice and the same seed the same voice; nothing is downloaded.
  Speed is applied by resampling SpeechT5's mel frames in time before the vocoder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from genloom.sdk import InputError, ParameterError
from genloom.sdk.formats import read_json_config
from genloom.sdk.lm.loading import go_offline
from genloom.sdk.runtime import quiet_model_libraries
from genloom_audio.speech_generator import unknown_voice
from genloom_audio.speech_layout import find_speecht5_vocoder, speaker_embedding_files

SPEECHT5_SEEDED_VOICE = "seeded"


def _offline() -> None:
    """Offline (the SDK's one rule) and without the libraries' progress bars."""
    go_offline()
    quiet_model_libraries()


def _torch_device(device: str) -> str:
    return "cpu" if device in ("", "auto") else device


def load_transformers_tts(path: Path, device: str, dtype: str) -> Any:
    config = read_json_config(path / "config.json") or {}
    kind = config.get("model_type")
    if not any(path.glob("*.safetensors")):
        raise InputError(f"{path} has no .safetensors weights; Genloom loads speech models "
                         "from safetensors only")
    if kind == "vits":
        return VitsBackend(path, _torch_device(device))
    if kind == "speecht5":
        return SpeechT5Backend(path, _torch_device(device))
    raise InputError(f"{path}: model_type {kind!r} is not a text-to-speech model audio.speech "
                     "runs (VITS, SpeechT5)")


class VitsBackend:
    def __init__(self, path: Path, device: str) -> None:
        _offline()
        from transformers import VitsModel, VitsTokenizer

        try:
            self.model = VitsModel.from_pretrained(path, local_files_only=True,
                                                   use_safetensors=True).to(device).eval()
            self.tokenizer = VitsTokenizer.from_pretrained(path, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise InputError(f"transformers could not load the VITS model in {path}: {exc}") \
                from exc
        self.device = device
        self.sample_rate = int(self.model.config.sampling_rate)
        self.base_rate = float(self.model.config.speaking_rate or 1.0)
        self.description = f"transformers VitsModel ({device})"
        self.espeak_language = str(getattr(self.tokenizer, "language", "") or "en-us")
        # Phonemes come from eSpeak NG below, never from the phonemizer package.
        self.wants_phonemes = bool(getattr(self.tokenizer, "phonemize", False))
        self.tokenizer.phonemize = False

    def voices(self) -> tuple[str, ...]:
        count = int(self.model.config.num_speakers or 1)
        return tuple(str(i) for i in range(count)) if count > 1 else ()

    def resolve_voice(self, name: str, seed: int) -> int | None:
        voices = self.voices()
        if not name:
            return 0 if voices else None
        if name in voices:
            return int(name)
        raise unknown_voice(name, voices)

    def _prepare(self, text: str) -> str:
        if self.wants_phonemes:
            from genloom_audio import speech_espeak

            return " ".join(s.phonemes for s in speech_espeak.phonemize(text,
                                                                       self.espeak_language))
        if getattr(self.tokenizer, "is_uroman", False) and any(
                ord(ch) > 0x24F and ch.isalpha() for ch in text):
            raise ParameterError("text", text, "is not in Latin letters, and this MMS model "
                                 "reads romanised text (uroman), which Genloom does not make",
                                 "romanise the text first, or use a model for its script")
        return text

    def speak(self, text: str, voice: int | None, speed: float, seed: int) -> np.ndarray:
        import torch

        inputs = self.tokenizer(self._prepare(text), return_tensors="pt")
        if inputs["input_ids"].shape[1] == 0:
            raise ParameterError("text", text, "has no characters this model knows",
                                 "write it in the model's language and script")
        self.model.speaking_rate = self.base_rate * speed
        torch.manual_seed(seed)
        with torch.inference_mode():
            output = self.model(input_ids=inputs["input_ids"].to(self.device),
                                attention_mask=inputs["attention_mask"].to(self.device),
                                speaker_id=voice)
        return output.waveform[0].float().cpu().numpy()

    def close(self) -> None:
        del self.model


class SpeechT5Backend:
    def __init__(self, path: Path, device: str) -> None:
        _offline()
        from transformers import SpeechT5ForTextToSpeech, SpeechT5HifiGan

        vocoder_dir = find_speecht5_vocoder(path)
        if vocoder_dir is None:
            raise InputError(f"SpeechT5 in {path} needs its HiFi-GAN vocoder: put "
                             "microsoft/speecht5_hifigan's files in a 'vocoder' folder inside it")
        try:
            from transformers import SpeechT5Tokenizer

            self.tokenizer = SpeechT5Tokenizer.from_pretrained(path, local_files_only=True)
        except ImportError as exc:
            raise InputError("SpeechT5's tokenizer needs the sentencepiece package: "
                             "pip install sentencepiece") from exc
        try:
            self.model = SpeechT5ForTextToSpeech.from_pretrained(
                path, local_files_only=True, use_safetensors=True).to(device).eval()
            self.vocoder = SpeechT5HifiGan.from_pretrained(
                vocoder_dir, local_files_only=True, use_safetensors=True).to(device).eval()
        except (OSError, ValueError) as exc:
            raise InputError(f"transformers could not load SpeechT5 from {path}: {exc}") from exc
        self.device = device
        self.sample_rate = int(self.vocoder.config.sampling_rate)
        self.description = f"transformers SpeechT5ForTextToSpeech + SpeechT5HifiGan ({device})"
        self.embeddings = speaker_embedding_files(path)

    def voices(self) -> tuple[str, ...]:
        return tuple(self.embeddings) or (SPEECHT5_SEEDED_VOICE,)

    def resolve_voice(self, name: str, seed: int) -> np.ndarray:
        size = int(self.model.config.speaker_embedding_dim)
        if not name:
            name = self.voices()[0]
        if name == SPEECHT5_SEEDED_VOICE and not self.embeddings:
            drawn = np.random.default_rng(seed).standard_normal(size).astype(np.float32)
            return drawn / np.linalg.norm(drawn)
        if name not in self.embeddings:
            raise unknown_voice(name, self.voices())
        vector = np.load(self.embeddings[name], allow_pickle=False)
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        if vector.size != size or not np.all(np.isfinite(vector)):
            raise InputError(f"{self.embeddings[name]} is not an x-vector of "
                             f"{size} finite numbers")
        return vector

    def speak(self, text: str, voice: np.ndarray, speed: float, seed: int) -> np.ndarray:
        import torch

        ids = self.tokenizer(text, return_tensors="pt")["input_ids"]
        embedding = torch.from_numpy(voice)[None].to(self.device)
        torch.manual_seed(seed)  # SpeechT5's decoder pre-net keeps dropout on when generating
        with torch.inference_mode():
            mel = self.model.generate_speech(ids.to(self.device), embedding)
            if speed != 1.0:
                frames = max(1, int(round(mel.shape[0] / speed)))
                mel = torch.nn.functional.interpolate(mel.T[None], size=frames, mode="linear",
                                                      align_corners=False)[0].T
            audio = self.vocoder(mel)
        return audio.float().cpu().numpy()

    def close(self) -> None:
        del self.model, self.vocoder
