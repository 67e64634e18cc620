"""Loading diffusers pipelines from what users have on disk, shared between generators.

One loaded text-to-image pipeline per (model path, device, dtype) lives in this
worker process; the image-to-image and inpainting generators derive theirs from it
with ``from_pipe``, which reuses the same components (no second copy in memory).
The bundled model is a diffusers Stable Diffusion folder and goes through exactly
the same path as a user's folder.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genloom.sdk import (
    GenloomError,
    InputError,
    ModelFormatError,
    ModelRef,
    PickleRefusedError,
    read_safetensors_header,
    refuse_pickle,
    safe_torch_load,
)
from genloom.sdk.placement import Placement, canonical_dtype, place_pipeline, resolve_dtype
from genloom.sdk.runtime import quiet_model_libraries
from genloom_image.plugin import BUNDLED_DIR  # the default's folder: a run that names no model


class ModelLoadError(GenloomError):
    """A model that cannot be loaded, with what is missing and how to fix it."""


@dataclass
class LoadedModel:
    """A loaded base pipeline and what was derived from it."""

    key: tuple[str, str, str]
    pipe: Any
    path: Path
    #: Genloom's own folder for what is derived from this model (``ModelRef.derived_dir``), or None.
    derived_dir: Path | None = None
    users: int = 0
    derived: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)


_LOCK = threading.Lock()
_LOADED: dict[tuple[str, str, str], LoadedModel] = {}


def model_path(model: ModelRef | None) -> tuple[Path, bool]:
    """The file or folder to load and whether pickle was allowed for it."""
    if model is None or not model.path:
        return BUNDLED_DIR, False
    return Path(model.path).expanduser(), bool(model.allow_pickle)


def acquire(model: ModelRef | None, device: str, dtype: str) -> LoadedModel:
    """Load (or reuse) the pipeline for ``model`` on ``device``; call :func:`release` after."""
    path, allow_pickle = model_path(model)
    key = (str(path.resolve()), device, resolve_dtype(device, dtype))
    with _LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            from genloom_image.memory import load_placement

            placement = load_placement(path, device, key[2])
            pipe = load_pipeline(path, device, key[2], allow_pickle, kind=model.kind if model else "",
                                 placement=placement)
            derived_dir = Path(model.derived_dir) if model is not None and model.derived_dir else None
            loaded = _LOADED[key] = LoadedModel(key=key, pipe=pipe, path=path, derived_dir=derived_dir)
            loaded.extras["placement"] = placement
        loaded.users += 1
        return loaded


def release(loaded: LoadedModel) -> None:
    """Drop one user of ``loaded``; the last one frees it."""
    with _LOCK:
        loaded.users -= 1
        if loaded.users <= 0:
            _LOADED.pop(loaded.key, None)
            loaded.derived.clear()
            loaded.extras.clear()
            loaded.pipe = None


def derived(loaded: LoadedModel, task: str) -> Any:
    """The ``"img2img"`` or ``"inpaint"`` pipeline sharing ``loaded``'s components."""
    with _LOCK:
        if task not in loaded.derived:
            import diffusers

            auto = {"img2img": diffusers.AutoPipelineForImage2Image,
                    "inpaint": diffusers.AutoPipelineForInpainting}[task]
            try:
                loaded.derived[task] = auto.from_pipe(loaded.pipe)
                loaded.derived[task].set_progress_bar_config(disable=True)
            except (ValueError, KeyError) as exc:
                raise ModelLoadError(
                    f"{type(loaded.pipe).__name__} has no {'image-to-image' if task == 'img2img' else 'inpainting'} "
                    f"counterpart in diffusers ({exc}); use text-to-image with this model or choose another"
                ) from exc
        return loaded.derived[task]


def torch_dtype(name: str) -> Any:
    """The torch dtype for a Genloom dtype name."""
    import torch

    return getattr(torch, canonical_dtype(name))


def load_pipeline(path: Path, device: str, dtype: str, allow_pickle: bool = False, kind: str = "",
                  placement: Placement | None = None) -> Any:
    """A text-to-image pipeline from a diffusers folder or a single-file checkpoint, placed
    on ``device`` as ``placement`` says (default: wholly on the device)."""
    if kind == "lora":
        raise ModelLoadError(f"{path} is a LoRA, not a base model; choose a base model and add the LoRA "
                             "in the 'loras' parameter")
    if not path.exists():
        raise ModelLoadError(f"model {path} does not exist; check the path or rescan the model library")
    quiet_model_libraries(diffusers=True)  # the worker reports progress itself
    if path.is_dir():
        pipe = _load_folder(path, dtype)
    else:
        pipe = _load_single_file(path, dtype, allow_pickle)
    pipe.set_progress_bar_config(disable=True)
    place_pipeline(pipe, device, placement or Placement("device", ""))
    return pipe


