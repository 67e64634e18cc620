"""Export a transformers causal-LM folder to ONNX with a key/value cache.

Writes ``<folder>/onnx/model.onnx`` with the input/output names Hugging Face Optimum
uses for decoder models, so Genloom's ONNX Runtime loop reads either:

- inputs: ``input_ids`` [batch, seq], ``attention_mask`` [batch, past+seq],
  ``position_ids`` [batch, seq], ``past_key_values.{i}.key`` / ``.value``
  [batch, kv_heads, past, head_dim] for each layer (past may be 0);
- outputs: ``logits`` [batch, seq, vocab], ``present.{i}.key`` / ``.value``.

Then checks that ONNX Runtime and torch agree on the logits of a prompt and of a
cached next step. Used for both bundled models::

    python tools/lm_training/export_onnx.py plugins/genloom_text/models/fortune-llama
    python tools/lm_training/export_onnx.py plugins/genloom_code/models/stdlib-llama

Needs the ``onnx`` and ``onnxscript`` packages (torch's exporter uses them).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402
from transformers import AutoModelForCausalLM, DynamicCache  # noqa: E402


class CachedDecoder(torch.nn.Module):
    """The model with its cache as flat tensors in and out (what ONNX can carry)."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model
        self.layers = model.config.num_hidden_layers

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                position_ids: torch.Tensor, *past: torch.Tensor) -> tuple[torch.Tensor, ...]:
        cache = DynamicCache(config=self.model.config)
        for i in range(self.layers):
            cache.update(past[2 * i], past[2 * i + 1], i)
        out = self.model(input_ids=input_ids, attention_mask=attention_mask,
                         position_ids=position_ids, past_key_values=cache, use_cache=True)
        present = out.past_key_values
        flat: list[torch.Tensor] = []
        for i in range(self.layers):
            layer = present.layers[i]
            flat += [layer.keys, layer.values]
        return (out.logits, *flat)


def _cache_shape(config: object, past: int) -> tuple[int, int, int, int]:
    heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    return (1, heads, past, head_dim)


