"""The image generators: text-to-image, image-to-image, inpainting and variations.

Each is a thin task on top of one shared, loaded diffusers pipeline (see
pipelines.py). ``run`` validates what only the loaded model can judge (sizes,
scheduler, strength with steps, LoRAs), then calls the pipeline with progress,
previews and cancellation wired through ``callback_on_step_end``.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from genloom.sdk import InputError, ModelRef, Output, ParameterError, Request, RunState
from genloom_image import __version__
from genloom_image.pipelines import BUNDLED_DIR
from genloom_image.png import parameters_text, save_png
from genloom_image.validation import SizeRule, check_strength_steps, parse_loras, resolve_size


class DiffusionGenerator:
    """Base of the image generators; subclasses set :attr:`task` and the inputs they read."""

    #: "txt2img", "img2img" or "inpaint": which pipeline runs.
    task = "txt2img"
    #: Input roles: the image to start from and the inpainting mask.
    image_role: str | None = None
    mask_role: str | None = None

    def __init__(self) -> None:
        self.loaded: Any = None
        self.device = "cpu"
        self.model: ModelRef | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def load(self, model: ModelRef | None, device: str, dtype: str) -> None:
        """Load the model's pipeline (shared with the other image generators) onto ``device``."""
        from genloom_image import pipelines
        from genloom_image.previews import fit_latent_to_rgb

        self.model, self.device = model, device
        self.loaded = pipelines.acquire(model, device, dtype)
        extras = self.loaded.extras
        if "default_scheduler" not in extras:
            extras["default_scheduler"] = self.loaded.pipe.scheduler
            vae = getattr(self.loaded.pipe, "vae", None)
            extras["preview_matrix"] = fit_latent_to_rgb(vae) if vae is not None else None
            extras["memory"] = {}
            extras["loras"] = {}

    def unload(self) -> None:
        """Release the shared pipeline; the last user frees it (and the GPU cache)."""
        from genloom_image import pipelines

        if self.loaded is not None:
            pipelines.release(self.loaded)
            self.loaded = None
        import gc

        gc.collect()
        if self.device.startswith("cuda"):
            import torch

            torch.cuda.empty_cache()

    # -- one run --------------------------------------------------------------------------

    def run(self, request: Request, state: RunState) -> list[Output]:
        """Validate the request against the loaded model, generate, write PNGs."""
        state.raise_if_cancelled()
        if self.loaded is None:
            raise RuntimeError("run() called before load()")
        params = request.params
        base = self.loaded.pipe
        image, mask = self._inputs(request)
        rule = size_rule(base)
        fallback = image.size if image is not None else None
        width, height = resolve_size(rule, params["width"], params["height"], fallback)
        strength = params.get("strength")
        if strength is not None:
            check_strength_steps(strength, params["steps"])
        loras = parse_loras(params.get("loras", ""))
        backend = params.get("backend", "torch")
        pipe, providers = self._pipeline(backend, bool(loras))
        applied = self._prepare(pipe, params, width, height, loras, backend)
        prompt = self._prompt(request)
        seeds = list(request.seeds)  # one image per seed; Genloom chose them
        kwargs = self._call_arguments(pipe, params, prompt, width, height, image, mask, seeds, state)
        images = self._finish(pipe(**kwargs).images, kwargs)
        state.raise_if_cancelled()
        return self._outputs(request, images, seeds, prompt, width, height, pipe, applied, backend, providers)

    def _inputs(self, request: Request) -> tuple[Any, Any]:
        from PIL import Image

        opened = []
        for role, mode in ((self.image_role, "RGB"), (self.mask_role, "L")):
            if role is None:
                opened.append(None)
                continue
            asset = request.inputs.get(role)
            if asset is None:
                raise InputError(f"{request.generator_id} needs an image as {role!r}; none was "
                                 "given")
            try:
                with Image.open(asset.path) as img:
                    opened.append(img.convert(mode))
            except OSError as exc:
                raise InputError(f"input {role!r} ({Path(asset.path).name}) is not an image Pillow can "
                                 f"read: {exc}") from exc
        image, mask = opened
        if image is not None and mask is not None and image.size != mask.size:
            raise InputError(f"the mask is {mask.size[0]}x{mask.size[1]} but the image is "
                             f"{image.size[0]}x{image.size[1]}; paint the mask over this image "
                             "so both have the same size")
        return image, mask

    def _pipeline(self, backend: str, has_loras: bool) -> tuple[Any, list[str]]:
        from genloom_image import pipelines

        if backend == "onnxruntime":
            if has_loras:
                raise ParameterError("loras", "(given)", "cannot be applied with the onnxruntime backend",
                                     "remove the LoRAs or choose the torch backend")
            from genloom_image.onnx_backend import onnx_pipeline

            return onnx_pipeline(self.loaded, self.task, self.device)
        if self.task == "txt2img":
            return self.loaded.pipe, []
        return pipelines.derived(self.loaded, self.task), []

    def _prepare(self, pipe: Any, params: dict[str, Any], width: int, height: int,
                 loras: list[Any], backend: str) -> dict[str, Any]:
        from genloom_image.lora import apply_loras
        from genloom_image.memory import apply_memory_options
        from genloom_image.schedulers import make_scheduler, readable_name

        extras = self.loaded.extras
        pipe.scheduler = make_scheduler(pipe, params["scheduler"], extras["default_scheduler"])
        applied: dict[str, Any] = {"scheduler": readable_name(pipe.scheduler)}
        if backend == "torch":
            applied["memory"] = apply_memory_options(
                self.loaded.pipe, self.device, params.get("memory_saving", "auto"), width, height,
                params.get("cpu_offload", False), extras["memory"], extras.get("placement"))
            applied["loras"] = apply_loras(self.loaded.pipe, loras, extras["loras"])
        return applied

    def _prompt(self, request: Request) -> str:
        return request.params.get("prompt", "")

    def _finish(self, images: list[Any], kwargs: dict[str, Any]) -> list[Any]:
        """Post-process the pipeline's images (inpainting pastes the kept pixels back)."""
        return images

    def _call_arguments(self, pipe: Any, params: dict[str, Any], prompt: str, width: int, height: int,
                        image: Any, mask: Any, seeds: list[int], state: RunState) -> dict[str, Any]:
        import torch
        from PIL import Image

        from genloom_image.previews import StepReporter

        reporter = StepReporter(state, params["steps"], self.loaded.extras.get("preview_matrix"),
                                (width, height))
        kwargs: dict[str, Any] = {
            "prompt": prompt,
            "negative_prompt": params.get("negative_prompt") or None,
            "num_inference_steps": params["steps"],
            "guidance_scale": params["guidance_scale"],
            "num_images_per_prompt": len(seeds),
            "generator": [torch.Generator("cpu").manual_seed(s) for s in seeds],
            "callback_on_step_end": reporter,
            "width": width,
            "height": height,
        }
        if image is not None:
            kwargs["image"] = image.resize((width, height), Image.Resampling.LANCZOS)
        if mask is not None:
            kwargs["mask_image"] = mask.resize((width, height), Image.Resampling.NEAREST)
        if "strength" in params:
            kwargs["strength"] = params["strength"]
        accepted = inspect.signature(pipe.__call__).parameters
        if kwargs["negative_prompt"] is None or "negative_prompt" not in accepted:
            kwargs.pop("negative_prompt")
        for key in ("width", "height"):
            if key not in accepted:
                kwargs.pop(key)
        return kwargs

    def _outputs(self, request: Request, images: list[Any], seeds: list[int], prompt: str, width: int,
                 height: int, pipe: Any, applied: dict[str, Any], backend: str,
                 providers: list[str]) -> list[Output]:
        params = request.params
        model = request.model
        outputs = []
        for index, (image, seed) in enumerate(zip(images, seeds, strict=True)):
            fields: list[tuple[str, Any]] = [
                ("Steps", params["steps"]), ("Sampler", applied["scheduler"]),
                ("CFG scale", params["guidance_scale"]), ("Seed", seed), ("Size", f"{width}x{height}"),
                ("Model hash", model.hash[:10] if model and model.hash else ""),
                ("Model", (model.title or model.id) if model else BUNDLED_DIR.name),
            ]
            if "strength" in params:
                fields.append(("Denoising strength", params["strength"]))
            if applied.get("loras"):
                fields.append(("Lora", "; ".join(f"{x['file']}={x['weight']}" for x in applied["loras"])))
            if backend != "torch":
                fields.append(("Backend", f"{backend} ({', '.join(providers)})"))
            fields.append(("Version", f"Genloom image {__version__} {request.generator_id}"))
            text = parameters_text(prompt, params.get("negative_prompt", ""), fields)
            path = save_png(image, request.output_dir / f"image-{seed}.png", text)
            metadata = {"parameters": text, "prompt": prompt, "seed": seed, "width": width, "height": height,
                        "batch_index": index, "scheduler": applied["scheduler"],
                        "scheduler_class": type(pipe.scheduler).__name__, "backend": backend,
                        "pipeline": type(pipe).__name__}
            if providers:
                metadata["onnx_providers"] = providers
            metadata["runtime"] = self._runtime(pipe, backend, providers)
            for key in ("loras", "memory"):
                if applied.get(key):
                    metadata[key] = applied[key]
            outputs.append(Output(kind="image", path=path, metadata=metadata))
        return outputs


    def _runtime(self, pipe: Any, backend: str, providers: list[str]) -> dict[str, Any]:
        """What ran (device, dtype, placement, attention or ONNX providers and any fallback)."""
        from genloom_image.memory import pipeline_runtime

        fallback = self.loaded.extras.get("onnx", {}).get("fallback", "") if backend != "torch" else ""
        return pipeline_runtime(pipe, self.device, self.loaded.extras.get("memory", {}), providers, fallback)


