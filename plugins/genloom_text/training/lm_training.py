"""Shared training loop for Genloom's bundled language models (text and code).

Used by ``train_fortunes.py`` here and by ``plugins/genloom_code/training/train_stdlib.py``.
A plain helper module for scripts, not part of any plugin package.

What it guarantees: fixed seeds (each step's batch is drawn from a generator seeded with
``(seed, step)``, so a resumed run sees the same batches as an uninterrupted one),
checkpoints (model, optimizer, step, elapsed time, loss log) every ``ckpt_minutes``,
automatic resume, bf16 autocast on CPU, and a final transformers folder (safetensors,
fp16 weights to keep the file small) with ``loss.csv``, ``loss.svg`` and ``MODEL_CARD.md``.
"""

from __future__ import annotations

import csv
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast


@dataclass
class TrainConfig:
    """Everything one training run needs; see the scripts for the values used."""

    out_dir: Path
    ckpt_dir: Path
    threads: int
    steps: int
    batch: int
    seq_len: int
    lr: float
    hidden: int
    layers: int
    heads: int
    ckpt_minutes: float
    bf16: bool
    max_minutes: float
    seed: int
    sample_prompts: list[str]
    card_title: str
    card_data: str
    card_licence: str
    script: str
    aligned: bool = False  # start every training window at a document start
    eval_every: int = 250
    warmup: int = 100
    sample_max_new_tokens: int = 60
    extra_card: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)


def cpu_has_native_bf16() -> bool:
    """True when the CPU has bf16 instructions; without them autocast is ~10x slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def train_byte_bpe(
    texts: list[str], *, vocab_size: int, special_tokens: list[str], out_dir: Path,
    chat_template: str | None, model_max_length: int,
) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer offline; the first special token is EOS/BOS/pad."""
    eos = special_tokens[0]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=special_tokens, min_frequency=2,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token=eos, bos_token=eos, pad_token=eos,
        unk_token=None, model_max_length=model_max_length,
        additional_special_tokens=special_tokens[1:] or None,
    )
    if chat_template:
        fast.chat_template = chat_template
    fast.save_pretrained(out_dir)
    return fast


def encode_stream(
    tokenizer: PreTrainedTokenizerFast, docs: list[str],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Concatenate the documents, each followed by EOS, into one token tensor.

    Returns the tokens and the offset where each document starts.
    """
    ids: list[int] = []
    starts: list[int] = []
    eos = tokenizer.eos_token_id
    batch = 512
    for i in range(0, len(docs), batch):
        for row in tokenizer(docs[i:i + batch], add_special_tokens=False)["input_ids"]:
            starts.append(len(ids))
            ids.extend(row)
            ids.append(eos)
    return torch.tensor(ids, dtype=torch.int32), torch.tensor(starts, dtype=torch.int64)


def _batch(stream: torch.Tensor, n: int, seq_len: int, seed: int,
           doc_starts: torch.Tensor | None = None) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    limit = len(stream) - seq_len - 1
    if doc_starts is None:
        starts = torch.randint(0, limit, (n,), generator=gen)
    else:
        usable = doc_starts[doc_starts < limit]
        starts = usable[torch.randint(0, len(usable), (n,), generator=gen)]
    return torch.stack([stream[s:s + seq_len + 1] for s in starts.tolist()]).long()


def _lr(cfg: TrainConfig, step: int, elapsed: float) -> float:
    """Linear warmup, then cosine decay to 10% over whichever runs out first: the planned
    steps or the time budget (on a shared machine the step rate is not known ahead)."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    by_steps = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    progress = max(by_steps, elapsed / (cfg.max_minutes * 60))
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def _loss(model: LlamaForCausalLM, batch: torch.Tensor, bf16: bool) -> torch.Tensor:
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        logits = model(batch[:, :-1]).logits
    return torch.nn.functional.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))


@torch.no_grad()
def _evaluate(model: LlamaForCausalLM, stream: torch.Tensor, cfg: TrainConfig) -> float:
    model.eval()
    losses = [_loss(model, _batch(stream, cfg.batch, cfg.seq_len, 10_000 + i), cfg.bf16)
              for i in range(4)]
    model.train()
    return float(torch.stack(losses).mean())


