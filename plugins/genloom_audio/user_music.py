"""Users' text-to-music and text-to-audio models: MusicGen (transformers) and Stable Audio
Open (diffusers), recognised by their folders' configs and run by ``audio.text_to_music``.

Recognising is pure (json only). Generating wraps the libraries' own entry points:
``MusicgenForConditionalGeneration.generate`` (``MusicgenMelodyForConditionalGeneration``
with a melody clip when the folder is a melody model), with a ``StoppingCriteria`` that
reports each step and stops on cancel; ``StableAudioPipeline`` with
its per-step ``callback`` (a cancel raises out of the loop). Weights load from safetensors
only, offline, without any code from the folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genloom.sdk import (
    InputError,
    ModelMatch,
    ModelRef,
    Output,
    ParameterError,
    Request,
    RunState,
)
from genloom.sdk.formats import read_json_config
from genloom.sdk.runtime import quiet_model_libraries
from genloom_audio import audio_io
from genloom_audio.music_specs import MUSICGEN_KIND, STABLE_AUDIO_KIND

MUSICGEN_TYPES = {"musicgen": "MusicGen", "musicgen_melody": "MusicGen Melody"}
MAX_SECONDS = 60.0


def identify_music_model(path: Path) -> ModelMatch | None:
    """A MusicGen transformers folder or a Stable Audio diffusers folder, or None."""
    path = Path(path)
    if not path.is_dir():
        return None
    config = read_json_config(path / "config.json")
    if config and str(config.get("model_type")) in MUSICGEN_TYPES:
        return _match(path, MUSICGEN_KIND, MUSICGEN_TYPES[str(config["model_type"])],
                      "transformers-folder", ("model.safetensors", "model.safetensors.index.json"))
    index = read_json_config(path / "model_index.json")
    if index and index.get("_class_name") == "StableAudioPipeline":
        return _match(path, STABLE_AUDIO_KIND, "Stable Audio", "diffusers-folder", ())
    return None


def _match(path: Path, kind: str, architecture: str, fmt: str,
           weights: tuple[str, ...]) -> ModelMatch:
    details: dict[str, Any] = {"modality": "audio"}
    has_safetensors = any(path.rglob("*.safetensors"))
    if not has_safetensors:
        details["refused"] = ("its weights are not safetensors; Genloom loads audio models "
                              "only from safetensors (convert them with the model's library)")
    return ModelMatch(kind=kind, architecture=architecture, format=fmt, details=details)


class TextToMusicGenerator:
    """MusicGen or Stable Audio from a text prompt (and a melody clip for MusicGen Melody)."""

    def __init__(self) -> None:
        self.kind = ""
        self.model: Any = None
        self.processor: Any = None
        self.device = "cpu"
        self.melody = False

    def load(self, model: ModelRef | None, device: str, dtype: str) -> None:
        if model is None or not model.path:
            raise InputError("audio.text_to_music needs a MusicGen or Stable Audio model "
                             "folder; add one to the model library")
        match = identify_music_model(Path(model.path))
        if match is None:
            raise InputError(f"{model.path} is not a MusicGen (transformers) or Stable Audio "
                             "(diffusers) model folder")
        if "refused" in match.details:
            raise InputError(f"{model.path}: {match.details['refused']}")
        import torch

        from genloom.sdk.placement import resolve_dtype

        torch_dtype = getattr(torch, resolve_dtype(device, dtype))
        self.device, self.kind = device, match.kind
        quiet_model_libraries(diffusers=match.kind != MUSICGEN_KIND)  # Stable Audio is diffusers
        if match.kind == MUSICGEN_KIND:
            self._load_musicgen(Path(model.path), match.architecture, torch_dtype)
        else:
            from diffusers import StableAudioPipeline

            _require_torchsde()
            self.model = StableAudioPipeline.from_pretrained(
                model.path, dtype=torch_dtype, use_safetensors=True,
                local_files_only=True).to(device)
            self.model.set_progress_bar_config(disable=True)

    def _load_musicgen(self, path: Path, architecture: str, torch_dtype: Any) -> None:
        import transformers

        self.melody = architecture == "MusicGen Melody"
        cls = (transformers.MusicgenMelodyForConditionalGeneration if self.melody
               else transformers.MusicgenForConditionalGeneration)
        self.model = cls.from_pretrained(path, dtype=torch_dtype, use_safetensors=True,
                                         local_files_only=True).to(self.device).eval()
        try:
            self.processor = transformers.AutoProcessor.from_pretrained(
                path, local_files_only=True)
        except (OSError, ValueError, TypeError):
            self.processor = transformers.AutoTokenizer.from_pretrained(
                path, local_files_only=True)

    def unload(self) -> None:
        self.model = None
        self.processor = None

    @property
    def sample_rate(self) -> int:
        if self.kind == MUSICGEN_KIND:
            return int(self.model.config.audio_encoder.sampling_rate)
        return int(self.model.vae.sampling_rate)

    def run(self, request: Request, state: RunState) -> list[Output]:
        p = request.params
        check_text_to_music(p)
        if request.inputs.get("melody") is not None and not self.melody:
            raise ParameterError("melody", "given", "needs a MusicGen Melody model",
                                 "choose a melody model, or leave the melody out")
        if self.kind == MUSICGEN_KIND:
            audio, rate, info = self._musicgen(request, state)
        else:
            audio, rate, info = self._stable_audio(request, state)
        audio = _exact_length(_resample(audio, rate, p["sample_rate"]),
                              round(p["duration"] * p["sample_rate"]), state.cancelled)
        audio = audio_io.as_channels(audio, p["channels"])
        audio, loudness = audio_io.normalise(audio, p["sample_rate"], p["normalise"],
                                             p["target_lufs"])
        path = audio_io.write_wav(Path(request.output_dir) / "music.wav", audio,
                                  p["sample_rate"])
        return [Output(kind="audio", path=path, suffix=".wav", partial=state.cancelled,
                       metadata={**audio_io.audio_metadata(audio, p["sample_rate"]),
                                 "model_sample_rate": rate, **info, **loudness})]

    def musicgen_inputs(self, request: Request) -> dict[str, Any]:
        """What ``generate`` gets besides the sampling settings (the benchmark uses it too)."""
        p = request.params
        kwargs: dict[str, Any] = {"text": [p["prompt"]], "padding": True,
                                  "return_tensors": "pt"}
        melody = request.inputs.get("melody")
        if melody is not None:
            if getattr(self.processor, "feature_extractor", None) is None:
                raise InputError("melody conditioning needs MusicGen Melody's processor, whose "
                                 "chroma features need torchaudio: pip install torchaudio "
                                 "(the same version as torch), and keep the folder's "
                                 "preprocessor_config.json")
            clip, rate = audio_io.read_audio(melody.path)
            kwargs["audio"] = clip.mean(axis=1)
            kwargs["sampling_rate"] = rate
        inputs = self.processor(**kwargs)
        return {k: v.to(self.device) for k, v in inputs.items()}

    def _musicgen(self, request: Request, state: RunState) -> tuple[Any, int, dict[str, Any]]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        p = request.params
        frame_rate = int(self.model.config.audio_encoder.frame_rate)
        codebooks = int(self.model.decoder.config.num_codebooks)
        # MusicGen's delay pattern spends (codebooks - 1) steps before the first full frame
        tokens = max(1, round(p["duration"] * frame_rate)) + codebooks - 1
        inputs = self.musicgen_inputs(request)

        class Steps(StoppingCriteria):
            def __init__(self) -> None:
                self.step = 0

            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                self.step += 1
                state.progress(min(self.step, tokens), tokens,
                               f"audio token {min(self.step, tokens)} of {tokens}")
                # A cancel ends the job at once: MusicGen cannot undo its codebook delay
                # pattern on a sequence stopped early, so there is no partial clip to keep.
                state.raise_if_cancelled()
                return torch.zeros((input_ids.shape[0],), dtype=torch.bool,
                                   device=input_ids.device)

        torch.manual_seed(int(request.seed))
        with torch.inference_mode():
            values = self.model.generate(
                **inputs, do_sample=p["temperature"] > 0,
                temperature=max(p["temperature"], 1e-5), guidance_scale=p["guidance_scale"],
                max_new_tokens=tokens, stopping_criteria=StoppingCriteriaList([Steps()]))
        audio = values[0].float().cpu().numpy().T  # (frames, channels)
        return audio, self.sample_rate, {"audio_tokens": tokens, "frame_rate": frame_rate}

    def _stable_audio(self, request: Request, state: RunState) -> tuple[Any, int, dict[str, Any]]:
        import numpy as np
        import torch

        p = request.params
        steps = int(p["steps"])

        def on_step(step: int, timestep: Any, latents: Any) -> None:
            # StableAudioPipeline has the older per-step ``callback`` (no
            # callback_on_step_end / _interrupt): a cancel raises out of the loop.
            state.progress(step + 1, steps, f"step {step + 1} of {steps}")
            state.raise_if_cancelled()

        generator = torch.Generator(device="cpu").manual_seed(int(request.seed))
        result = self.model(
            p["prompt"], negative_prompt=p["negative_prompt"] or None,
            audio_end_in_s=float(p["duration"]), num_inference_steps=steps,
            guidance_scale=p["guidance_scale"], generator=generator,
            callback=on_step, callback_steps=1, output_type="np")
        audio = np.asarray(result.audios[0], dtype=np.float32).T  # (frames, channels)
        return audio, self.sample_rate, {"steps": steps}


def check_text_to_music(p: dict[str, Any]) -> None:
    """Queue-time checks: duration, rate, channels, loudness target."""
    duration = p["duration"]
    if not 0.1 <= duration <= MAX_SECONDS:
        raise ParameterError("duration", duration, f"is outside 0.1 to {MAX_SECONDS:g} seconds",
                             "ask for a clip of at most a minute; join clips for longer")
    audio_io.check_sample_rate(p["sample_rate"])
    audio_io.check_channels(p["channels"])
    if p["normalise"] == "loudness":
        audio_io.check_lufs(p["target_lufs"])


def _resample(audio: Any, rate: int, target: int) -> Any:
    """Audio (frames[, channels]) at ``target`` Hz (polyphase, scipy)."""
    import numpy as np

    if rate == target:
        return np.asarray(audio, dtype=np.float32)
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(rate, target)
    return resample_poly(np.asarray(audio, dtype=np.float32), target // g, rate // g,
                         axis=0).astype(np.float32)


def _exact_length(audio: Any, frames: int, cancelled: bool) -> Any:
    """The asked number of frames: trimmed, or padded with silence (not when cancelled:
    a partial clip keeps the length it reached)."""
    import numpy as np

    if len(audio) >= frames or cancelled:
        return audio[:frames]
    pad = np.zeros((frames - len(audio), *audio.shape[1:]), dtype=audio.dtype)
    return np.concatenate([audio, pad])


def _require_torchsde() -> None:
    """Stable Audio Open's scheduler (CosineDPMSolverMultistepScheduler) needs torchsde."""
    try:
        import torchsde  # noqa: F401
    except ImportError as exc:
        raise InputError("Stable Audio models need the torchsde package for their scheduler; "
                         "install it with: pip install 'genloom[audio]' (or pip install "
                         "torchsde)") from exc
