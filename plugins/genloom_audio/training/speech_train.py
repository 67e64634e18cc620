"""Train the bundled voice ``espeak-vocos-en`` and export it as a Piper voice.

Stages (each resumable; run them in order, or ``all``)::

    python -m genloom_audio.training.speech_train corpus   # eSpeak NG renders the sentences
    python -m genloom_audio.training.speech_train acoustic # phonemes -> mel (+ durations)
    python -m genloom_audio.training.speech_train vocoder  # mel -> waveform (GAN)
    python -m genloom_audio.training.speech_train export   # Piper .onnx + .onnx.json
    python -m genloom_audio.training.speech_train evaluate # held-out MCD, samples, card data

The acoustic and vocoder stages are independent (the vocoder trains on eSpeak's
own mels), so they may run at the same time in two processes. Everything runs on
one CPU thread with fixed seeds; checkpoints land in ``--work`` every few hundred
steps and a stage started again resumes from its last checkpoint. Loss curves are
written as CSV beside the checkpoints and copied next to the model.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from genloom_audio import speech_espeak
from genloom_audio.training import speech_corpus as corpus_text
from genloom_audio.training.speech_model import (
    HOP,
    SAMPLE_RATE,
    Acoustic,
    Discriminator,
    LogMel,
    PiperVoice,
    Vocoder,
    monotonic_alignment,
    path_from_durations,
    stft_loss,
)

SEED = 1234
N_SENTENCES = 1640
N_HELDOUT = 40
VOICE_NAME = "espeak-vocos-en"
MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / VOICE_NAME
# Piper's fixed symbols first (pad, begin, end, word gap, punctuation); IPA follows.
FIXED_SYMBOLS = ["_", "^", "$", " ", "!", "'", "(", ")", ",", "-", ".", ":", ";", "?"]


def _seed(offset: int) -> None:
    random.seed(SEED + offset)
    np.random.seed(SEED + offset)
    torch.manual_seed(SEED + offset)


def phoneme_ids(phonemes: str, id_map: dict[str, list[int]]) -> list[int]:
    """Piper's id sequence: ``^ _ p1 _ p2 _ ... pn _ $`` (unknown symbols dropped)."""
    ids = [*id_map["^"], *id_map["_"]]
    for symbol in phonemes:
        if symbol in id_map:
            ids += [*id_map[symbol], *id_map["_"]]
    return [*ids, *id_map["$"]]


# -- corpus -------------------------------------------------------------------------------

def stage_corpus(work: Path) -> None:
    texts = corpus_text.sentences(N_SENTENCES, SEED)
    mel = LogMel()
    records: list[dict[str, Any]] = []
    symbols: set[str] = set()
    for index, text in enumerate(texts):
        speaker = index % len(corpus_text.SPEAKERS)
        audio = speech_espeak.synthesize(text, corpus_text.SPEAKERS[speaker])
        sentences = speech_espeak.phonemize(text, corpus_text.PHONEMIZER_VOICE)
        phonemes = " ".join(s.phonemes for s in sentences)
        symbols.update(phonemes)
        with torch.no_grad():
            log_mel = mel(torch.from_numpy(audio)[None])[0]
        records.append({
            "text": text, "speaker": speaker, "phonemes": phonemes,
            "audio": (np.clip(audio, -1, 1) * 32767).astype(np.int16),
            "mel": log_mel.half(), "heldout": index >= N_SENTENCES - N_HELDOUT,
        })
    ordered = FIXED_SYMBOLS + sorted(symbols - set(FIXED_SYMBOLS))
    id_map = {symbol: [i] for i, symbol in enumerate(ordered)}
    for record in records:
        record["ids"] = torch.tensor(phoneme_ids(record["phonemes"], id_map))
    train_mels = torch.cat([r["mel"].float() for r in records if not r["heldout"]], dim=1)
    stats = {"mean": train_mels.mean(dim=1), "std": train_mels.std(dim=1)}
    seconds = sum(len(r["audio"]) for r in records) / SAMPLE_RATE
    torch.save({"records": records, "id_map": id_map, "stats": stats}, work / "corpus.pt")
    print(f"corpus: {len(records)} sentences, {seconds / 60:.1f} min of audio, "
          f"{len(id_map)} symbols")


