"""The torch networks of the GAN and VAE families (imports torch: load time only).

Both families share :class:`Decoder`: a caption bag of words is embedded by a linear
layer, concatenated with the latent vector, projected to a 4x4 map, then doubled in size
by nearest-neighbour upsampling and a 3x3 convolution per stage (pixel norm and leaky
ReLU: no batch statistics, so an image does not depend on what else is in its batch),
and mapped to RGB in [0, 1]. The GAN's critic and the VAE's encoder are strided
convolutions down to 4x4.

The classes are made by :func:`nets` on first use, so that importing this module does
not import torch (Genloom's import rule); ``nets().Decoder`` and so on.
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace
from typing import Any

from genloom_image.families import FamilyConfig


@cache
def nets() -> SimpleNamespace:  # noqa: C901 (the networks' classes, defined together)
    """The network classes (and :func:`build`), defined once torch is imported."""
    import torch
    from torch import nn

    class PixelNorm(nn.Module):
        """Each pixel's feature vector scaled to unit mean square (ProGAN)."""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)

    def _stage(cin: int, cout: int) -> nn.Sequential:
        return nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(cin, cout, 3, padding=1), PixelNorm(), nn.LeakyReLU(0.2),
        )

    class Decoder(nn.Module):
        """(latent, bag of words) -> RGB image in [0, 1], ``(B, 3, S, S)``."""

        def __init__(self, config: FamilyConfig) -> None:
            super().__init__()
            channels = config.channels
            self.first = channels[0]
            self.embed = nn.Linear(len(config.vocabulary), config.embed_dim, bias=False)
            self.stem = nn.Linear(config.latent_dim + config.embed_dim, channels[0] * 16)
            self.stages = nn.Sequential(*(_stage(a, b) for a, b in zip(channels, channels[1:], strict=False)))
            self.to_rgb = nn.Conv2d(channels[-1], 3, 3, padding=1)
            self.act = nn.Sequential(PixelNorm(), nn.LeakyReLU(0.2))

        def forward(self, latent: torch.Tensor, words: torch.Tensor) -> torch.Tensor:
            h = self.stem(torch.cat([latent, self.embed(words)], dim=1))
            h = self.act(h.view(-1, self.first, 4, 4))
            return torch.sigmoid(self.to_rgb(self.stages(h)))

    def _downsampler(channels: tuple[int, ...], norm: Any) -> nn.Sequential:
        """Strided 4x4 convolutions from RGB at S pixels down to ``channels[0]`` at 4x4."""
        widths = (3, *reversed(channels[:-1]))  # one halving per decoder stage, ending at channels[0]
        layers: list[nn.Module] = []
        for cin, cout in zip(widths, widths[1:], strict=False):
            layers += [norm(nn.Conv2d(cin, cout, 4, stride=2, padding=1)), nn.LeakyReLU(0.2)]
        return nn.Sequential(*layers)

    class Encoder(nn.Module):
        """RGB image in [0, 1] -> (mean, log variance) of the latent posterior."""

        def __init__(self, config: FamilyConfig) -> None:
            super().__init__()
            self.convs = _downsampler(config.channels, lambda m: m)
            flat = config.channels[0] * 16
            self.mean = nn.Linear(flat, config.latent_dim)
            self.logvar = nn.Linear(flat, config.latent_dim)

        def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            h = self.convs(image * 2 - 1).flatten(1)
            return self.mean(h), self.logvar(h)

    class Critic(nn.Module):
        """The GAN's discriminator, conditioned by projection (Miyato & Koyama 2018)."""

        def __init__(self, config: FamilyConfig) -> None:
            super().__init__()
            sn = nn.utils.spectral_norm
            self.convs = _downsampler(config.channels, sn)
            width = config.channels[0]
            self.out = sn(nn.Linear(width * 16, 1))
            self.project = sn(nn.Linear(len(config.vocabulary), width * 16, bias=False))

        def forward(self, image: torch.Tensor, words: torch.Tensor) -> torch.Tensor:
            h = self.convs(image * 2 - 1).flatten(1)
            return self.out(h).squeeze(1) + (h * self.project(words)).sum(dim=1)

    class IconGAN(nn.Module):
        """The shipped part of the GAN is ``decoder`` (the generator); ``critic`` only trains."""

        def __init__(self, config: FamilyConfig, with_critic: bool = False) -> None:
            super().__init__()
            self.decoder = Decoder(config)
            self.critic = Critic(config) if with_critic else None

    class IconVAE(nn.Module):
        """Encoder and decoder; both ship."""

        def __init__(self, config: FamilyConfig) -> None:
            super().__init__()
            self.encoder = Encoder(config)
            self.decoder = Decoder(config)

    class EncoderMean(nn.Module):
        """The encoder's mean alone: what interpolation uses, and what ONNX exports."""

        def __init__(self, encoder: Encoder) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, image: torch.Tensor) -> torch.Tensor:
            return self.encoder(image)[0]

    def build(config: FamilyConfig) -> nn.Module:
        """The inference network of ``config``'s family (no critic)."""
        return IconGAN(config) if config.family == "icon-gan" else IconVAE(config)

    return SimpleNamespace(PixelNorm=PixelNorm, Decoder=Decoder, Encoder=Encoder, Critic=Critic,
                           IconGAN=IconGAN, IconVAE=IconVAE, EncoderMean=EncoderMean, build=build)


def build(config: FamilyConfig) -> Any:
    """The inference network of ``config``'s family (no critic)."""
    return nets().build(config)
