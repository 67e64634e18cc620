"""Shared training loop for Genloom's bundled language models (text and code).

Used by ``train_fortunes.py`` (text), ``train_stdlib.py`` and ``train_code_v2.py`` (code) and
``train_folk_abc.py`` (music), each in its plugin's ``training/`` folder.
A plain helper module for scripts, not part of any plugin package.

What it guarantees: fixed seeds (each step's batch is drawn from a generator seeded with
``(seed, step)``, so a resumed run sees the same batches as an uninterrupted one),
checkpoints (model, optimizer, step, elapsed time, loss log, best weights so far) every
``ckpt_minutes``, automatic resume, bf16 autocast (on CUDA always, on CPU where the CPU has
native bf16), and a final transformers folder (safetensors, fp16 weights to keep the file
small) from the step with the lowest held-out loss, with ``loss.csv``, ``loss.svg`` and
``MODEL_CARD.md``.

The corpus is prepared once into ``<ckpt_dir>/corpus.jsonl.xz`` (the documents),
``<ckpt_dir>/tokenizer/`` and ``<ckpt_dir>/meta.json`` (what the card says about the data).
A run that finds them there skips reading the raw data, so the prepared folder can be
carried to another machine (a lent GPU) and trained there with the same script.
"""

from __future__ import annotations

import copy
import csv
import json
import lzma
import math
import os
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
    aligned: float = 0.0  # share of training windows that start at a document start
    device: str = "cpu"
    eval_every: int = 250
    eval_batches: int = 4
    warmup: int = 100
    sample_max_new_tokens: int = 60
    extra_card: str = ""
    hardware: str = ""
    init_from: Path | None = None  # a model folder to continue training (same tokenizer)
    best_step: int = 0
    best_loss: float = math.inf
    history: list[dict[str, Any]] = field(default_factory=list)


def cpu_has_native_bf16() -> bool:
    """True when the CPU has bf16 instructions; without them autocast is ~10x slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def pick_device(name: str) -> str:
    """``auto`` is CUDA when torch sees a GPU, else CPU."""
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def hardware_name(device: str, threads: int) -> str:
    """What the card says the model was trained on."""
    if device == "cuda":
        return f"one {torch.cuda.get_device_name(0)} GPU (torch {torch.__version__})"
    return f"{threads} CPU thread(s) (torch {torch.__version__})"


def save_corpus(ckpt_dir: Path, docs: list[str], meta: dict[str, Any]) -> None:
    """Write the prepared documents and the card's data facts (atomically)."""
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    tmp = ckpt_dir / "corpus.jsonl.xz.tmp"
    with lzma.open(tmp, "wt", encoding="utf-8", preset=6) as fh:
        for doc in docs:
            fh.write(json.dumps(doc) + "\n")
    tmp.replace(ckpt_dir / "corpus.jsonl.xz")
    (ckpt_dir / "meta.json").write_text(json.dumps(meta, indent=1))


def load_corpus(ckpt_dir: Path) -> tuple[list[str], dict[str, Any]] | None:
    """The prepared documents and data facts, or None when not prepared yet."""
    path = ckpt_dir / "corpus.jsonl.xz"
    if not path.exists() or not (ckpt_dir / "meta.json").exists() \
            or not (ckpt_dir / "tokenizer" / "tokenizer.json").exists():
        return None
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        docs = [json.loads(line) for line in fh]
    return docs, json.loads((ckpt_dir / "meta.json").read_text())


def add_common_arguments(parser: Any, presets: dict[str, dict[str, Any]], *, out: Path, ckpt_dir: Path,
                         seed: int, vocab: int | None = None, threads: int | None = None,
                         precision: bool = True) -> None:
    """The options every training script takes: where the model and the checkpoints go,
    ``--prepare-only``, device, threads, checkpoint interval, ``--precision`` (unless
    ``precision`` is False: bf16 on CUDA only), the tokenizer's ``--vocab`` (when the script
    learns one), the preset's flags and the seed. A script adds its own before or after."""
    parser.add_argument("--out", type=Path, default=out)
    parser.add_argument("--ckpt-dir", type=Path, default=ckpt_dir)
    parser.add_argument("--prepare-only", action="store_true",
                        help="write the corpus and tokenizer into --ckpt-dir and stop")
    parser.add_argument("--device", default="auto", help="auto (CUDA if present), cpu, cuda")
    parser.add_argument("--threads", type=int, default=threads or os.cpu_count() or 1)
    if vocab is not None:
        parser.add_argument("--vocab", type=int, default=vocab)
    parser.add_argument("--ckpt-minutes", type=float, default=4.0)
    if precision:
        parser.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto",
                            help="auto: bf16 autocast on CUDA, and on CPUs with native bf16")
    add_preset_arguments(parser, presets)
    parser.add_argument("--seed", type=int, default=seed)


