"""Scheduler (sampler) choice by readable name, limited to what the loaded pipeline accepts."""

from __future__ import annotations

from typing import Any

from genloom.sdk import ParameterError

#: readable name -> (diffusers scheduler class name, config overrides)
SCHEDULERS: dict[str, tuple[str, dict[str, Any]]] = {
    "Euler": ("EulerDiscreteScheduler", {}),
    "Euler a": ("EulerAncestralDiscreteScheduler", {}),
    "DDIM": ("DDIMScheduler", {}),
    "DDPM": ("DDPMScheduler", {}),
    "DPM++ 2M": ("DPMSolverMultistepScheduler", {"use_karras_sigmas": False}),
    "DPM++ 2M Karras": ("DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
    "UniPC": ("UniPCMultistepScheduler", {}),
    "PNDM": ("PNDMScheduler", {}),
    "Heun": ("HeunDiscreteScheduler", {}),
    "LMS": ("LMSDiscreteScheduler", {}),
    "Flow Match Euler": ("FlowMatchEulerDiscreteScheduler", {}),
}


#: What a latent model's sampler must be told when the model's own scheduler config does
#: not say it: DDIM and DDPM clip each predicted clean sample to [-1, 1] by default, which
#: suits pixels and ruins latents. A model saved with an Euler config (the bundled models,
#: SD 1.x fine-tunes saved by newer diffusers) has no ``clip_sample``, so without this
#: "DDIM" gave smears for every seed (measured with icon-ldm-64, "red heart", 25 steps:
#: standard deviation of the image 0.18 against 0.37 for Euler and for DDIM unclipped). A
#: value the model's config does give is kept.
LATENT_DEFAULTS: dict[str, Any] = {"clip_sample": False}


def compatible_names(pipe: Any) -> list[str]:
    """The readable names this pipeline's scheduler can be swapped for (plus 'default')."""
    classes = {cls.__name__ for cls in getattr(pipe.scheduler, "compatibles", [])}
    classes.add(type(pipe.scheduler).__name__)
    return ["default"] + [name for name, (cls, _) in SCHEDULERS.items() if cls in classes]


def readable_name(scheduler: Any) -> str:
    """A readable name for a scheduler object (for the recipe's ``Sampler`` field)."""
    cls = type(scheduler).__name__
    karras = bool(getattr(scheduler.config, "use_karras_sigmas", False))
    for name, (cls_name, overrides) in SCHEDULERS.items():
        if cls_name == cls and overrides.get("use_karras_sigmas", False) == karras:
            return name
    return cls


def make_scheduler(pipe: Any, name: str, default: Any) -> Any:
    """The scheduler to use for ``name``: the model's ``default`` or a compatible one.

    :raises ParameterError: the name is unknown or not compatible with this model.
    """
    if name == "default":
        return default
    allowed = compatible_names(pipe)
    if name not in SCHEDULERS or name not in allowed:
        raise ParameterError("scheduler", name, "is not compatible with the loaded model",
                             "choose one of " + ", ".join(repr(n) for n in allowed))
    import diffusers

    cls_name, overrides = SCHEDULERS[name]
    cls = getattr(diffusers, cls_name)
    unsaid = {key: value for key, value in LATENT_DEFAULTS.items() if key not in default.config}
    return cls.from_config(default.config, **{**unsaid, **overrides})