def build_model(cfg: TrainConfig, tokenizer: PreTrainedTokenizerFast) -> LlamaForCausalLM:
    """A small Llama: tied embeddings, SwiGLU width ~2.75x, RoPE, context ``seq_len``."""
    torch.manual_seed(cfg.seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=cfg.hidden,
        intermediate_size=int(cfg.hidden * 2.75) // 16 * 16,
        num_hidden_layers=cfg.layers, num_attention_heads=cfg.heads,
        num_key_value_heads=cfg.heads, max_position_embeddings=cfg.seq_len * 2,
        tie_word_embeddings=True, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    return LlamaForCausalLM(config)


def train_language_model(
    cfg: TrainConfig, tokenizer: PreTrainedTokenizerFast, docs: list[str],
) -> None:
    """Train (resuming if a checkpoint exists), then write the model folder and card."""
    torch.set_num_threads(cfg.threads)
    stream, doc_starts = encode_stream(tokenizer, docs)
    split = int(len(stream) * 0.98)
    train_stream, eval_stream = stream[:split], stream[split:]
    train_starts = doc_starts[doc_starts < split] if cfg.aligned else None
    print(f"{len(stream)} tokens ({split} train)", flush=True)
    model = build_model(cfg, tokenizer)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{n_params / 1e6:.2f}M parameters", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.95),
                            weight_decay=0.1)
    ckpt = cfg.ckpt_dir / "checkpoint.pt"
    step, elapsed, history = 0, 0.0, []
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, elapsed, history = state["step"], state["elapsed"], state["history"]
        print(f"resumed at step {step} ({elapsed / 60:.1f} min done)", flush=True)

    def save_checkpoint() -> None:
        tmp = ckpt.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                    "elapsed": elapsed, "history": history}, tmp)
        tmp.replace(ckpt)

    model.train()
    t0, last_ckpt, running = time.time(), time.time(), []
    while step < cfg.steps:
        for group in opt.param_groups:
            group["lr"] = _lr(cfg, step, elapsed)
        loss = _loss(model, _batch(train_stream, cfg.batch, cfg.seq_len,
                                   cfg.seed * 1_000_003 + step, train_starts), cfg.bf16)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        running.append(float(loss.detach()))
        now = time.time()
        elapsed += now - t0
        t0 = now
        if step % 25 == 0 or step == cfg.steps:
            row: dict[str, Any] = {"step": step, "elapsed_s": round(elapsed, 1),
                                   "train_loss": round(sum(running) / len(running), 4),
                                   "eval_loss": ""}
            if step % cfg.eval_every == 0 or step == cfg.steps \
                    or elapsed > cfg.max_minutes * 60:
                row["eval_loss"] = round(_evaluate(model, eval_stream, cfg), 4)
            history.append(row)
            running = []
            print(json.dumps(row), flush=True)
        out_of_time = elapsed > cfg.max_minutes * 60
        if now - last_ckpt > cfg.ckpt_minutes * 60 or step == cfg.steps or out_of_time:
            save_checkpoint()
            last_ckpt = now
        if out_of_time:
            print(f"time budget of {cfg.max_minutes} min spent at step {step}; "
                  "stopping early", flush=True)
            break
    cfg.history = history
    write_model_folder(cfg, model, tokenizer, n_params, tokens_seen=step * cfg.batch
                       * cfg.seq_len, corpus_tokens=len(stream))


def _svg(history: list[dict[str, Any]]) -> str:
    """A dependency-free loss plot (train line, eval dots)."""
    w, h, pad = 640, 320, 40
    steps = [r["step"] for r in history]
    losses = [r["train_loss"] for r in history]
    lo, hi, smax = min(losses), max(losses), max(steps)

    def xy(s: float, v: float) -> str:
        x = pad + (w - 2 * pad) * s / smax
        y = h - pad - (h - 2 * pad) * (v - lo) / max(1e-9, hi - lo)
        return f"{x:.1f},{y:.1f}"

    line = " ".join(xy(s, v) for s, v in zip(steps, losses, strict=True))
    dots = "".join(
        f'<circle cx="{xy(r["step"], r["eval_loss"]).split(",")[0]}" '
        f'cy="{xy(r["step"], r["eval_loss"]).split(",")[1]}" r="3" fill="#d33"/>'
        for r in history if r["eval_loss"] != "" and lo <= r["eval_loss"] <= hi)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}">'
        f'<rect width="{w}" height="{h}" fill="white"/>'
        f'<polyline fill="none" stroke="#36c" stroke-width="1.5" points="{line}"/>{dots}'
        f'<text x="{pad}" y="20" font-size="12">loss (blue: train, red: held-out) '
        f'{hi:.2f} to {lo:.2f} over {smax} steps</text></svg>'
    )


