"""The onnxruntime backend: the same diffusers pipeline with ONNX parts swapped in.

The text encoder, UNet and VAE decoder exported by :mod:`genloom_image.onnx_export`
run in onnxruntime sessions opened with :func:`genloom.sdk.onnx_session` (providers
chosen for the device); everything else (tokenizer, scheduler, guidance, callbacks,
previews, the VAE *encoder* that image-to-image needs) is the torch pipeline's own.
The recipe records ``session.get_providers()``: onnxruntime-gpu falls back to the
CPU silently when a GPU provider cannot start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genloom.sdk import ParameterError, onnx_session
from genloom.sdk.placement import onnx_fallback
from genloom_image.onnx_export import ONNX_FILES


def _modules() -> tuple[type, type, type]:
    import numpy as np
    import torch

    class OnnxModule(torch.nn.Module):
        """A torch module whose forward runs an onnxruntime session (float32, CPU tensors in/out)."""

        def __init__(self, session: Any, config: Any) -> None:
            super().__init__()
            self.session = session
            self.config = config

        @property
        def dtype(self) -> Any:
            return torch.float32

        @property
        def device(self) -> Any:
            return torch.device("cpu")

        def _run(self, **feeds: Any) -> list[Any]:
            return self.session.run(None, {k: v.detach().cpu().numpy() for k, v in feeds.items()})

    class OnnxTextEncoder(OnnxModule):
        def forward(self, input_ids: Any, attention_mask: Any = None, output_hidden_states: bool = False,
                    **_: Any) -> tuple[Any, Any]:
            if output_hidden_states:
                raise ParameterError("backend", "onnxruntime", "does not support clip skip",
                                     "use the torch backend")
            hidden, pooled = self._run(input_ids=input_ids.to(torch.int64))
            return torch.from_numpy(hidden), torch.from_numpy(pooled)

    class OnnxUNet(OnnxModule):
        def forward(self, sample: Any, timestep: Any, encoder_hidden_states: Any, **kwargs: Any) -> tuple[Any]:
            if kwargs.get("added_cond_kwargs") or kwargs.get("timestep_cond") is not None:
                raise ParameterError("backend", "onnxruntime", "supports SD 1.x/2.x-style UNets only",
                                     "use the torch backend")
            t = torch.as_tensor(timestep, dtype=torch.float32).reshape(-1)
            t = t.expand(sample.shape[0]) if t.numel() == 1 else t
            (out,) = self._run(sample=sample.float(), timestep=t.contiguous(),
                               encoder_hidden_states=encoder_hidden_states.float())
            return (torch.from_numpy(out).to(sample.dtype),)

    class OnnxVae(OnnxModule):
        """Decodes with ONNX; encodes (image-to-image, inpainting) with the torch VAE."""

        def __init__(self, session: Any, torch_vae: Any) -> None:
            super().__init__(session, torch_vae.config)
            self.torch_vae = torch_vae

        def encode(self, x: Any, return_dict: bool = True) -> Any:
            return self.torch_vae.encode(x, return_dict=return_dict)

        def decode(self, z: Any, return_dict: bool = True, generator: Any = None) -> Any:
            (out,) = self._run(latent_sample=z.float())
            sample = torch.from_numpy(np.ascontiguousarray(out))
            if return_dict:
                from diffusers.models.autoencoders.vae import DecoderOutput

                return DecoderOutput(sample=sample)
            return (sample,)

    return OnnxTextEncoder, OnnxUNet, OnnxVae


def onnx_dirs(model_path: Path, derived_dir: Path | None) -> list[Path]:
    """Where the ONNX files of a model may be, in order: the model folder's ``onnx/`` (how the
    bundled model ships them), then Genloom's own folder for this model (where exports go)."""
    return [model_path / "onnx", *([derived_dir / "onnx"] if derived_dir is not None else [])]


def onnx_pipeline(loaded: Any, task: str, device: str) -> tuple[Any, list[str]]:
    """The ``task`` pipeline ("txt2img", "img2img", "inpaint") running on onnxruntime.

    :raises ParameterError: the model has no ONNX export, or is not a Stable Diffusion pipeline.
    """
    import diffusers

    cache = loaded.extras.setdefault("onnx", {})
    if "base" not in cache:
        places = onnx_dirs(loaded.path, loaded.derived_dir)
        found = [place for place in places if all((place / name).is_file() for name in ONNX_FILES)]
        if not found:
            # The export goes to Genloom's own data, never into the model's folder: that may be
            # another tool's (a Hugging Face cache snapshot), which Genloom does not write into.
            out = places[-1] if loaded.derived_dir is not None else Path("<a folder of yours>")
            raise ParameterError(
                "backend", "onnxruntime",
                f"needs {', '.join(ONNX_FILES)} in {' or '.join(str(p) for p in places)}, which this model lacks",
                f"export it with `python -m genloom_image.onnx_export {loaded.path} --out {out}` "
                "or use the torch backend")
        folder = found[0]
        if type(loaded.pipe).__name__ != "StableDiffusionPipeline":
            raise ParameterError("backend", "onnxruntime",
                                 f"supports Stable Diffusion 1.x/2.x pipelines, not {type(loaded.pipe).__name__}",
                                 "use the torch backend")
        text_cls, unet_cls, vae_cls = _modules()
        sessions = {}
        providers: list[str] = []
        import onnxruntime as ort

        options = ort.SessionOptions()
        # Idle onnxruntime threads otherwise spin for a while after each run and starve torch
        # (and the rest of the worker) on small machines; measured 12x slower torch steps here.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        for name in ONNX_FILES:
            sessions[name], active = onnx_session(folder / name, device, session_options=options)
            providers = providers or active
        pipe = loaded.pipe
        components = dict(pipe.components)
        components.update(
            text_encoder=text_cls(sessions["text_encoder.onnx"], pipe.text_encoder.config),
            unet=unet_cls(sessions["unet.onnx"], pipe.unet.config),
            vae=vae_cls(sessions["vae_decoder.onnx"], pipe.vae),
        )
        cache["components"] = components
        cache["providers"] = providers
        # onnx_session logged it; the outputs' runtime record says it too (never a silent CPU run).
        cache["fallback"] = onnx_fallback(device, providers, ort.get_available_providers())
        cache["base"] = diffusers.StableDiffusionPipeline(**components, requires_safety_checker=False)
    if task not in cache:
        cls = {"txt2img": diffusers.StableDiffusionPipeline, "img2img": diffusers.StableDiffusionImg2ImgPipeline,
               "inpaint": diffusers.StableDiffusionInpaintPipeline}[task]
        cache[task] = cache["base"] if task == "txt2img" else cls(**cache["components"], requires_safety_checker=False)
        cache[task].set_progress_bar_config(disable=True)
    return cache[task], list(cache["providers"])