def _load_folder(path: Path, dtype: str) -> Any:
    if not (path / "model_index.json").is_file():
        raise ModelLoadError(f"{path} is not a diffusers pipeline folder: it has no model_index.json")
    weights = list(path.glob("*/*.safetensors"))
    pickles = [p for p in path.glob("*/*") if p.suffix in (".bin", ".ckpt", ".pt", ".pth")]
    if not weights and pickles:
        raise PickleRefusedError(
            pickles[0],
            f"{path} holds only pickle-based weights ({pickles[0].name}), which Genloom does not load: "
            "unpickling can run any code hidden in the file. Use the .safetensors release of this model "
            "(most are published with both), or convert it with diffusers' conversion scripts.")
    from diffusers import AutoPipelineForText2Image

    try:
        return AutoPipelineForText2Image.from_pretrained(
            path, dtype=torch_dtype(dtype), use_safetensors=True, local_files_only=True, trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"diffusers could not load {path} as a text-to-image pipeline: {exc}") from exc


def _load_single_file(path: Path, dtype: str, allow_pickle: bool) -> Any:
    refuse_pickle(path, allow_pickle)
    if path.suffix.lower() not in (".safetensors", ".sft", ".ckpt"):
        raise InputError(f"{path} is not a model file Genloom's image plugin loads; use a diffusers folder "
                         "or a single-file .safetensors checkpoint (SD 1.x, 2.x or SDXL)")
    from genloom_image.identify import identify_image_model

    # An allowed .ckpt cannot be identified without unpickling; diffusers infers its family
    # itself and opens it with torch.load(weights_only=True), which refuses anything but tensors.
    match = identify_image_model(path) if path.suffix.lower() != ".ckpt" else None
    architecture = match.architecture if match else "SD 1.x"
    if match is not None and match.kind == "lora":
        raise ModelLoadError(f"{path} is a LoRA, not a base model; add it in the 'loras' parameter")
    import diffusers

    classes = {"SD 1.x": "StableDiffusionPipeline", "SD 2.x": "StableDiffusionPipeline",
               "Stable Diffusion": "StableDiffusionPipeline", "SDXL": "StableDiffusionXLPipeline"}
    if architecture not in classes:
        raise ModelLoadError(
            f"{path} is a single-file {architecture or 'unknown'} checkpoint; Genloom loads single files for "
            "SD 1.x, SD 2.x and SDXL only. Use the diffusers folder release of this model.")
    cls = getattr(diffusers, classes[architecture])
    try:
        return cls.from_single_file(str(path), dtype=torch_dtype(dtype), local_files_only=True)
    except Exception as exc:  # diffusers raises OSError, ValueError, EnvironmentError, HF errors
        raise single_file_error(path, architecture, exc) from exc


def single_file_error(path: Path, architecture: str, exc: BaseException) -> GenloomError:
    """Why diffusers could not set up a single-file checkpoint: the first real cause.

    diffusers reports a damaged file, a pickle that weights-only loading refused and a
    configuration missing from the Hugging Face cache alike, so the causes are checked
    in order: the file itself (opened the same safe way), then the configuration in the
    cache, and only then diffusers' own message.
    """
    damaged = _checkpoint_problem(path)
    if damaged is not None:
        return damaged
    repo = _config_repo(path)
    first_line = (str(exc).splitlines() or [""])[0][:300]
    if repo and not _configs_cached(repo):
        return ModelLoadError(
            f"diffusers cannot set up {path.name} ({architecture}) offline: it needs the pipeline "
            f"configuration of {repo} from the Hugging Face cache, which is not there "
            f"({type(exc).__name__}: {first_line}). Fix: on a machine with internet, run "
            f"`huggingface-cli download {repo} --include '*.json' '*.txt'` once, or use the model's "
            "diffusers folder release instead.")
    return ModelLoadError(f"diffusers could not set up {path.name} ({architecture}) as a pipeline: "
                          f"{type(exc).__name__}: {first_line}")


def _checkpoint_problem(path: Path) -> GenloomError | None:
    """A reason the file cannot be read as tensors, or None when it reads."""
    try:
        if path.suffix.lower() == ".ckpt":
            safe_torch_load(path)  # raises PickleRefusedError naming what was refused
        else:
            from safetensors import safe_open

            read_safetensors_header(path)  # sizes and offsets against the file's length
            with safe_open(str(path), framework="pt") as handle:
                for name in list(handle.keys())[:1]:
                    handle.get_tensor(name)
    except GenloomError as exc:
        return exc
    except Exception as exc:  # torch's zip reader, safetensors' Rust errors, a short read
        return ModelFormatError(f"{path} cannot be read as a checkpoint, so it is damaged or not a model "
                                f"file ({type(exc).__name__}: {str(exc)[:200]}); download it again")
    return None


def _configs_cached(repo: str) -> bool:
    """Whether the Hugging Face cache holds the pipeline configuration of ``repo``."""
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(repo, "model_index.json"), str)
    except Exception:
        return False


def _config_repo(path: Path) -> str:
    """The Hugging Face repository whose configs diffusers uses for this checkpoint ("" if unknown)."""
    try:
        from diffusers.loaders.single_file_utils import (
            DIFFUSERS_DEFAULT_PIPELINE_PATHS,
            infer_diffusers_model_type,
            load_single_file_checkpoint,
        )

        checkpoint = load_single_file_checkpoint(str(path), local_files_only=True)
        entry = DIFFUSERS_DEFAULT_PIPELINE_PATHS[infer_diffusers_model_type(checkpoint)]
        return str(entry["pretrained_model_name_or_path"])
    except Exception:
        return ""