def config_from_args(args: Any, device: str, script: str, **fields: Any) -> TrainConfig:
    """The :class:`TrainConfig` of :func:`add_common_arguments`' options and the preset's
    values; ``fields`` are the script's own (samples, card texts, ``aligned``...), and
    ``script`` is its path in the repository (the card names it with the preset)."""
    precision = getattr(args, "precision", None)
    bf16 = device == "cuda" if precision is None else precision == "bf16" or (
        precision == "auto" and (device == "cuda" or cpu_has_native_bf16()))
    values: dict[str, Any] = dict(
        out_dir=args.out, ckpt_dir=args.ckpt_dir, threads=args.threads, steps=args.steps,
        batch=args.batch, seq_len=args.seq_len, lr=args.lr, hidden=args.hidden,
        layers=args.layers, heads=args.heads, ckpt_minutes=args.ckpt_minutes, bf16=bf16,
        max_minutes=args.max_minutes, seed=args.seed, device=device, eval_every=args.eval_every,
        eval_batches=args.eval_batches, warmup=args.warmup, hardware=hardware_name(device, args.threads),
        script=f"{script} --preset {args.preset}")
    values.update(fields)
    return TrainConfig(**values)


def timed_training(cfg: TrainConfig, tokenizer: PreTrainedTokenizerFast, docs: list[str]) -> None:
    """:func:`train_language_model`, then how long it took."""
    start = time.time()
    train_language_model(cfg, tokenizer, docs)
    print(f"done in {(time.time() - start) / 60:.1f} min", flush=True)


def add_preset_arguments(parser: Any, presets: dict[str, dict[str, Any]]) -> None:
    """``--preset`` and one flag per preset value (default: the preset's)."""
    parser.add_argument("--preset", choices=sorted(presets), default="cpu")
    for name, value in presets["cpu"].items():
        parser.add_argument("--" + name.replace("_", "-"), type=type(value), default=None,
                            help=f"preset cpu: {value}, gpu: {presets['gpu'][name]}")


def parse_with_preset(parser: Any, presets: dict[str, dict[str, Any]]) -> Any:
    """Parse the arguments; a flag left out takes the chosen preset's value."""
    args = parser.parse_args()
    for name, value in presets[args.preset].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def prepared_corpus(ckpt_dir: Path, prepare: Any) -> tuple[list[str], dict[str, Any]]:
    """The corpus prepared in ``ckpt_dir`` earlier, or ``prepare()`` run and saved now."""
    prepared = load_corpus(ckpt_dir)
    if prepared is not None:
        print(f"read the prepared corpus from {ckpt_dir} ({len(prepared[0])} documents)",
              flush=True)
        return prepared
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    docs, meta = prepare()
    save_corpus(ckpt_dir, docs, meta)
    print(f"prepared corpus in {ckpt_dir}", flush=True)
    return docs, meta


def load_tokenizer(ckpt_dir: Path) -> PreTrainedTokenizerFast:
    return PreTrainedTokenizerFast.from_pretrained(ckpt_dir / "tokenizer")


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
           doc_starts: torch.Tensor | None = None, aligned: float = 0.0) -> torch.Tensor:
    """``n`` windows of ``seq_len + 1`` tokens; a share ``aligned`` of them start at a
    document start (the rest anywhere). Drawn on the CPU from a seeded generator, so the
    batches are the same on any device; gathered where ``stream`` lives."""
    gen = torch.Generator().manual_seed(seed)
    limit = len(stream) - seq_len - 1
    starts = torch.randint(0, limit, (n,), generator=gen)
    if doc_starts is not None and aligned > 0:
        usable = doc_starts[doc_starts < limit]
        picks = usable[torch.randint(0, len(usable), (n,), generator=gen)]
        use = torch.rand(n, generator=gen) < aligned
        starts = torch.where(use, picks, starts)
    index = starts[:, None] + torch.arange(seq_len + 1)[None, :]
    return stream[index.to(stream.device)].long()