def size_rule(pipe: Any) -> SizeRule:
    """The sizes ``pipe``'s model can make, from its native size and VAE/patch factors."""
    factor = int(getattr(pipe, "vae_scale_factor", 8) or 8)
    unet = getattr(pipe, "unet", None) or getattr(pipe, "transformer", None)
    config = getattr(unet, "config", None)
    sample = getattr(pipe, "default_sample_size", None) or getattr(config, "sample_size", None) or 64
    if isinstance(sample, (list, tuple)):
        sample = sample[0]
    patch = int(getattr(config, "patch_size", 1) or 1)
    multiple = max(8, factor * patch)
    return SizeRule.for_native(int(sample) * factor, multiple)


class TextToImage(DiffusionGenerator):
    """A prompt in, images out."""

    task = "txt2img"


class ImageToImage(DiffusionGenerator):
    """An image and a prompt in; the image repainted by ``strength``."""

    task = "img2img"
    image_role = "image"


class Inpaint(DiffusionGenerator):
    """An image, a mask (white: repaint) and a prompt in; the masked part repainted."""

    task = "inpaint"
    image_role = "image"
    mask_role = "mask"

    def _finish(self, images: list[Any], kwargs: dict[str, Any]) -> list[Any]:
        """Keep the unmasked pixels exactly: the VAE round trip would otherwise soften them."""
        from PIL import Image

        source, mask = kwargs["image"], kwargs["mask_image"]
        return [Image.composite(img.resize(source.size), source, mask) for img in images]


class Variations(DiffusionGenerator):
    """An image in; new takes on it with new seeds (image-to-image at a low strength).

    With an empty prompt the source image's own prompt (from its recipe) is used.
    """

    task = "img2img"
    image_role = "image"

    def _prompt(self, request: Request) -> str:
        prompt = request.params.get("prompt", "")
        if prompt:
            return prompt
        asset = request.inputs.get("image")
        meta = asset.metadata if asset is not None else {}
        return str(meta.get("prompt") or (meta.get("params") or {}).get("prompt") or "")
