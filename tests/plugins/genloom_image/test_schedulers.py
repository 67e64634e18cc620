"""Swapping a model's sampler keeps to latent rules unless the model says otherwise."""

from __future__ import annotations

from types import SimpleNamespace


def _pipe(scheduler):
    return SimpleNamespace(scheduler=scheduler)


def test_ddim_and_ddpm_from_an_euler_config_do_not_clip_latents():
    from diffusers import EulerDiscreteScheduler

    from genloom_image.schedulers import make_scheduler

    euler = EulerDiscreteScheduler(beta_schedule="scaled_linear")
    assert "clip_sample" not in euler.config
    for name in ("DDIM", "DDPM"):
        swapped = make_scheduler(_pipe(euler), name, euler)
        assert type(swapped).__name__ == name + "Scheduler"
        assert swapped.config.clip_sample is False
        assert swapped.config.beta_schedule == "scaled_linear"  # the rest comes from the model


def test_a_clip_sample_the_models_config_gives_is_kept():
    from diffusers import DDIMScheduler

    from genloom_image.schedulers import make_scheduler

    ddim = DDIMScheduler(clip_sample=True)
    assert make_scheduler(_pipe(ddim), "DDPM", ddim).config.clip_sample is True
    assert make_scheduler(_pipe(ddim), "default", ddim) is ddim
