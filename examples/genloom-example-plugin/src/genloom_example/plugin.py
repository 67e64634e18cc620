"""The example plugin's entry module: cheap to import, returns plain data.

Everything here comes from ``genloom.sdk``; torch is imported by the generator's
``load``, in Genloom's worker process, never by this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genloom.sdk import (
    API_VERSION,
    BundledModel,
    ChoiceParam,
    GeneratorSpec,
    IntParam,
    ParameterError,
    hookimpl,
)

from genloom_example.shapes import SHAPES

if not API_VERSION.startswith("1."):
    raise ImportError(f"genloom-example-plugin is written for Genloom plugin API 1.x, not {API_VERSION}")

MODELS_DIR = Path(__file__).parent / "models"
MODEL_ID = "example.shapes-decoder"
MODEL_KIND = "example-shapes-decoder"
#: Tile sizes are whole multiples of the model's 32-pixel pictures, so they scale cleanly.
TILE_STEP = 32


def _make_generator() -> Any:
    from genloom_example.generator import ShapesGenerator

    return ShapesGenerator()


def check_params(params: dict[str, Any]) -> None:
    """What can be checked when the job is queued, before any model loads."""
    size = params["tile_size"]
    if size % TILE_STEP:
        lower = size // TILE_STEP * TILE_STEP
        raise ParameterError("tile_size", size, f"is not a multiple of {TILE_STEP}",
                             f"use {max(lower, TILE_STEP)} or {lower + TILE_STEP}")


@hookimpl
def genloom_register_generators() -> list[GeneratorSpec]:
    return [
        GeneratorSpec(
            id="example.shapes",
            modality="image",
            title="Shapes (example plugin)",
            description="A sheet of shapes drawn by a tiny trained decoder; each tile's position "
                        "and size come from the seed. The example of a model-backed plugin.",
            factory=_make_generator,
            params=(
                ChoiceParam("shape", "circle", choices=SHAPES, description="Which shape to draw."),
                IntParam("tiles", 4, minimum=1, maximum=16,
                         description="How many variations on the sheet (one progress step each)."),
                IntParam("tile_size", 96, minimum=32, maximum=512,
                         description="Side of each tile in pixels, a multiple of 32."),
            ),
            model_kinds=(MODEL_KIND,),
            default_model=MODEL_ID,
            devices=("cpu", "cuda", "mps"),
            check=check_params,
        )
    ]


@hookimpl
def genloom_register_models() -> list[BundledModel]:
    return [BundledModel(
        id=MODEL_ID, kind=MODEL_KIND, path=MODELS_DIR / "shapes-decoder",
        title="Shapes decoder (example, bundled)", licence="Apache-2.0 (see MODEL_CARD.md)",
        description="A 34k-parameter decoder from (shape, position, size) to a 32x32 mask, "
                    "trained in seconds on pictures drawn by training/train_decoder.py.",
    )]
