"""Held-out evaluation of the exported voice: mel-cepstral distortion, samples, card data.

MCD here is MCD-DTW: 24 mel-cepstral coefficients (c1..c24; c0, the energy, left
out), the cosine-series coefficients (DCT-II scaled by 2/N, SPTK's scale) of the
80-band natural-log mel amplitude spectrum (22050 Hz, 1024-point FFT, hop 256,
leading and trailing silence trimmed), frames aligned by dynamic time warping,
``MCD = 10 / ln 10 * sqrt(2 * sum_d (c_d - c'_d)^2)`` averaged over the aligned
path. The reference is eSpeak NG's own rendering of each held-out sentence by the
same eSpeak voice variant the model imitates; the voice runs through
:class:`genloom_audio.speech_piper.PiperVoice`, the app's own path.

Two reference points put the figure in scale: the vocoder alone resynthesising
eSpeak's own mel (the floor the acoustic model cannot beat), and eSpeak NG's
default voice against another variant reading the same sentence (how far apart
two eSpeak voices are).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genloom_audio.training import speech_corpus as corpus_text
from genloom_audio.training.speech_model import SAMPLE_RATE, LogMel

N_CEPSTRA = 24
SAMPLE_SENTENCES = (0, 1, 2)


def mel_cepstra(audio: np.ndarray) -> np.ndarray:
    """``[frames, N_CEPSTRA]`` mel-cepstra (c1..c24) of a waveform."""
    with torch.no_grad():
        log_mel = LogMel()(torch.from_numpy(audio.astype(np.float32))[None])[0].numpy()
    n = log_mel.shape[0]
    k = np.arange(n)
    # Cosine-series coefficients of the log amplitude on the mel axis, the scale of
    # SPTK's mel-cepstrum: log|X(w)| ~ sum_m c_m cos(m w).
    basis = np.cos(np.pi / n * (k[None, :] + 0.5) * k[:, None]) * (2.0 / n)
    cepstra = basis @ log_mel
    return cepstra[1:N_CEPSTRA + 1].T


def _trim(audio: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > threshold)
    return audio[loud[0]:loud[-1] + 1] if loud.size else audio


def mcd_dtw(reference: np.ndarray, synthesis: np.ndarray) -> float:
    """MCD (dB) between two waveforms after DTW alignment of their mel-cepstra."""
    a, b = mel_cepstra(_trim(reference)), mel_cepstra(_trim(synthesis))
    cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    n, m = cost.shape
    inf = float("inf")
    prev_total, prev_steps = [0.0] + [inf] * m, [0] * (m + 1)
    for i in range(n):
        row = cost[i].tolist()
        total, steps = [inf] * (m + 1), [0] * (m + 1)
        for j in range(1, m + 1):
            diag, up, left = prev_total[j - 1], prev_total[j], total[j - 1]
            if diag <= up and diag <= left:
                total[j], steps[j] = diag + row[j - 1], prev_steps[j - 1] + 1
            elif up <= left:
                total[j], steps[j] = up + row[j - 1], prev_steps[j] + 1
            else:
                total[j], steps[j] = left + row[j - 1], steps[j - 1] + 1
        prev_total, prev_steps = total, steps
    mean_distance = prev_total[m] / prev_steps[m]
    return float(10.0 / np.log(10.0) * np.sqrt(2.0) * mean_distance)


def evaluate(work: Path, model_dir: Path) -> dict[str, Any]:
    import soundfile

    from genloom_audio import speech_espeak
    from genloom_audio.speech_piper import PiperVoice
    from genloom_audio.training.speech_model import Vocoder

    data = torch.load(work / "corpus.pt", weights_only=False)
    heldout = [r for r in data["records"] if r["heldout"]]
    onnx_path = next(model_dir.glob("*.onnx"))
    voice = PiperVoice(onnx_path, "cpu")
    vocoder = Vocoder()
    vocoder.load_state_dict(torch.load(work / "vocoder.ckpt", weights_only=False)["generator"])
    vocoder.eval()
    pre_gan = None
    if (work / "vocoder_pre_gan.ckpt").exists():
        pre_gan = Vocoder()
        pre_gan.load_state_dict(torch.load(work / "vocoder_pre_gan.ckpt",
                                           weights_only=False)["generator"])
        pre_gan.eval()
    model_mcd, vocoder_mcd, variant_mcd, pre_gan_mcd = [], [], [], []
    samples = model_dir / "samples"
    samples.mkdir(exist_ok=True)
    lines = []
    for index, record in enumerate(heldout):
        reference = record["audio"].astype(np.float32) / 32767
        synthesis = voice.speak(voice.phonemes(record["text"]), record["speaker"])
        model_mcd.append(mcd_dtw(reference, synthesis))
        with torch.no_grad():
            resynth = vocoder(record["mel"].float()[None])[0].numpy()
        vocoder_mcd.append(mcd_dtw(reference, resynth))
        if pre_gan is not None:
            with torch.no_grad():
                pre_gan_mcd.append(mcd_dtw(reference, pre_gan(record["mel"].float()[None])[0]
                                           .numpy()))
        other = corpus_text.SPEAKERS[(record["speaker"] + 1) % len(corpus_text.SPEAKERS)]
        variant_mcd.append(mcd_dtw(reference,
                                   speech_espeak.synthesize(record["text"], other)))
        if index in SAMPLE_SENTENCES:
            speaker = corpus_text.SPEAKERS[record["speaker"]]
            soundfile.write(samples / f"heldout{index}-espeak-{speaker}.wav", reference,
                            SAMPLE_RATE, subtype="PCM_16")
            soundfile.write(samples / f"heldout{index}-model-{speaker}.wav", synthesis,
                            SAMPLE_RATE, subtype="PCM_16")
            lines.append(f"{index}: {record['text']} ({speaker})")
    (samples / "SENTENCES.txt").write_text("\n".join(lines) + "\n")
    result = {
        "heldout_sentences": len(heldout),
        "mcd_model_db": round(float(np.mean(model_mcd)), 2),
        "mcd_model_db_std": round(float(np.std(model_mcd)), 2),
        "mcd_vocoder_resynthesis_db": round(float(np.mean(vocoder_mcd)), 2),
        "mcd_other_espeak_variant_db": round(float(np.mean(variant_mcd)), 2),
    }
    if pre_gan_mcd:
        result["mcd_vocoder_resynthesis_before_gan_db"] = round(float(np.mean(pre_gan_mcd)), 2)
    (model_dir / "evaluation.json").write_text(json.dumps(result, indent=2) + "\n")
    loss_svg(model_dir)
    print(json.dumps(result, indent=2))
    return result


def loss_svg(model_dir: Path) -> Path:
    """``loss.svg``: the acoustic and vocoder mel losses against their steps (plain SVG)."""
    import csv

    curves = []
    for name, column, colour in (("loss_acoustic.csv", "mel", "#1f77b4"),
                                 ("loss_vocoder.csv", "mel", "#d62728")):
        path = model_dir / name
        if path.exists():
            with path.open() as handle:
                rows = [(float(r["step"]), float(r[column])) for r in csv.DictReader(handle)]
            curves.append((name.removesuffix(".csv"), colour, rows))
    width, height, pad = 640, 320, 40
    top = max(v for _, _, rows in curves for _, v in rows)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="12"><rect width="100%" height="100%" '
             f'fill="white"/>']
    for index, (label, colour, rows) in enumerate(curves):
        last = max(s for s, _ in rows)
        points = " ".join(f"{pad + s / last * (width - 2 * pad):.1f},"
                          f"{height - pad - v / top * (height - 2 * pad):.1f}" for s, v in rows)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" '
                     f'points="{points}"/>')
        parts.append(f'<text x="{width - 230}" y="{20 + 16 * index}" fill="{colour}">'
                     f'{label}: L1 log-mel, last {rows[-1][1]:.3f} at step {int(last)}</text>')
    parts.append(f'<text x="{pad}" y="{height - 10}">steps (each curve scaled to its own '
                 f'length); y from 0 to {top:.2f}</text></svg>')
    out = model_dir / "loss.svg"
    out.write_text("\n".join(parts) + "\n")
    return out
