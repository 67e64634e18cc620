"""The bundled voice's networks: an acoustic model and a Vocos-style GAN vocoder.

Acoustic model (phoneme ids -> log-mel): a convolution + self-attention encoder,
a duration predictor, and a convolutional decoder over frames. Durations are
learned with monotonic alignment search (Glow-TTS, Kim et al. 2020) between the
encoder's per-phoneme mel means and the target mel; no external aligner.

Vocoder (log-mel -> waveform): Vocos (Siuzdak 2023): ConvNeXt blocks at frame
rate predict the STFT's magnitude and phase, and an inverse STFT written as a
transposed convolution (so that it exports to ONNX) makes the waveform. It is
trained as a GAN against a multi-resolution spectrogram discriminator (UnivNet)
with mel and multi-resolution STFT reconstruction losses.

:class:`PiperVoice` joins the two behind Piper's ONNX interface (``input``,
``input_lengths``, ``scales``, ``sid`` -> ``output``), so the exported voice runs
on exactly the path users' Piper voices take.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SAMPLE_RATE = 22050
N_FFT = 1024
HOP = 256
N_MELS = 80
F_MAX = 8000.0


def mel_filterbank(sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT,
                   n_mels: int = N_MELS, f_max: float = F_MAX) -> torch.Tensor:
    """Triangular HTK-mel filters, ``[n_mels, n_fft // 2 + 1]``."""
    def to_mel(hz: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def to_hz(mel: np.ndarray) -> np.ndarray:
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)

    bins = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    edges = to_hz(np.linspace(to_mel(np.array(0.0)), to_mel(np.array(f_max)), n_mels + 2))
    filters = np.zeros((n_mels, bins.size))
    for m in range(n_mels):
        low, centre, high = edges[m], edges[m + 1], edges[m + 2]
        rising = (bins - low) / (centre - low)
        falling = (high - bins) / (high - centre)
        filters[m] = np.maximum(0.0, np.minimum(rising, falling))
    return torch.tensor(filters, dtype=torch.float32)


class LogMel(nn.Module):
    """Waveform ``[B, S]`` -> natural-log mel ``[B, n_mels, S // hop + 1]``."""

    def __init__(self, n_fft: int = N_FFT, hop: int = HOP, n_mels: int = N_MELS) -> None:
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.register_buffer("filters", mel_filterbank(n_fft=n_fft, n_mels=n_mels),
                             persistent=False)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(audio, self.n_fft, self.hop, window=self.window, center=True,
                          return_complex=True).abs()
        return torch.log(torch.clamp(self.filters @ spec, min=1e-5))


def sinusoids(length: int | torch.Tensor, dim: int, device: torch.device) -> torch.Tensor:
    position = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    rates = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32)
                      * (-math.log(10000.0) / dim))
    angles = position * rates[None]
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


