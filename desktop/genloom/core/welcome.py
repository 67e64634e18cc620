"""The first run: which start is one, and the examples the bundled models make in the
welcome project (queued like any job, so they run in the worker and appear as they finish)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from genloom.core.jobs.engine import Engine
    from genloom.core.project import Job
    from genloom.core.settings import Settings

__all__ = ["EXAMPLES", "Example", "is_first_run", "queue_examples"]


@dataclass(frozen=True)
class Example:
    generator: str
    prompt: str | None
    seed: int


#: One per kind of thing the bundled models make, quickest first; fixed seeds, so every
#: new user sees the same welcome. Each prompt is one its bundled model knows: the image
#: model draws emoji and icon names (its prompt field says so), and a scene it never saw
#: (the first welcome asked for "a lighthouse on a cliff at dusk, watercolour") came out
#: a blur, a poor first picture. Seed 7 is a red heart with the default icon-ldm-64 (seeds
#: 5 and 6 come out orange and pale red).
EXAMPLES: tuple[Example, ...] = (
    Example("procedural.pattern", None, 11),
    Example("audio.music", None, 5),
    Example("text.complete", "Once upon a time, in a workshop full of looms,", 5),
    Example("image.text_to_image", "red heart", 7),
)


def is_first_run(settings: Settings, requested: str | None) -> bool:
    """No project was ever opened, none was asked for, and the welcome was not shown yet."""
    return not settings.welcome_shown and not settings.last_project and not requested


def queue_examples(engine: Engine, examples: tuple[Example, ...] = EXAMPLES) -> list[Job]:
    """Queue the examples whose generator is loaded; a missing plugin only means fewer."""
    jobs: list[Job] = []
    for example in examples:
        spec = engine.plugins.generators.get(example.generator)
        if spec is None:
            continue
        values = {}
        if example.prompt is not None:
            prompt = next((p for p in spec.params if getattr(p, "role", "") == "prompt"), None)
            if prompt is None:
                continue
            values[prompt.name] = example.prompt
        jobs += engine.submit(example.generator, values, seed=example.seed)
    return jobs
