"""The speech generator's spec, bundled voice and model identification: plain data, cheap to import.

``audio.speech`` reads text aloud with the bundled voice (a Piper voice trained
on eSpeak NG renderings, see ``models/espeak-vocos-en/MODEL_CARD.md``), a user's
Piper voice (``.onnx`` + ``.onnx.json``), or a transformers text-to-speech
folder: VITS / MMS-TTS (``VitsModel``) or SpeechT5 with its HiFi-GAN vocoder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genloom.sdk import (
    BundledModel,
    ChoiceParam,
    FloatParam,
    GeneratorSpec,
    IntParam,
    ModelMatch,
    ParameterError,
    StringParam,
)
from genloom_audio import audio_io

MODELS_DIR = Path(__file__).resolve().parent / "models"
BUNDLED_VOICE = "espeak-vocos-en"
BUNDLED_ID = "audio.espeak-vocos-en"
#: Model kinds ``audio.speech`` loads: a Piper voice file, a transformers TTS folder.
PIPER_KIND = "piper-voice"
TRANSFORMERS_TTS_KIND = "transformers-tts"
DEVICES = ("cuda", "mps", "cpu")
#: The longest text one run reads (about five minutes of speech at an average pace).
MAX_TEXT_CHARS = 5000
SPEED_RANGE = (0.5, 2.0)
PAUSE_RANGE = (0.0, 3.0)
#: transformers ``model_type`` -> architecture, for the text-to-speech families run here.
TTS_MODEL_TYPES = {"vits": "VITS", "speecht5": "SpeechT5"}


def _speech() -> object:
    from genloom_audio.speech_generator import SpeechGenerator

    return SpeechGenerator()


def check_speech_params(params: dict[str, Any]) -> None:
    """What can be told wrong without a model: blank text, an unsupported sample rate."""
    if not params["text"].strip():
        raise ParameterError("text", params["text"], "has no words to read",
                             "write the text to speak")
    if params["sample_rate"] != 0:
        audio_io.check_sample_rate(params["sample_rate"])
    audio_io.check_channels(params["channels"])


def speech_params() -> tuple[Any, ...]:
    return (
        StringParam("text", "", multiline=True, min_length=1, max_length=MAX_TEXT_CHARS,
                    role="prompt", title="Text",
                    placeholder="Text to read aloud. Commas, full stops, question marks and "
                                "blank lines make pauses.",
                    description="Plain text (no SSML). Punctuation sets the pauses and the "
                                f"intonation; at most {MAX_TEXT_CHARS} characters."),
        StringParam("voice", "", max_length=200, title="Voice",
                    description="A speaker of the model (the bundled voice has en-us, "
                                "en-us+f3, en-us+m3 and en-us+f4; a multi-speaker VITS its "
                                "speaker number; SpeechT5 an x-vector file's name). "
                                "Empty: the model's first voice."),
        FloatParam("speed", 1.0, minimum=SPEED_RANGE[0], maximum=SPEED_RANGE[1], step=0.05,
                   title="Speed", description="Speaking rate: 1 is the voice's own, 2 twice "
                                              "as fast."),
        FloatParam("sentence_pause", 0.35, minimum=PAUSE_RANGE[0], maximum=PAUSE_RANGE[1],
                   step=0.05, title="Pause between sentences (s)",
                   description="Silence after each sentence (a blank line doubles it); "
                               "shortened as the speed rises.", advanced=True),
        IntParam("sample_rate", 0, minimum=0, maximum=max(audio_io.SAMPLE_RATES), step=50,
                 special_value="Model's own", title="Sample rate (Hz)",
                 description="0 keeps the model's own rate; else one of "
                             + ", ".join(str(r) for r in audio_io.SAMPLE_RATES) + ".",
                 advanced=True),
        IntParam("channels", 1, minimum=1, maximum=2, title="Channels",
                 description="1 mono, 2 stereo (the voice in both).", advanced=True),
        ChoiceParam("normalise", "peak", choices=audio_io.NORMALISATIONS, title="Normalise",
                    description="none; peak to -1 dBFS; or loudness to the target LUFS "
                                "(never past a -1 dBFS peak).", advanced=True),
        FloatParam("target_lufs", audio_io.DEFAULT_LUFS, minimum=audio_io.LUFS_RANGE[0],
                   maximum=audio_io.LUFS_RANGE[1], step=0.5, title="Target loudness (LUFS)",
                   description="-14 streaming, -16 podcasts, -23 broadcast.", advanced=True),
    )


def speech_generators() -> list[GeneratorSpec]:
    return [GeneratorSpec(
        id="audio.speech", modality="audio", title="Speech",
        description="Reads text aloud: a scratch voice-over from the bundled voice, or your "
                    "own Piper, VITS/MMS-TTS or SpeechT5 voices.",
        factory=_speech, params=speech_params(),
        model_kinds=(PIPER_KIND, TRANSFORMERS_TTS_KIND), default_model=BUNDLED_ID,
        devices=DEVICES, check=check_speech_params,
    )]


def speech_models() -> list[BundledModel]:
    return [BundledModel(
        id=BUNDLED_ID, kind=PIPER_KIND,
        path=MODELS_DIR / BUNDLED_VOICE / f"{BUNDLED_VOICE}.onnx",
        title="eSpeak-trained English voice (bundled)", architecture="Piper voice (Vocos)",
        licence="Trained on Genloom-written sentences rendered by eSpeak NG; see MODEL_CARD.md",
        description="A small neural English voice in Piper's format with four speakers, "
                    "trained only on eSpeak NG's synthetic speech: it sounds like eSpeak.",
    )]


def identify_speech_model(path: Path) -> ModelMatch | None:
    """A Piper voice file (with its ``.onnx.json``) or a transformers TTS folder, else None."""
    from genloom.sdk.formats import read_json_config

    if path.is_file() and path.suffix.lower() == ".onnx":
        config = read_json_config(path.with_name(path.name + ".json"))
        if config is None or "phoneme_id_map" not in config:
            return None
        language = str((config.get("language") or {}).get("code", ""))
        return ModelMatch(kind=PIPER_KIND, architecture="Piper voice", format="onnx",
                          details={"modality": "audio", "language": language,
                                   "speakers": int(config.get("num_speakers", 1) or 1)})
    if not path.is_dir():
        return None
    config = read_json_config(path / "config.json")
    if config is None:
        return None
    architecture = TTS_MODEL_TYPES.get(str(config.get("model_type", "")))
    if architecture is None:
        return None
    details: dict[str, Any] = {"modality": "audio"}
    if architecture == "SpeechT5":
        from genloom_audio.speech_layout import find_speecht5_vocoder

        if "SpeechT5ForTextToSpeech" not in (config.get("architectures") or []):
            return None  # speech recognition or voice conversion, not text to speech
        if find_speecht5_vocoder(path) is None:
            details["refused"] = (
                "SpeechT5 needs its HiFi-GAN vocoder: put microsoft/speecht5_hifigan's files "
                "in a 'vocoder' folder inside this one (or beside it), then rescan")
    return ModelMatch(kind=TRANSFORMERS_TTS_KIND, architecture=architecture,
                      format="transformers-folder", details=details)