def _lr(cfg: TrainConfig, step: int, elapsed: float) -> float:
    """Linear warmup, then cosine decay to 10% over whichever runs out first: the planned
    steps or the time budget (on a shared machine the step rate is not known ahead)."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    by_steps = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    progress = max(by_steps, elapsed / (cfg.max_minutes * 60))
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def _loss(model: LlamaForCausalLM, batch: torch.Tensor, bf16: bool) -> torch.Tensor:
    with torch.autocast(batch.device.type, dtype=torch.bfloat16, enabled=bf16):
        logits = model(batch[:, :-1]).logits
    return torch.nn.functional.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))


@torch.no_grad()
def _evaluate(model: LlamaForCausalLM, stream: torch.Tensor, cfg: TrainConfig) -> float:
    model.eval()
    losses = [_loss(model, _batch(stream, cfg.batch, cfg.seq_len, 10_000 + i), cfg.bf16)
              for i in range(cfg.eval_batches)]
    model.train()
    return float(torch.stack(losses).mean())


def build_model(cfg: TrainConfig, tokenizer: PreTrainedTokenizerFast) -> LlamaForCausalLM:
    """A small Llama: tied embeddings, SwiGLU width ~2.75x, RoPE, context ``seq_len``;
    or, with ``cfg.init_from``, that folder's model in fp32 (a warm start)."""
    torch.manual_seed(cfg.seed)
    if cfg.init_from is not None:
        return LlamaForCausalLM.from_pretrained(cfg.init_from, dtype=torch.float32)
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
    device = torch.device(cfg.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    stream, doc_starts = encode_stream(tokenizer, docs)
    split = int(len(stream) * 0.98)
    train_stream, eval_stream = stream[:split].to(device), stream[split:].to(device)
    train_starts = doc_starts[doc_starts < split] if cfg.aligned else None
    print(f"{len(stream)} tokens ({split} train) on {device}", flush=True)
    model = build_model(cfg, tokenizer).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{n_params / 1e6:.2f}M parameters", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.95),
                            weight_decay=0.1, fused=device.type == "cuda")
    ckpt = cfg.ckpt_dir / "checkpoint.pt"
    step, elapsed, history = 0, 0.0, []
    best: dict[str, Any] = {"loss": math.inf, "step": 0, "state": None}
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False, map_location=device)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, elapsed, history = state["step"], state["elapsed"], state["history"]
        best = state.get("best", best)
        print(f"resumed at step {step} ({elapsed / 60:.1f} min done)", flush=True)

    def save_checkpoint() -> None:
        tmp = ckpt.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                    "elapsed": elapsed, "history": history, "best": best}, tmp)
        tmp.replace(ckpt)

    model.train()
    t0, last_ckpt, running = time.time(), time.time(), []
    while step < cfg.steps:
        for group in opt.param_groups:
            group["lr"] = _lr(cfg, step, elapsed)
        loss = _loss(model, _batch(train_stream, cfg.batch, cfg.seq_len,
                                   cfg.seed * 1_000_003 + step, train_starts, cfg.aligned),
                     cfg.bf16)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        running.append(loss.detach())
        if step % 25 == 0 or step == cfg.steps:
            train_loss = round(float(torch.stack(running).mean()), 4)  # waits for the device
            now = time.time()
            elapsed, t0 = elapsed + now - t0, now
            row: dict[str, Any] = {"step": step, "elapsed_s": round(elapsed, 1),
                                   "train_loss": train_loss, "eval_loss": ""}
            if step % cfg.eval_every == 0 or step == cfg.steps \
                    or elapsed > cfg.max_minutes * 60:
                row["eval_loss"] = round(_evaluate(model, eval_stream, cfg), 4)
                if row["eval_loss"] < best["loss"]:
                    best = {"loss": row["eval_loss"], "step": step,
                            "state": copy.deepcopy(model.state_dict())}
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
    if best["state"] is not None:
        model.load_state_dict(best["state"])
        print(f"keeping the weights of step {best['step']} (held-out loss "
              f"{best['loss']})", flush=True)
    cfg.best_step, cfg.best_loss = best["step"], best["loss"]
    model.to("cpu")
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
    origin = (f"continued from `{cfg.init_from.name}`" if cfg.init_from is not None
              else "trained from scratch")
    card = f"""# {cfg.card_title}

A small {c.model_type}-style causal language model, {origin} by
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
  {tokens_seen:,} tokens seen ({tokens_seen / max(1, corpus_tokens):.1f} passes over the
  corpus); AdamW (lr {cfg.lr}, cosine to 10%, warmup {cfg.warmup}, weight decay 0.1; the
  decay follows the planned steps or the {cfg.max_minutes:g}-minute time budget, whichever
  runs out first), bf16 autocast: {cfg.bf16} (always on CUDA; on CPU only where the CPU has
  native bf16: emulated bf16 measured 10x slower than fp32 on our build machine), seed
  {cfg.seed}; {cfg.aligned:.0%} of the training windows start at a document start.
- Hardware: {cfg.hardware or cfg.device}. Training time: {last['elapsed_s'] / 60:.1f} minutes.
- Weights kept: step {cfg.best_step}, the lowest held-out loss ({cfg.best_loss}); the last
  step's losses: train {last['train_loss']}, held-out {last['eval_loss']}.
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