def _load_corpus(work: Path) -> dict[str, Any]:
    return torch.load(work / "corpus.pt", weights_only=False)


# -- checkpoints and logs -------------------------------------------------------------------

def _resume(path: Path, modules: dict[str, Any]) -> int:
    if not path.exists():
        return 0
    state = torch.load(path, weights_only=False)
    for name, module in modules.items():
        module.load_state_dict(state[name])
    random.setstate(state["py_rng"])
    np.random.set_state(state["np_rng"])
    torch.set_rng_state(state["torch_rng"])
    print(f"resumed {path.name} at step {state['step']}")
    return int(state["step"])


def _checkpoint(path: Path, modules: dict[str, Any], step: int) -> None:
    state = {name: module.state_dict() for name, module in modules.items()}
    state.update(step=step, py_rng=random.getstate(), np_rng=np.random.get_state(),
                 torch_rng=torch.get_rng_state())
    partial = path.with_suffix(".tmp")
    torch.save(state, partial)
    partial.replace(path)


def _log(path: Path, row: dict[str, float]) -> None:
    new = not path.exists()
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)


# -- acoustic model -------------------------------------------------------------------------

def _batches(records: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    ordered = sorted(records, key=lambda r: r["mel"].shape[1])
    batches = [ordered[i:i + size] for i in range(0, len(ordered), size)]
    random.shuffle(batches)
    return batches


def acoustic_step(model: Acoustic, batch: list[dict[str, Any]],
                  stats: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Losses for one batch; durations come from monotonic alignment search."""
    n_text = max(len(r["ids"]) for r in batch)
    n_mel = max(r["mel"].shape[1] for r in batch)
    ids = torch.zeros(len(batch), n_text, dtype=torch.long)
    mel = torch.zeros(len(batch), n_mel, stats["mean"].numel())
    text_mask = torch.zeros(len(batch), n_text, 1)
    frame_mask = torch.zeros(len(batch), n_mel, 1)
    for b, record in enumerate(batch):
        t, m = len(record["ids"]), record["mel"].shape[1]
        ids[b, :t] = record["ids"]
        mel[b, :m] = ((record["mel"].float().T - stats["mean"]) / stats["std"])
        text_mask[b, :t] = 1
        frame_mask[b, :m] = 1
    sid = torch.tensor([r["speaker"] for r in batch])
    hidden, mu = model.encode(ids, text_mask, sid)
    with torch.no_grad():
        log_p = -0.5 * torch.cdist(mu, mel) ** 2
    durations = torch.zeros(len(batch), n_text, dtype=torch.long)
    for b, record in enumerate(batch):
        t, m = len(record["ids"]), record["mel"].shape[1]
        durations[b, :t] = torch.from_numpy(monotonic_alignment(log_p[b, :t, :m].numpy()))
    path = path_from_durations(durations, n_mel)
    frames = path.transpose(1, 2) @ hidden
    mu_frames = path.transpose(1, 2) @ mu
    predicted = model.decode(frames, mu_frames, frame_mask, sid)
    n_values = frame_mask.sum() * mel.shape[2]
    mel_loss = (torch.abs(predicted - mel) * frame_mask).sum() / n_values
    prior_loss = (((mu_frames - mel) ** 2) * frame_mask).sum() / n_values
    log_w = model.log_durations(hidden.detach(), text_mask)
    target = torch.log(durations.float().clamp(min=1)) * text_mask[..., 0]
    duration_loss = ((log_w - target) ** 2).sum() / text_mask.sum()
    return {"mel": mel_loss, "prior": prior_loss, "duration": duration_loss}


def stage_acoustic(work: Path, steps: int) -> None:
    _seed(1)
    data = _load_corpus(work)
    train = [r for r in data["records"] if not r["heldout"]]
    model = Acoustic(len(data["id_map"]), len(corpus_text.SPEAKERS))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98))
    ckpt = work / "acoustic.ckpt"
    step = _resume(ckpt, {"model": model, "optimizer": optimizer})
    started = time.time()
    model.train()
    while step < steps:
        for batch in _batches(train, 16):
            if step >= steps:
                break
            lr = 1e-3 * min(1.0, (step + 1) / 200) * (0.5 + 0.5 * np.cos(np.pi * step / steps))
            for group in optimizer.param_groups:
                group["lr"] = lr
            losses = acoustic_step(model, batch, data["stats"])
            total = losses["mel"] + 0.5 * losses["prior"] + losses["duration"]
            optimizer.zero_grad()
            total.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            step += 1
            if step % 20 == 0:
                row = {"step": step, "seconds": round(time.time() - started, 1),
                       **{k: round(float(v), 4) for k, v in losses.items()}}
                _log(work / "loss_acoustic.csv", row)
                print("acoustic", row, flush=True)
            if step % 200 == 0 or step == steps:
                _checkpoint(ckpt, {"model": model, "optimizer": optimizer}, step)


# -- vocoder --------------------------------------------------------------------------------

def _segments(records: list[dict[str, Any]], count: int, frames: int
              ) -> tuple[torch.Tensor, torch.Tensor]:
    mels, audios = [], []
    for _ in range(count):
        record = records[random.randrange(len(records))]
        n = record["mel"].shape[1]
        start = random.randrange(max(1, n - frames))
        mel = record["mel"].float()[:, start:start + frames]
        # The inverse STFT of T centred frames spans (T - 1) hops.
        audio = torch.from_numpy(record["audio"][start * HOP:(start + frames - 1) * HOP]
                                 .astype(np.float32) / 32767)
        mel = F.pad(mel, (0, frames - mel.shape[1]), value=float(np.log(1e-5)))
        audio = F.pad(audio, (0, (frames - 1) * HOP - audio.shape[0]))
        mels.append(mel)
        audios.append(audio)
    return torch.stack(mels), torch.stack(audios)


def stage_vocoder(work: Path, steps: int, gan_from: int) -> None:
    _seed(2)
    data = _load_corpus(work)
    train = [r for r in data["records"] if not r["heldout"]]
    generator, discriminator = Vocoder(), Discriminator()
    opt_g = torch.optim.AdamW(generator.parameters(), lr=5e-4, betas=(0.8, 0.99))
    opt_d = torch.optim.AdamW(discriminator.parameters(), lr=2e-4, betas=(0.8, 0.99))
    modules = {"generator": generator, "discriminator": discriminator,
               "opt_g": opt_g, "opt_d": opt_d}
    ckpt = work / "vocoder.ckpt"
    step = _resume(ckpt, modules)
    mel_fn = LogMel()
    started = time.time()
    while step < steps:
        mel, audio = _segments(train, 8, 32)
        fake = generator(mel)
        row: dict[str, float] = {}
        gan = step >= gan_from
        if gan:
            real_out = discriminator(audio)
            fake_out = discriminator(fake.detach())
            loss_d = sum(torch.mean((1 - r) ** 2) + torch.mean(f ** 2)
                         for (r, _), (f, _) in zip(real_out, fake_out, strict=True))
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            row["disc"] = float(loss_d)
        mel_loss = F.l1_loss(mel_fn(fake), mel)
        spec_loss = stft_loss(fake, audio)
        loss_g = 45 * mel_loss + 2 * spec_loss
        if gan:
            real_out = discriminator(audio)
            fake_out = discriminator(fake)
            adv = sum(torch.mean((1 - f) ** 2) for f, _ in fake_out)
            fm = sum(F.l1_loss(ff, rf.detach())
                     for (_, rfs), (_, ffs) in zip(real_out, fake_out, strict=True)
                     for rf, ff in zip(rfs, ffs, strict=True))
            loss_g = loss_g + adv + 2 * fm
            row["adv"] = float(adv)
        opt_g.zero_grad()
        loss_g.backward()
        torch.nn.utils.clip_grad_norm_(generator.parameters(), 10.0)
        opt_g.step()
        step += 1
        if step % 20 == 0:
            full = {"step": step, "seconds": round(time.time() - started, 1),
                    "mel": round(float(mel_loss), 4), "stft": round(float(spec_loss), 4),
                    "disc": round(row.get("disc", 0.0), 4),
                    "adv": round(row.get("adv", 0.0), 4)}
            _log(work / "loss_vocoder.csv", full)
            print("vocoder", full, flush=True)
        if step % 200 == 0 or step == steps:
            _checkpoint(ckpt, modules, step)
        if step == gan_from:  # kept to compare the GAN phase against
            _checkpoint(work / "vocoder_pre_gan.ckpt", modules, step)


# -- export ---------------------------------------------------------------------------------

def build_voice(work: Path) -> tuple[PiperVoice, dict[str, Any]]:
    data = _load_corpus(work)
    acoustic = Acoustic(len(data["id_map"]), len(corpus_text.SPEAKERS))
    acoustic.load_state_dict(torch.load(work / "acoustic.ckpt", weights_only=False)["model"])
    vocoder = Vocoder()
    vocoder.load_state_dict(torch.load(work / "vocoder.ckpt",
                                       weights_only=False)["generator"])
    voice = PiperVoice(acoustic, vocoder, data["stats"]["mean"], data["stats"]["std"]).eval()
    return voice, data


def piper_config(id_map: dict[str, list[int]]) -> dict[str, Any]:
    return {
        "audio": {"sample_rate": SAMPLE_RATE, "quality": "x_low"},
        "espeak": {"voice": corpus_text.PHONEMIZER_VOICE},
        "language": {"code": "en_US"},
        "inference": {"noise_scale": 0.667, "length_scale": 1.0, "noise_w": 0.8},
        "phoneme_type": "espeak",
        "phoneme_map": {},
        "phoneme_id_map": id_map,
        "num_symbols": len(id_map),
        "num_speakers": len(corpus_text.SPEAKERS),
        "speaker_id_map": {name: i for i, name in enumerate(corpus_text.SPEAKERS)},
        "piper_version": "1.0.0",
        "dataset": VOICE_NAME,
    }


def stage_export(work: Path) -> None:
    voice, data = build_voice(work)
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    onnx_path = MODEL_DIR / f"{VOICE_NAME}.onnx"
    ids = data["records"][0]["ids"][None]
    inputs = (ids, torch.tensor([ids.shape[1]]), torch.tensor([0.667, 1.0, 0.8]),
              torch.tensor([0]))
    torch.onnx.export(
        voice, inputs, str(onnx_path), dynamo=False, opset_version=17,
        input_names=["input", "input_lengths", "scales", "sid"], output_names=["output"],
        dynamic_axes={"input": {0: "batch", 1: "phonemes"}, "input_lengths": {0: "batch"},
                      "sid": {0: "batch"}, "output": {0: "batch", 2: "time"}},
    )
    config = piper_config(data["id_map"])
    (MODEL_DIR / f"{VOICE_NAME}.onnx.json").write_text(json.dumps(config, indent=2,
                                                                  ensure_ascii=False))
    for name in ("loss_acoustic.csv", "loss_vocoder.csv"):
        if (work / name).exists():
            (MODEL_DIR / name).write_text((work / name).read_text())
    print(f"exported {onnx_path} ({onnx_path.stat().st_size / 1e6:.1f} MB)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=["corpus", "acoustic", "vocoder", "export",
                                          "evaluate", "all"])
    parser.add_argument("--work", type=Path, default=Path("/tmp/genloom-speech-train"))
    parser.add_argument("--acoustic-steps", type=int, default=700)
    parser.add_argument("--vocoder-steps", type=int, default=1800)
    parser.add_argument("--gan-from", type=int, default=1700)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    args.work.mkdir(parents=True, exist_ok=True)
    stages = (["corpus", "acoustic", "vocoder", "export", "evaluate"]
              if args.stage == "all" else [args.stage])
    for stage in stages:
        started = time.time()
        if stage == "corpus":
            stage_corpus(args.work)
        elif stage == "acoustic":
            stage_acoustic(args.work, args.acoustic_steps)
        elif stage == "vocoder":
            stage_vocoder(args.work, args.vocoder_steps, args.gan_from)
        elif stage == "export":
            stage_export(args.work)
        else:
            from genloom_audio.training.speech_evaluate import evaluate

            evaluate(args.work, MODEL_DIR)
        print(f"{stage}: {time.time() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