def export(folder: Path, opset: int = 18, out: Path | None = None) -> Path:
    """Export ``folder``'s model in fp32 to ``out`` (default ``folder/onnx/model.onnx``) and verify it.

    The model card note is written only for an export into the folder itself (a bundled
    model's): a user's model folder may be another tool's, and is not written to.
    """
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32,
                                                 local_files_only=True, use_safetensors=True)
    model.eval()
    wrapper = CachedDecoder(model)
    layers, past_len, seq = wrapper.layers, 3, 2
    past = [torch.randn(_cache_shape(model.config, past_len)) for _ in range(2 * layers)]
    ids = torch.randint(0, model.config.vocab_size, (1, seq))
    mask = torch.ones(1, past_len + seq, dtype=torch.long)
    pos = torch.arange(past_len, past_len + seq).unsqueeze(0)
    past_names = [f"past_key_values.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]
    present_names = [f"present.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]
    batch, s, total, p = (torch.export.Dim("batch", max=64), torch.export.Dim("seq", max=4096),
                          torch.export.Dim("total", max=8192), torch.export.Dim("past", max=4096))
    dynamic = {"input_ids": {0: batch, 1: s}, "attention_mask": {0: batch, 1: total},
               "position_ids": {0: batch, 1: s},
               "past": [{0: batch, 2: p} for _ in past_names]}
    in_folder = out is None
    out = out or folder / "onnx" / "model.onnx"
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        wrapper, (ids, mask, pos, *past), str(out), dynamo=True, opset_version=opset,
        input_names=["input_ids", "attention_mask", "position_ids", *past_names],
        output_names=["logits", *present_names], dynamic_shapes=(
            dynamic["input_ids"], dynamic["attention_mask"], dynamic["position_ids"],
            tuple(dynamic["past"])), external_data=False, optimize=True,
    )
    saved = json.loads((folder / "config.json").read_text())
    fp16 = (saved.get("dtype") or saved.get("torch_dtype")) == "float16"
    if fp16:
        store_weights_as_fp16(out)  # lossless: the safetensors weights are fp16 already
    errors = verify(model, out)
    if in_folder:
        note_in_card(folder, out, errors, fp16)
    return out


def note_in_card(folder: Path, onnx_path: Path, errors: tuple[float, float],
                 fp16: bool) -> None:
    """Add (or replace) an "ONNX export" section in the folder's MODEL_CARD.md, if any."""
    card = folder / "MODEL_CARD.md"
    if not card.is_file():
        return
    text = card.read_text().split("\n## ONNX export\n")[0].rstrip("\n")
    rel = onnx_path.relative_to(folder).as_posix()
    storage = ("weights stored as fp16 and cast to\nfp32 inside the graph" if fp16
               else "fp32 weights")
    section = f"""

## ONNX export
`{rel}` ({onnx_path.stat().st_size / 1e6:.1f} MB, opset 18, {storage}) was written by `tools/lm_training/export_onnx.py`: inputs
`input_ids`, `attention_mask`, `position_ids`, `past_key_values.N.key/value`; outputs
`logits`, `present.N.key/value` (a key/value cache, Optimum's names). Checked against torch
when exported: max |logit difference| {errors[0]:.1e} on a prompt, {errors[1]:.1e} on a cached
step. Genloom's ONNX Runtime loop (`backend=onnx`) gives the same greedy tokens as torch.
"""
    card.write_text(text + section)


def store_weights_as_fp16(path: Path) -> None:
    """Halve the file: keep large fp32 weights as fp16 plus a Cast back to fp32.

    The bundled safetensors weights are fp16 already, so this loses nothing; ONNX
    Runtime folds the casts when it opens the session, so it computes in fp32.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    casts = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or np.prod(init.dims) < 1024:
            continue
        array = numpy_helper.to_array(init).astype(np.float16)
        name = init.name
        init.CopyFrom(numpy_helper.from_array(array, name + "_fp16"))
        casts.append(helper.make_node("Cast", [name + "_fp16"], [name], to=TensorProto.FLOAT,
                                      name=name + "_cast"))
    for node in reversed(casts):
        graph.node.insert(0, node)
    onnx.save(model, str(path))


def verify(model: torch.nn.Module, path: Path) -> tuple[float, float]:
    """ONNX Runtime's logits match torch's for a prompt (empty cache) and a cached step."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    layers = model.config.num_hidden_layers
    ids = torch.randint(0, model.config.vocab_size, (1, 7))
    empty = np.zeros(_cache_shape(model.config, 0), dtype=np.float32)
    feed = {"input_ids": ids.numpy(), "attention_mask": np.ones((1, 7), dtype=np.int64),
            "position_ids": np.arange(7)[None]}
    feed.update({f"past_key_values.{i}.{k}": empty for i in range(layers) for k in ("key", "value")})
    outs = session.run(None, feed)
    with torch.no_grad():
        ref = model(ids).logits.numpy()
    err_prompt = float(np.abs(outs[0] - ref).max())
    nxt = np.array([[int(ref[0, -1].argmax())]])
    feed2 = {"input_ids": nxt, "attention_mask": np.ones((1, 8), dtype=np.int64),
             "position_ids": np.array([[7]])}
    feed2.update({f"past_key_values.{i}.{k}": outs[1 + 2 * i + (k == "value")]
                  for i in range(layers) for k in ("key", "value")})
    step = session.run(["logits"], feed2)[0]
    with torch.no_grad():
        ref2 = model(torch.cat([ids, torch.from_numpy(nxt)], 1)).logits[:, -1:].numpy()
    err_step = float(np.abs(step - ref2).max())
    print(f"{path}: max |logit diff| prompt {err_prompt:.2e}, cached step {err_step:.2e}, "
          f"{path.stat().st_size / 1e6:.1f} MB")
    if max(err_prompt, err_step) > 1e-3:
        raise SystemExit("ONNX export does not match torch")
    return err_prompt, err_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--opset", type=int, default=18)
    parser.add_argument("--out", type=Path, default=None,
                        help="the .onnx file to write (one folder only); default FOLDER/onnx/model.onnx")
    args = parser.parse_args()
    if args.out is not None and len(args.folders) != 1:
        parser.error("--out takes one model folder")
    torch.manual_seed(0)
    for folder in args.folders:
        export(folder, args.opset, args.out)


if __name__ == "__main__":
    main()