class ConvBlock(nn.Module):
    """Residual 1-D convolution over ``[B, T, C]`` with layer norm; padding masked."""

    def __init__(self, dim: int, kernel: int, dropout: float) -> None:
        super().__init__()
        self.conv = nn.Conv1d(dim, dim, kernel, padding=kernel // 2)
        self.norm = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        y = self.conv((x * mask).transpose(1, 2)).transpose(1, 2)
        return (x + self.dropout(F.relu(self.norm(y)))) * mask


class AttentionBlock(nn.Module):
    """Pre-norm self-attention and feed-forward over ``[B, T, C]``."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(self.norm1(x)).chunk(3, dim=-1)
        head = c // self.heads
        q = q.reshape(b, t, self.heads, head).transpose(1, 2)
        k = k.reshape(b, t, self.heads, head).transpose(1, 2)
        v = v.reshape(b, t, self.heads, head).transpose(1, 2)
        scores = q @ k.transpose(2, 3) / math.sqrt(head)
        scores = scores + (1.0 - mask[:, None, None, :, 0]) * -1e4
        attended = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(b, t, c)
        x = x + self.dropout(self.proj(attended))
        x = x + self.dropout(self.ff(self.norm2(x)))
        return x * mask


class Acoustic(nn.Module):
    """Phoneme ids (+ speaker) -> normalised log-mel frames, with learned durations."""

    def __init__(self, n_symbols: int, n_speakers: int, dim: int = 128,
                 n_mels: int = N_MELS, dropout: float = 0.1) -> None:
        super().__init__()
        self.dim = dim
        self.embed = nn.Embedding(n_symbols, dim)
        self.speaker = nn.Embedding(n_speakers, dim)
        self.encoder_convs = nn.ModuleList(ConvBlock(dim, 5, dropout) for _ in range(3))
        self.encoder_attention = nn.ModuleList(AttentionBlock(dim, 2, dropout)
                                               for _ in range(2))
        self.to_mu = nn.Linear(dim, n_mels)
        self.duration = nn.ModuleList(ConvBlock(dim, 3, dropout) for _ in range(2))
        self.to_log_duration = nn.Linear(dim, 1)
        self.decoder_convs = nn.ModuleList(ConvBlock(dim, 5, dropout) for _ in range(3))
        self.to_mel = nn.Linear(dim, n_mels)

    def encode(self, ids: torch.Tensor, mask: torch.Tensor,
               sid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Hidden states ``[B, T, C]`` and mel means ``[B, T, n_mels]``."""
        x = (self.embed(ids) + self.speaker(sid)[:, None, :]) * mask
        for conv in self.encoder_convs:
            x = conv(x, mask)
        x = x + sinusoids(ids.shape[1], self.dim, ids.device)[None] * mask
        for block in self.encoder_attention:
            x = block(x, mask)
        return x, self.to_mu(x) * mask

    def log_durations(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = hidden
        for conv in self.duration:
            x = conv(x, mask)
        return self.to_log_duration(x)[..., 0] * mask[..., 0]

    def decode(self, frames: torch.Tensor, mu_frames: torch.Tensor, frame_mask: torch.Tensor,
               sid: torch.Tensor) -> torch.Tensor:
        x = (frames + self.speaker(sid)[:, None, :]) * frame_mask
        for conv in self.decoder_convs:
            x = conv(x, frame_mask)
        return (mu_frames + self.to_mel(x)) * frame_mask


def monotonic_alignment(log_p: np.ndarray) -> np.ndarray:
    """Durations (frames per token) of the most likely monotonic path; ``log_p [T_text, T_mel]``."""
    n_text, n_mel = log_p.shape
    best = np.full((n_text, n_mel), -np.inf)
    best[0, 0] = log_p[0, 0]
    for j in range(1, n_mel):
        stay = best[:, j - 1]
        advance = np.concatenate([[-np.inf], best[:-1, j - 1]])
        best[:, j] = np.maximum(stay, advance) + log_p[:, j]
    durations = np.zeros(n_text, dtype=np.int64)
    i = n_text - 1
    for j in range(n_mel - 1, -1, -1):
        durations[i] += 1
        if i > 0 and (j == i or best[i - 1, j - 1] >= best[i, j - 1]):
            i -= 1
    return durations


def path_from_durations(durations: torch.Tensor, n_frames: torch.Tensor | int) -> torch.Tensor:
    """Hard alignment ``[B, T_text, T_mel]`` from integer durations ``[B, T_text]``."""
    ends = torch.cumsum(durations, dim=1)
    starts = ends - durations
    frames = torch.arange(n_frames, device=durations.device)[None, None, :]
    return ((frames >= starts[..., None]) & (frames < ends[..., None])).float()


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.pw1 = nn.Linear(dim, hidden)
        self.pw2 = nn.Linear(hidden, dim)
        self.gamma = nn.Parameter(torch.full((dim,), 0.1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dwconv(x).transpose(1, 2)
        y = self.pw2(F.gelu(self.pw1(self.norm(y)))) * self.gamma
        return x + y.transpose(1, 2)


class InverseSTFT(nn.Module):
    """Inverse STFT (centre-padded, Hann) as a transposed convolution, ONNX-exportable."""

    def __init__(self, n_fft: int = N_FFT, hop: int = HOP) -> None:
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        window = torch.hann_window(n_fft, dtype=torch.float64)
        k = torch.arange(n_fft // 2 + 1, dtype=torch.float64)[:, None]
        n = torch.arange(n_fft, dtype=torch.float64)[None, :]
        angle = 2 * math.pi * k * n / n_fft
        scale = torch.full((n_fft // 2 + 1, 1), 2.0, dtype=torch.float64)
        scale[0] = scale[-1] = 1.0
        real = scale * torch.cos(angle) / n_fft * window
        imag = -scale * torch.sin(angle) / n_fft * window
        basis = torch.cat([real, imag], dim=0)[:, None, :].float()
        self.register_buffer("basis", basis, persistent=False)
        self.register_buffer("window_sq", (window ** 2).float()[None, None, :], persistent=False)

    def forward(self, real: torch.Tensor, imag: torch.Tensor) -> torch.Tensor:
        audio = F.conv_transpose1d(torch.cat([real, imag], dim=1), self.basis, stride=self.hop)
        envelope = F.conv_transpose1d(torch.ones_like(real[:, :1, :]), self.window_sq,
                                      stride=self.hop)
        audio = audio / torch.clamp(envelope, min=1e-6)
        pad = self.n_fft // 2
        return audio[:, 0, pad:-pad]


class Vocoder(nn.Module):
    """Log-mel ``[B, n_mels, T]`` -> waveform ``[B, T * hop]`` (Vocos)."""

    def __init__(self, n_mels: int = N_MELS, dim: int = 160, hidden: int = 480,
                 blocks: int = 6) -> None:
        super().__init__()
        self.inp = nn.Conv1d(n_mels, dim, 7, padding=3)
        self.norm = nn.LayerNorm(dim)
        self.blocks = nn.ModuleList(ConvNeXtBlock(dim, hidden) for _ in range(blocks))
        self.out_norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, N_FFT + 2)
        self.istft = InverseSTFT()

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = self.norm(self.inp(mel).transpose(1, 2)).transpose(1, 2)
        for block in self.blocks:
            x = block(x)
        x = self.head(self.out_norm(x.transpose(1, 2))).transpose(1, 2)
        log_mag, phase = x.chunk(2, dim=1)
        magnitude = torch.exp(torch.clamp(log_mag, max=6.0))
        return self.istft(magnitude * torch.cos(phase), magnitude * torch.sin(phase))


class SpectrogramDiscriminator(nn.Module):
    """One resolution of UnivNet's multi-resolution discriminator."""

    def __init__(self, n_fft: int, hop: int, channels: int = 16) -> None:
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.convs = nn.ModuleList([
            nn.Conv2d(1, channels, (7, 5), padding=(3, 2)),
            nn.Conv2d(channels, channels, (5, 3), stride=(2, 1), padding=(2, 1)),
            nn.Conv2d(channels, channels, (5, 3), stride=(2, 1), padding=(2, 1)),
            nn.Conv2d(channels, channels, (3, 3), padding=(1, 1)),
        ])
        self.out = nn.Conv2d(channels, 1, (3, 3), padding=(1, 1))

    def forward(self, audio: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        spec = torch.stft(audio, self.n_fft, self.hop, window=self.window,
                          return_complex=True).abs()
        x = torch.log1p(spec)[:, None]
        features = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), 0.1)
            features.append(x)
        return self.out(x), features


class Discriminator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.resolutions = nn.ModuleList(
            SpectrogramDiscriminator(n, h) for n, h in ((512, 128), (1024, 256), (2048, 512))
        )

    def forward(self, audio: torch.Tensor) -> list[tuple[torch.Tensor, list[torch.Tensor]]]:
        return [d(audio) for d in self.resolutions]


def stft_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Multi-resolution STFT loss (spectral convergence + log magnitude)."""
    total = fake.new_zeros(())
    for n_fft, hop in ((512, 128), (1024, 256), (2048, 512)):
        window = torch.hann_window(n_fft, device=fake.device)
        f = torch.stft(fake, n_fft, hop, window=window, return_complex=True).abs() + 1e-5
        r = torch.stft(real, n_fft, hop, window=window, return_complex=True).abs() + 1e-5
        total = total + torch.norm(r - f) / torch.norm(r)
        total = total + F.l1_loss(torch.log(f), torch.log(r))
    return total / 3


class PiperVoice(nn.Module):
    """Acoustic model + vocoder behind Piper's ONNX interface.

    ``scales`` is ``[noise_scale, length_scale, noise_w]``; this voice is
    deterministic, so only ``length_scale`` (speaking rate) has an effect.
    """

    def __init__(self, acoustic: Acoustic, vocoder: Vocoder, mel_mean: torch.Tensor,
                 mel_std: torch.Tensor) -> None:
        super().__init__()
        self.acoustic, self.vocoder = acoustic, vocoder
        self.register_buffer("mel_mean", mel_mean.float())
        self.register_buffer("mel_std", mel_std.float())

    def forward(self, input: torch.Tensor, input_lengths: torch.Tensor, scales: torch.Tensor,
                sid: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input.shape[1], device=input.device)[None, :]
        mask = (positions < input_lengths[:, None]).float()[..., None]
        hidden, mu = self.acoustic.encode(input, mask, sid)
        log_w = self.acoustic.log_durations(hidden, mask)
        durations = torch.round(torch.exp(log_w) * scales[1]) * mask[..., 0]
        durations = durations.long()
        n_frames = torch.clamp(durations.sum(dim=1).max(), min=1)
        path = path_from_durations(durations, n_frames)
        frames = path.transpose(1, 2) @ hidden
        mu_frames = path.transpose(1, 2) @ mu
        frame_mask = path.sum(dim=1)[..., None]
        mel = self.acoustic.decode(frames, mu_frames, frame_mask, sid)
        mel = mel * self.mel_std + self.mel_mean
        audio = self.vocoder(mel.transpose(1, 2))
        return torch.clamp(audio, -1.0, 1.0)[:, None, :]
