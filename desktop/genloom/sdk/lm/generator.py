"""The language-model generator: load a causal LM once, run prompts, stream, cancel.

Subclasses say how a request becomes a prompt (:meth:`LanguageModelGenerator.prompt`)
and how generated text becomes an :class:`~genloom.sdk.Output` (:meth:`finish`). The
code plugin builds on this class too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from genloom.sdk import InputError, ModelRef, Output, ParameterError, Request, RunState
from genloom.sdk.lm.model_folder import ModelFolder, open_folder
from genloom.sdk.lm.settings import check_context, context_length, settings_from_params


@dataclass(frozen=True)
class Prompt:
    """The text given to the model, its token ids, and facts for the output metadata."""

    text: str
    ids: list[int]
    metadata: dict[str, Any]
    healed: str = ""  # text taken off the prompt's end by token healing
    first_allowed: tuple[int, ...] | None = None  # what the first new token may be


class LanguageModelGenerator:
    """Base class for text and code generators on transformers causal LMs."""

    kind = "text"

    def __init__(self) -> None:
        self.folder: ModelFolder | None = None
        self.model_ref: ModelRef | None = None
        self.tokenizer: Any = None
        self.device = "cpu"
        self.dtype = "float32"
        self.backends: dict[str, Any] = {}

    # -- the generator contract ------------------------------------------------

    def load(self, model: ModelRef | None, device: str, dtype: str) -> None:
        """Check the model folder, load its tokenizer; backends load on first use."""
        if model is None:
            raise InputError("this generator needs a language model; choose a bundled model "
                             "or a transformers model folder")
        from genloom.sdk.lm.loading import load_tokenizer

        self.model_ref, self.device, self.dtype = model, device, dtype
        self.folder = open_folder(model)
        self.tokenizer = load_tokenizer(self.folder)
        self.backend("torch")  # the default backend: do the expensive part now

    def run(self, request: Request, state: RunState) -> list[Output]:
        """Validate, then generate one text per seed of ``request.seeds``, streaming
        each token's text (the specs take one seed per run; see GeneratorSpec.batch_size)."""
        settings = settings_from_params(request.params)
        prompt = self.prompt(request)
        check_context(len(prompt.ids), settings.max_new_tokens, context_length(
            self.folder.config if self.folder else {}))
        backend = self.backend(request.params.get("backend", "torch"))
        state.raise_if_cancelled()
        eos_ids = self._eos_ids()
        pad_id = self.tokenizer.pad_token_id
        if pad_id is None:
            pad_id = eos_ids[0]
        seeds = request.seeds
        total = settings.max_new_tokens * len(seeds)
        outputs: list[Output] = []
        from genloom.sdk.lm.streaming import TokenStream

        for index, seed in enumerate(seeds):
            if state.cancelled:
                break
            offset = index * settings.max_new_tokens

            def report(text: str, tokens: int, offset: int = offset) -> None:
                state.progress(offset + tokens, total, partial_text=text)

            stream = TokenStream(self.tokenizer, settings.stop, report, state,
                                 skip=prompt.healed, stop_at_top_level=self.stops_at_top_level(request))
            started = time.perf_counter()
            result = backend.generate(prompt.ids, settings, seed, stream,
                                      eos_ids, pad_id, first_allowed=prompt.first_allowed)
            seconds = time.perf_counter() - started
            cancelled = result.stop_reason == "cancelled"
            meta = {**prompt.metadata, "seed": seed,
                    "backend": backend.name, "dtype": backend.dtype, "runtime": backend.runtime,
                    "model_architecture": self.folder.architecture if self.folder else "",
                    "prompt_tokens": len(prompt.ids), "generated_tokens": result.tokens,
                    "stop_reason": result.stop_reason,
                    "tokens_per_second": round(result.tokens / seconds, 1) if seconds else 0.0}
            outputs.append(self.finish(request, prompt, result.text, meta, cancelled, state))
            if index + 1 < len(seeds):
                state.progress(offset + settings.max_new_tokens, total,
                               f"{index + 1} of {len(seeds)} done", partial_text="\n\n")
            if cancelled:
                break
        if not outputs:
            state.raise_if_cancelled()
        return outputs

    def unload(self) -> None:
        """Drop the model(s) and free GPU memory."""
        for backend in self.backends.values():
            backend.unload()
        self.backends.clear()
        self.tokenizer = None
        import sys

        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_available():
            torch.cuda.empty_cache()

    # -- for subclasses --------------------------------------------------------

    def prompt(self, request: Request) -> Prompt:
        """Turn the request into the model's prompt."""
        raise NotImplementedError

    def stops_at_top_level(self, request: Request) -> bool:
        """Whether generation ends where code returns to the top level (code completion
        inside a block; default: never)."""
        return False

    def finish(self, request: Request, prompt: Prompt, generated: str,
               metadata: dict[str, Any], partial: bool, state: RunState) -> Output:
        """Turn generated text into the output (default: the generated text alone)."""
        return Output(kind=self.kind, text=generated, metadata=metadata, partial=partial)

    # -- helpers ---------------------------------------------------------------

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        """Token ids of ``text``; an empty prompt becomes the BOS (or EOS) token."""
        ids = self.tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"]
        if not ids:
            start = self.tokenizer.bos_token_id
            if start is None:
                start = self.tokenizer.eos_token_id
            if start is None:
                raise ParameterError("prompt", text, "is empty and the model has no start token",
                                     "write a prompt")
            ids = [start]
        return list(ids)

    def completion_prompt(self, request: Request, metadata: dict[str, Any]) -> Prompt:
        """The prompt for plain continuation, token-healed when the request asks for it."""
        text = request.params["prompt"]
        ids = self.encode(text)
        if not request.params.get("token_healing", False):
            return Prompt(text, ids, {**metadata, "token_healing": ""})
        from genloom.sdk.lm.healing import heal

        healed = heal(self.tokenizer, text, ids)
        return Prompt(text, healed.ids, {**metadata, "token_healing": healed.removed},
                      healed.removed, healed.first_allowed)

    def backend(self, name: str) -> Any:
        """The loaded backend called ``name`` (torch or onnx), loading it on first use."""
        if name not in self.backends:
            assert self.folder is not None, "load() was not called"
            if name == "torch":
                from genloom.sdk.lm.torch_backend import TorchBackend

                self.backends[name] = TorchBackend(self.folder, self.device, self.dtype)
            elif name == "onnx":
                from genloom.sdk.lm.onnx_backend import OnnxBackend

                self.backends[name] = OnnxBackend(self.folder, self.device)
            else:
                raise ParameterError("backend", name, "is not a backend", "use torch or onnx")
        return self.backends[name]

    def _eos_ids(self) -> list[int]:
        ids: list[int] = []
        config_eos = self.folder.config.get("eos_token_id") if self.folder else None
        for value in (self.tokenizer.eos_token_id, config_eos):
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, int) and item not in ids:
                    ids.append(item)
        if not ids:
            raise InputError(f"the model in {self.folder.path if self.folder else '?'} has no "
                             "end-of-sequence token in its tokenizer or config")
        return ids