@torch.no_grad()
def _samples(model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast,
             cfg: TrainConfig) -> list[tuple[str, str]]:
    model.eval()
    out = []
    for i, prompt in enumerate(cfg.sample_prompts):
        torch.manual_seed(cfg.seed + i)
        ids = tokenizer(prompt or tokenizer.eos_token, return_tensors="pt",
                        add_special_tokens=False).input_ids
        gen = model.generate(ids, do_sample=True, temperature=0.8, top_p=0.95,
                             max_new_tokens=cfg.sample_max_new_tokens,
                             pad_token_id=tokenizer.pad_token_id)
        out.append((prompt, tokenizer.decode(gen[0, ids.shape[1]:],
                                             skip_special_tokens=False)))
    return out


def write_model_folder(cfg: TrainConfig, model: LlamaForCausalLM,
                       tokenizer: PreTrainedTokenizerFast, n_params: int,
                       tokens_seen: int, corpus_tokens: int) -> None:
    """Save weights (fp16 safetensors), tokenizer, loss log and plot, and the card."""
    out = cfg.out_dir
    out.mkdir(parents=True, exist_ok=True)
    samples = _samples(model, tokenizer, cfg)
    model.to(torch.float16).save_pretrained(out, safe_serialization=True)
    model.to(torch.float32)
    tokenizer.save_pretrained(out)
    with open(out / "loss.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["step", "elapsed_s", "train_loss",
                                                "eval_loss"])
        writer.writeheader()
        writer.writerows(cfg.history)
    (out / "loss.svg").write_text(_svg(cfg.history))
    size_mb = (out / "model.safetensors").stat().st_size / 1e6
    last = cfg.history[-1]
    evals = [r for r in cfg.history if r["eval_loss"] != ""]
    pick = evals[:: max(1, len(evals) // 8)] + ([evals[-1]] if evals else [])
    unique = {r["step"]: r for r in pick}.values()
    table = "\n".join(f"| {r['step']} | {r['elapsed_s'] / 60:.1f} | {r['train_loss']} | "
                      f"{r['eval_loss']} |" for r in unique)
    sample_md = "\n\n".join(
        f"**Prompt** `{p!r}`\n\n```text\n{p}{s}\n```" for p, s in samples)
    c = model.config
    card = f"""# {cfg.card_title}

A small {c.model_type}-style causal language model, trained from scratch by
`{cfg.script}` (in the Genloom repository). Transformers folder format: it loads through
the same code path as any user model folder.

## Size
- {n_params / 1e6:.2f}M parameters: {c.num_hidden_layers} layers, hidden {c.hidden_size},
  {c.num_attention_heads} heads, MLP {c.intermediate_size}, vocabulary {c.vocab_size},
  context {cfg.seq_len} tokens (trained), tied embeddings.
- `model.safetensors`: {size_mb:.1f} MB (weights stored as fp16; Genloom loads them as
  fp32 on CPU).

## Data
{cfg.card_data}

Corpus: {corpus_tokens:,} tokens (98% train, 2% held out).

## Licence
{cfg.card_licence}

## Training
- {last['step']} of {cfg.steps} planned steps x batch {cfg.batch} x {cfg.seq_len} tokens =
  {tokens_seen:,} tokens seen; AdamW (lr {cfg.lr}, cosine to 10%, warmup {cfg.warmup},
  weight decay 0.1; the decay follows the planned steps or the {cfg.max_minutes:.0f}-minute
  time budget, whichever runs out first), bf16 autocast on CPU: {cfg.bf16} (auto: on only where the CPU
  has native bf16; emulated bf16 measured 10x slower than fp32 here), seed {cfg.seed}.
- Training time: {last['elapsed_s'] / 60:.1f} minutes on {cfg.threads} CPU thread(s)
  (nice 19, shared machine).
- Final loss: train {last['train_loss']}, held-out {last['eval_loss']}.
{cfg.extra_card}
## Loss curve
`loss.csv` has every 25th step; `loss.svg` plots it.

| step | minutes | train loss | held-out loss |
|---|---|---|---|
{table}

## Sample outputs
Sampled with temperature 0.8, top-p 0.95, {cfg.sample_max_new_tokens} new tokens.

{sample_md}
"""
    (out / "MODEL_CARD.md").write_text(card)
    print(f"wrote {out} ({size_mb:.1f} MB weights)", flush=True)
