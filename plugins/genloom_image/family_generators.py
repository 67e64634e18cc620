"""The GAN and VAE generators: ``image.gan``, ``image.vae`` and ``image.vae_interpolate``.

Each loads one model folder (see families.py) and runs it with torch or onnxruntime
(the ``backend`` parameter, as for the diffusion generators). A caption's unknown words
are left out and recorded in the recipe; a caption with no known word is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genloom.sdk import InputError, ModelRef, Output, Request, RunState
from genloom.sdk.errors import Remedy
from genloom_image import __version__
from genloom_image.families import FamilyConfig, check_weights, read_config
from genloom_image.png import parameters_text, save_png


class FamilyGenerator:
    """Loads a GAN or VAE folder; runs it with the backend each request names."""

    family = "icon-gan"

    def __init__(self) -> None:
        self.model: ModelRef | None = None
        self.device = "cpu"
        self.config: FamilyConfig | None = None
        self.runners: dict[str, Any] = {}

    def load(self, model: ModelRef | None, device: str, dtype: str) -> None:
        """Read and check the folder; the torch networks load now, ONNX sessions when first asked for."""
        from genloom.sdk.formats import ModelFormatError
        from genloom_image.family_runtime import FamilyRunner

        if model is None:  # as the diffusion generators: no model means the bundled one
            from genloom_image.family_specs import bundled_ref

            model = bundled_ref(self.family)
        folder = Path(model.path)
        config = read_config(folder)
        if config.family != self.family:
            raise ModelFormatError(f"{folder} is a {config.family} folder; this generator runs {self.family} "
                                   "folders")
        check_weights(folder, config)
        self.model, self.device, self.config = model, device, config
        self.runners = {"torch": FamilyRunner(folder, "torch", device, config=config)}

    def unload(self) -> None:
        """Drop the networks and sessions."""
        for runner in self.runners.values():
            runner.close()
        self.runners.clear()

    def runner(self, backend: str) -> Any:
        """The loaded networks for ``backend`` (an ONNX session opened on first use)."""
        from genloom_image.family_runtime import FamilyRunner

        if self.model is None or self.config is None:
            raise RuntimeError("run() called before load()")
        if backend not in self.runners:
            derived = Path(self.model.derived_dir) if self.model.derived_dir else None
            self.runners[backend] = FamilyRunner(Path(self.model.path), backend, self.device, derived, self.config)
        return self.runners[backend]

    def fields(self, request: Request, runner: Any) -> list[tuple[str, Any]]:
        """The recipe fields every output's ``parameters`` text ends with."""
        model = request.model
        fields: list[tuple[str, Any]] = [
            ("Model hash", model.hash[:10] if model and model.hash else ""),
            ("Model", (model.title or model.id) if model else self.family),
        ]
        if runner.backend != "torch":
            fields.append(("Backend", f"{runner.backend} ({', '.join(runner.providers)})"))
        fields.append(("Version", f"Genloom image {__version__} {request.generator_id}"))
        return fields


class Sample(FamilyGenerator):
    """A caption and seeds in; one image per seed from the GAN's generator or the VAE's decoder."""

    def run(self, request: Request, state: RunState) -> list[Output]:
        from PIL import Image

        from genloom_image.family_runtime import latents, to_uint8

        state.raise_if_cancelled()
        params = request.params
        runner = self.runner(params.get("backend", "torch"))
        config = runner.config
        prompt = params.get("prompt", "")
        bags, ignored = config.bag_of_words([prompt] * len(request.seeds))
        temperature = params.get("temperature", 1.0)
        seeds = list(request.seeds)
        images = to_uint8(runner.decode(latents(seeds, config.latent_dim, temperature), bags))
        state.progress(1, 1, preview=images[0])
        state.raise_if_cancelled()
        size = config.image_size
        outputs = []
        for index, (pixels, seed) in enumerate(zip(images, seeds, strict=True)):
            fields = [("Seed", seed), ("Size", f"{size}x{size}"), ("Temperature", temperature),
                      *self.fields(request, runner)]
            text = parameters_text(prompt, "", fields)
            path = save_png(Image.fromarray(pixels), request.output_dir / f"image-{seed}.png", text)
            metadata = {"parameters": text, "prompt": prompt, "seed": seed, "width": size, "height": size,
                        "batch_index": index, "backend": runner.backend, "family": config.family,
                        "ignored_words": ignored[0]}
            if runner.providers:
                metadata["onnx_providers"] = runner.providers
            outputs.append(Output(kind="image", path=path, metadata=metadata))
        return outputs


