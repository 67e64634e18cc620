"""Generation with PyTorch: ``model.generate`` with a streamer and a stopping criterion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from genloom.sdk.lm.model_folder import ModelFolder
from genloom.sdk.lm.settings import GenerationSettings
from genloom.sdk.lm.streaming import TokenStream, hf_stopping_criteria, hf_streamer


@dataclass
class GenerationResult:
    """What one generation produced; ``stop_reason`` is eos, max_tokens, stop_sequence
    or cancelled."""

    text: str
    tokens: int
    stop_reason: str


class TorchBackend:
    """A loaded transformers model; :meth:`generate` streams into a :class:`TokenStream`."""

    name = "torch"

    def __init__(self, folder: ModelFolder, device: str, dtype: str) -> None:
        from genloom.sdk.lm.loading import load_torch_model

        self.model = load_torch_model(folder, device, dtype)
        self.device = device

    @property
    def dtype(self) -> str:
        return str(self.model.dtype).removeprefix("torch.")

    @property
    def runtime(self) -> dict[str, Any]:
        """What runs: device, dtype, placement and attention (``sdpa``: PyTorch's fused kernels)."""
        from genloom.sdk.placement import model_runtime

        return model_runtime(self.model, self.device)

    def generate(self, input_ids: list[int], settings: GenerationSettings, seed: int,
                 stream: TokenStream, eos_ids: list[int], pad_id: int,
                 first_allowed: tuple[int, ...] | None = None) -> GenerationResult:
        import torch

        torch.manual_seed(seed)
        ids = torch.tensor([input_ids], dtype=torch.long, device=self.device)
        kwargs: dict[str, Any] = {
            "max_new_tokens": settings.max_new_tokens,
            "do_sample": not settings.greedy,
            "repetition_penalty": settings.repetition_penalty,
            "no_repeat_ngram_size": settings.no_repeat_ngram_size or None,
            "eos_token_id": eos_ids,
            "pad_token_id": pad_id,
        }
        if not settings.greedy:
            kwargs.update(temperature=settings.temperature, top_p=settings.top_p,
                          top_k=settings.top_k)
        else:  # neutralise sampling defaults a model's generation_config may carry
            kwargs.update(temperature=None, top_p=None, top_k=None)
        if first_allowed is not None:
            from transformers import LogitsProcessorList

            from genloom.sdk.lm.healing import hf_first_token_processor

            kwargs["logits_processor"] = LogitsProcessorList(
                [hf_first_token_processor(len(input_ids), first_allowed)])
        with torch.inference_mode():
            out = self.model.generate(
                ids, attention_mask=torch.ones_like(ids), streamer=hf_streamer(stream),
                stopping_criteria=hf_stopping_criteria(stream), **kwargs)
        new = out[0, ids.shape[1]:].tolist()
        reason = stream.stop_reason or _natural_reason(new, eos_ids, settings)
        return GenerationResult(stream.finish(reason), len(stream.ids), reason)

    def unload(self) -> None:
        self.model = None


def _natural_reason(new: list[int], eos_ids: list[int], settings: GenerationSettings) -> str:
    if new and new[-1] in eos_ids:
        return "eos"
    return "max_tokens" if len(new) >= settings.max_new_tokens else "eos"
