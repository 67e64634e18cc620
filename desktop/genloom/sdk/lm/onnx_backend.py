"""Generation with ONNX Runtime: a decoding loop over an export with a key/value cache.

The model is ``<folder>/onnx/model.onnx`` with Optimum-style names (``input_ids``,
``attention_mask``, ``position_ids``, ``past_key_values.{i}.key/value`` in;
``logits``, ``present.{i}.key/value`` out), as ``training/export_onnx.py`` writes it.
Sampling is done here in numpy (repetition penalty, temperature, top-k, top-p, in
transformers' order), seeded from the request; greedy decoding gives the same tokens
as the torch backend. Tokens stream into the same :class:`TokenStream`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genloom.sdk import ParameterError, onnx_session
from genloom.sdk.lm.model_folder import ModelFolder
from genloom.sdk.lm.settings import GenerationSettings
from genloom.sdk.lm.streaming import TokenStream
from genloom.sdk.lm.torch_backend import GenerationResult
from genloom.sdk.placement import onnx_fallback, runtime_record

_DTYPES = {"tensor(float)": "float32", "tensor(float16)": "float16"}


class OnnxBackend:
    """An ONNX Runtime session on the best provider for the device."""

    name = "onnx"

    def __init__(self, folder: ModelFolder, device: str) -> None:
        path = folder.onnx_path
        if not path.is_file():
            # The export goes to Genloom's own data, never into the model's folder: that may be
            # another tool's (a Hugging Face cache snapshot), which Genloom does not write into.
            out = folder.onnx_places[-1] if folder.derived_dir else Path("<a folder of yours>/model.onnx")
            raise ParameterError(
                "backend", "onnx",
                f"needs an ONNX export of the model, and {' or '.join(map(str, folder.onnx_places))} does not exist",
                f"use backend=torch, or export the model with "
                f"`python tools/lm_training/export_onnx.py {folder.path} --out {out}` "
                f"(from a Genloom source checkout)")
        self.session, self.providers = onnx_session(path, device)
        import onnxruntime as ort

        self.device = device
        # onnx_session logged a fallback to the CPU; the runtime record puts it in the recipe.
        self.fallback = onnx_fallback(device, self.providers, ort.get_available_providers())
        inputs = {i.name: i for i in self.session.get_inputs()}
        self.input_names = set(inputs)
        self.past_names = sorted((n for n in inputs if n.startswith("past_key_values.")),
                                 key=_layer_order)
        if "input_ids" not in inputs or not self.past_names:
            raise ParameterError("backend", "onnx",
                                 f"{path} is not a decoder export with a key/value cache "
                                 "(inputs input_ids and past_key_values.N.key/value)",
                                 "re-export it with export_onnx.py, or use backend=torch")
        first = inputs[self.past_names[0]]
        self.cache_dtype = _DTYPES.get(first.type, "float32")
        self.cache_heads, self.head_dim = first.shape[1], first.shape[3]
        if not isinstance(self.cache_heads, int) or not isinstance(self.head_dim, int):
            config = folder.config
            heads = config.get("num_attention_heads") or config.get("n_head") or 1
            self.cache_heads = config.get("num_key_value_heads") or heads
            hidden = int(config.get("hidden_size") or config.get("n_embd") or 0)
            self.head_dim = config.get("head_dim") or hidden // heads
            if not self.head_dim:
                raise ParameterError("backend", "onnx",
                                     f"{path} has no fixed cache shape and {folder.path / 'config.json'} "
                                     "names no head_dim, hidden_size or n_embd to derive it from",
                                     "re-export it with export_onnx.py, or use backend=torch")
        self.present_names = [n.replace("past_key_values.", "present.") for n in self.past_names]

    @property
    def dtype(self) -> str:
        return self.cache_dtype

    @property
    def runtime(self) -> dict[str, Any]:
        """What runs: the device the providers give, the cache dtype, the providers and any fallback."""
        return runtime_record("cpu" if self.fallback or self.providers[:1] == ["CPUExecutionProvider"]
                              else self.device, self.dtype, providers=self.providers, fallback=self.fallback)

    def generate(self, input_ids: list[int], settings: GenerationSettings, seed: int,
                 stream: TokenStream, eos_ids: list[int], pad_id: int,
                 first_allowed: tuple[int, ...] | None = None) -> GenerationResult:
        import numpy as np

        rng = np.random.default_rng(seed)
        history = list(input_ids)
        past = {n: np.zeros((1, self.cache_heads, 0, self.head_dim), dtype=self.cache_dtype)
                for n in self.past_names}
        new_ids = np.array([input_ids], dtype=np.int64)
        position = 0
        reason = ""
        for _ in range(settings.max_new_tokens):
            if stream.should_stop:
                break
            length = new_ids.shape[1]
            feed: dict[str, Any] = {"input_ids": new_ids, **past}
            if "attention_mask" in self.input_names:
                feed["attention_mask"] = np.ones((1, position + length), dtype=np.int64)
            if "position_ids" in self.input_names:
                feed["position_ids"] = np.arange(position, position + length,
                                                 dtype=np.int64)[None]
            outputs = self.session.run(["logits", *self.present_names], feed)
            logits = outputs[0][0, -1].astype(np.float64)
            past = dict(zip(self.past_names, outputs[1:], strict=True))
            position += length
            seen = np.asarray(history, dtype=np.int64)
            if first_allowed is not None and len(history) == len(input_ids):
                from genloom.sdk.lm.healing import mask_first_token

                logits = mask_first_token(logits, first_allowed)
            token = pick_token(logits, seen, settings, rng)
            history.append(token)
            stop = stream.push(token)
            if token in eos_ids:
                reason = "eos"
                break
            if stop:
                break
            new_ids = np.array([[token]], dtype=np.int64)
        reason = stream.stop_reason or reason or "max_tokens"
        return GenerationResult(stream.finish(reason), len(stream.ids), reason)

    def unload(self) -> None:
        self.session = None


def pick_token(logits: Any, seen: Any, settings: GenerationSettings, rng: Any) -> int:
    """The next token: greedy at temperature 0, else sampled with transformers' processors."""
    import numpy as np

    banned = repeated_ngram_ends(seen, settings.no_repeat_ngram_size)
    if banned:
        logits[banned] = -np.inf
    if settings.repetition_penalty != 1.0 and len(seen):
        ids = np.unique(seen)
        values = logits[ids]
        logits[ids] = np.where(values < 0, values * settings.repetition_penalty,
                               values / settings.repetition_penalty)
    if settings.greedy:
        return int(np.argmax(logits))
    logits = logits / settings.temperature
    if 0 < settings.top_k < len(logits):
        kth = np.partition(logits, -settings.top_k)[-settings.top_k]
        logits = np.where(logits < kth, -np.inf, logits)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    if settings.top_p < 1.0:
        order = np.argsort(probs)  # ascending, as transformers' TopPLogitsWarper
        cumulative = np.cumsum(probs[order])
        drop = order[cumulative <= 1 - settings.top_p]
        drop = drop[:-1] if len(drop) == len(probs) else drop  # keep at least one
        probs[drop] = 0.0
        probs /= probs.sum()
    return int(rng.choice(len(probs), p=probs))


def repeated_ngram_ends(seen: Any, size: int) -> list[int]:
    """The tokens that would repeat a ``size``-token run already in ``seen`` (as
    transformers' ``no_repeat_ngram_size``: the last ``size - 1`` tokens are looked up)."""
    if size <= 0 or len(seen) < size:
        return []
    tokens = [int(t) for t in seen]
    tail = tuple(tokens[len(tokens) - size + 1:])
    return sorted({tokens[i + size - 1] for i in range(len(tokens) - size + 1)
                   if tuple(tokens[i:i + size - 1]) == tail})


def _layer_order(name: str) -> tuple[int, int]:
    _, layer, kind = name.split(".")
    return int(layer), 0 if kind == "key" else 1