class GanSample(Sample):
    """``image.gan``."""

    family = "icon-gan"


class VaeSample(Sample):
    """``image.vae``."""

    family = "icon-vae"


class VaeInterpolate(FamilyGenerator):
    """Two image assets in; a strip of ``steps`` frames from the first to the second through
    the VAE's latent space (both encoded, blended, decoded). Deterministic: no seed."""

    family = "icon-vae"
    roles = ("start", "end")

    def _image(self, request: Request, role: str, size: int) -> Any:
        import numpy as np
        from PIL import Image

        asset = request.inputs.get(role)
        if asset is None:
            raise InputError(f"{request.generator_id} needs an image as {role!r}; none was given",
                             remedy=Remedy("give_input", role))
        try:
            with Image.open(asset.path) as img:
                img.load()
                rgba = img.convert("RGBA")
        except OSError as exc:
            raise InputError(f"input {role!r} ({Path(asset.path).name}) is not an image Pillow can read: {exc}",
                             remedy=Remedy("give_input", role)) from exc
        # Transparent parts become white, as in the training images.
        flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat.alpha_composite(rgba)
        return np.asarray(flat.convert("RGB").resize((size, size), Image.Resampling.LANCZOS), dtype=np.uint8)

    def run(self, request: Request, state: RunState) -> list[Output]:
        import numpy as np
        from PIL import Image

        from genloom_image.family_runtime import to_uint8
        from genloom_image.vae_model import blend

        state.raise_if_cancelled()
        params = request.params
        runner = self.runner(params.get("backend", "torch"))
        config = runner.config
        size = config.image_size
        start, end = (self._image(request, role, size) for role in self.roles)
        steps, mode, prompt = params["steps"], params["mode"], params.get("prompt", "")
        bags, ignored = config.bag_of_words([prompt])
        ends = runner.encode(np.stack([start, end]))
        path_latents = blend(ends[0], ends[1], steps, mode)
        frames = to_uint8(runner.decode(path_latents, np.repeat(bags, steps, axis=0)))
        state.progress(1, 1, preview=frames[steps // 2])
        state.raise_if_cancelled()
        strip = np.concatenate(list(frames), axis=1)
        fields = [("Frames", steps), ("Interpolation", mode), ("Size", f"{size * steps}x{size}"),
                  *self.fields(request, runner)]
        text = parameters_text(prompt, "", fields)
        base = {"prompt": prompt, "frames": steps, "mode": mode, "frame_size": size, "backend": runner.backend,
                "family": config.family, "ignored_words": ignored[0]}
        if runner.providers:
            base["onnx_providers"] = runner.providers
        path = save_png(Image.fromarray(strip), request.output_dir / "interpolation.png", text)
        outputs = [Output(kind="image", path=path, metadata={
            **base, "parameters": text, "width": size * steps, "height": size, "strip": True})]
        if params.get("save_frames"):
            for index, pixels in enumerate(frames):
                frame_text = parameters_text(prompt, "", [("Frame", f"{index + 1}/{steps}"), *fields[1:2],
                                                          *self.fields(request, runner)])
                frame = save_png(Image.fromarray(pixels), request.output_dir / f"frame-{index + 1:02d}.png",
                                 frame_text)
                outputs.append(Output(kind="image", path=frame, metadata={
                    **base, "parameters": frame_text, "width": size, "height": size, "frame_index": index}))
        return outputs
