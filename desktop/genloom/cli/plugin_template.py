"""The files ``genloom plugin new`` writes, as text with ``@placeholders@``.

Two skeletons share the packaging, manifest, CI and docs: a text generator with no
model (the default) and, with ``--with-model``, an image generator that ships and
loads a small safetensors model. The files are templates rather than code here, so
nothing in them runs inside Genloom.
"""

from __future__ import annotations

PYPROJECT = '''[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "@dist@"
version = "0.1.0"
description = "A Genloom plugin"
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["genloom>=@genloom_version@"]

[project.optional-dependencies]
test = ["pytest>=8"]

# Genloom finds the plugin through this entry point group.
[project.entry-points."genloom.plugins"]
@name@ = "@name@.plugin"

[tool.setuptools.packages.find]
where = ["src"]

# The manifest (read by Genloom without importing the plugin) and the bundled models
# ship inside the package.
[tool.setuptools.package-data]
@name@ = ["genloom-plugin.toml", "models/**/*"]
'''

INIT = '''"""@title@: a Genloom plugin."""

__version__ = "0.1.0"

# Genloom loads the hooks from @name@.plugin (the entry point); the package re-exports
# them so that `genloom plugin validate src/@name@` finds them in the package folder too.
from @name@.plugin import @hooks@  # noqa: E402,F401
'''

MANIFEST = '''# What this plugin offers, read by Genloom without importing it (genloom plugins lists
# it even when its import fails). Keep it in step with plugin.py: `genloom plugin
# validate src/@name@` checks that it is.
name = "@name@"
display_name = "@title@"
api = "@api@"
@generators@@models@'''

MANIFEST_SHUFFLE = '''
[[generators]]
id = "@name@.shuffle"
modality = "text"
title = "Shuffle words"
'''

MANIFEST_PATTERN = '''
[[generators]]
id = "@name@.pattern"
modality = "image"
title = "Pattern"
'''

MANIFEST_MODELS = '''
[[models]]
id = "@name@.tiny-pattern"
path = "models/tiny-pattern"
'''

PLUGIN_SHUFFLE = '''"""The plugin's entry module: cheap to import, returns plain data.

Heavy libraries (torch, diffusers...) are imported in the generator's load(),
which runs in Genloom's worker process, never here.
"""

from __future__ import annotations

from genloom.sdk import API_VERSION, GeneratorSpec, IntParam, StringParam, hookimpl

if not API_VERSION.startswith("1."):
    raise ImportError(f"@name@ is written for Genloom plugin API 1.x, not {API_VERSION}")


def _make_generator():
    from @name@.generator import ShuffleGenerator

    return ShuffleGenerator()


@hookimpl
def genloom_register_generators() -> list[GeneratorSpec]:
    return [
        GeneratorSpec(
            id="@name@.shuffle",
            modality="text",
            title="Shuffle words",
            description="Shuffles the words of the prompt with the seed: replace with your own generator.",
            factory=_make_generator,
            params=(
                StringParam("prompt", "", min_length=1, multiline=True, role="prompt",
                            description="The words to shuffle."),
                IntParam("repeats", 1, minimum=1, maximum=10,
                         description="How many shuffled lines to write."),
            ),
        )
    ]
'''

GENERATOR_SHUFFLE = '''"""The generator: load once, run per job, unload when Genloom drops it."""

from __future__ import annotations

import random

from genloom.sdk import Output, Request, RunState


class ShuffleGenerator:
    def load(self, model, device: str, dtype: str) -> None:
        """Load weights here (onto ``device``); this example needs none."""

    def run(self, request: Request, state: RunState) -> list[Output]:
        # Genloom hands out the seeds, one per output (count in the app, --count on the
        # command line); a generator that makes several at once for speed sets batch_size
        # in its spec and returns one output per seed of request.seeds.
        rng = random.Random(request.seed)  # every random source comes from the seed
        words = request.params["prompt"].split()
        lines = []
        total = request.params["repeats"]
        for step in range(total):
            state.raise_if_cancelled()  # stop promptly when the user cancels
            rng.shuffle(words)
            lines.append(" ".join(words))
            state.progress(step + 1, total, partial_text=lines[-1] + "\\n")
        return [Output(kind="text", text="\\n".join(lines))]

    def unload(self) -> None:
        """Free what load() took."""
'''

TEST_SHUFFLE = '''"""Runs the generator through Genloom's conformance suite."""

from genloom.testing import check_generator


def test_plugin_loads_and_offers_its_generator(genloom_plugins):
    plugins = genloom_plugins(modules=["@name@.plugin"])
    assert plugins.plugins["@name@"].status == "loaded", plugins.plugins["@name@"].error
    assert "@name@.shuffle" in plugins.generators


def test_generator_meets_the_contract(genloom_plugins):
    plugins = genloom_plugins(modules=["@name@.plugin"])
    report = check_generator(plugins.generator("@name@.shuffle"), {"prompt": "warp and weft", "repeats": 2})
    assert report.outputs[0].text.count("\\n") == 1
'''

PLUGIN_PATTERN = '''"""The plugin's entry module: cheap to import, returns plain data.

The model ships inside the package (models/tiny-pattern, listed as package data in
pyproject.toml). torch is imported by the generator's load(), which runs in Genloom's
worker process, never here.
"""

from __future__ import annotations

from pathlib import Path

from genloom.sdk import (
    API_VERSION,
    BundledModel,
    FloatParam,
    GeneratorSpec,
    IntParam,
    ParameterError,
    hookimpl,
)

if not API_VERSION.startswith("1."):
    raise ImportError(f"@name@ is written for Genloom plugin API 1.x, not {API_VERSION}")

MODELS_DIR = Path(__file__).parent / "models"
MODEL_ID = "@name@.tiny-pattern"
MODEL_KIND = "@name@-pattern-net"


def _make_generator():
    from @name@.generator import PatternGenerator

    return PatternGenerator()


def _check(params: dict) -> None:
    """Cheap rules checked when a job is queued, before any model loads."""
    size = params["size"]
    if size % 4:
        raise ParameterError("size", size, "is not a multiple of 4",
                             f"use {size // 4 * 4} or {size // 4 * 4 + 4}")


@hookimpl
def genloom_register_generators() -> list[GeneratorSpec]:
    return [
        GeneratorSpec(
            id="@name@.pattern",
            modality="image",
            title="Pattern",
            description="Turns seeded noise into a colour pattern with a tiny convolutional net: "
                        "replace the net and its weights with your own model.",
            factory=_make_generator,
            params=(
                IntParam("size", 64, minimum=16, maximum=512,
                         description="Width and height in pixels, a multiple of 4."),
                FloatParam("contrast", 1.0, minimum=0.1, maximum=4.0,
                           description="How strongly the net's output is stretched."),
            ),
            model_kinds=(MODEL_KIND,),
            default_model=MODEL_ID,
            devices=("cpu", "cuda", "mps"),
            check=_check,
        )
    ]


@hookimpl
def genloom_register_models() -> list[BundledModel]:
    return [BundledModel(
        id=MODEL_ID, kind=MODEL_KIND, path=MODELS_DIR / "tiny-pattern",
        title="Tiny pattern net (bundled)", licence="the plugin's licence (see LICENSE)",
        description="Three 3x3 convolutions with seeded random weights, written by "
                    "`genloom plugin new --with-model`.",
    )]
'''

GENERATOR_PATTERN = '''"""The generator: a tiny convolutional net loaded from the bundled safetensors file."""

from __future__ import annotations

from genloom.sdk import GenloomError, Output, Request, RunState, encode_preview

#: The file inside the model folder Genloom hands to load().
WEIGHTS = "model.safetensors"


def build_net():
    """The net whose weights the model folder holds (the layout must match the file)."""
    import torch

    return torch.nn.Sequential(
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.Tanh(),
        torch.nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
        torch.nn.Conv2d(16, 16, 3, padding=1), torch.nn.Tanh(),
        torch.nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
        torch.nn.Conv2d(16, 3, 3, padding=1), torch.nn.Sigmoid(),
    )


class PatternGenerator:
    def __init__(self) -> None:
        self.net = None
        self.device = "cpu"

    def load(self, model, device: str, dtype: str) -> None:
        """Load the weights Genloom chose (the bundled model unless the user picked another)."""
        from pathlib import Path

        import torch  # heavy libraries load here, in the worker, never at import
        from safetensors.torch import load_file

        path = Path(model.path) / WEIGHTS if model is not None else None
        if path is None or not path.is_file():
            raise GenloomError(f"the pattern net's weights are missing ({path}); reinstall the plugin")
        net = build_net()
        net.load_state_dict(load_file(str(path)))
        # float32 on the CPU (half precision convolutions are slow or missing there).
        self.dtype = torch.float32 if device == "cpu" else getattr(torch, dtype, torch.float32)
        self.device = device
        self.net = net.to(device=device, dtype=self.dtype).eval()

    def run(self, request: Request, state: RunState) -> list[Output]:
        import io

        import torch
        from PIL import Image

        size, contrast = request.params["size"], request.params["contrast"]
        # The noise comes from a CPU generator seeded with request.seed, so the same seed
        # gives the same image on every device.
        noise = torch.randn(1, 8, size // 4, size // 4,
                            generator=torch.Generator().manual_seed(request.seed))
        x = noise.to(device=self.device, dtype=self.dtype)
        layers = list(self.net)
        with torch.inference_mode():
            for step, layer in enumerate(layers, start=1):
                state.raise_if_cancelled()  # stop promptly when the user cancels
                x = layer(x)
                state.progress(step, len(layers), message=type(layer).__name__)
        x = ((x - 0.5) * contrast + 0.5).clamp(0, 1)
        pixels = (x[0].permute(1, 2, 0).float().cpu().numpy() * 255).round().astype("uint8")
        image = Image.fromarray(pixels, "RGB")
        state.progress(len(layers), len(layers), preview=encode_preview(image))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return [Output(kind="image", data=buffer.getvalue(), suffix=".png",
                       metadata={"width": size, "height": size, "contrast": contrast})]

    def unload(self) -> None:
        self.net = None
'''

TEST_PATTERN = '''"""Runs the generator, with its bundled model, through Genloom's conformance suite."""

import subprocess
import sys

import pytest
from genloom.sdk import ParameterError
from genloom.testing import check_generator


def test_plugin_loads_and_offers_its_generator_and_model(genloom_plugins):
    plugins = genloom_plugins(modules=["@name@.plugin"])
    assert plugins.plugins["@name@"].status == "loaded", plugins.plugins["@name@"].error
    assert "@name@.pattern" in plugins.generators
    assert "@name@.tiny-pattern" in plugins.models


def test_generator_meets_the_contract_with_the_bundled_model(genloom_plugins):
    plugins = genloom_plugins(modules=["@name@.plugin"])
    model = plugins.models["@name@.tiny-pattern"].to_ref()
    report = check_generator(plugins.generator("@name@.pattern"), {"size": 32}, model=model)
    (output,) = report.outputs
    assert output.suffix == ".png" and output.data.startswith(b"\\x89PNG")
    assert output.metadata["width"] == 32


def test_a_size_that_is_not_a_multiple_of_4_is_refused_before_loading(genloom_plugins):
    spec = genloom_plugins(modules=["@name@.plugin"]).generator("@name@.pattern")
    with pytest.raises(ParameterError, match="size: 30 is not a multiple of 4; use 28 or 32"):
        spec.validate_params({"size": 30})


def test_importing_the_plugin_loads_no_torch():
    code = "import sys, @name@.plugin; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
'''

MODEL_CARD = '''# Tiny pattern net

Three 3x3 convolutions (8 -> 16 -> 16 -> 3 channels, two bilinear 2x upsamplings)
that turn seeded noise into a colour pattern: a stand-in for your own model, showing
how a plugin ships weights and loads them.

- Weights: `model.safetensors`, written by `genloom plugin new --with-model` from a
  fixed seed (@seed@): normal values scaled by 1/sqrt(fan-in). Not trained.
- Size: @size@ bytes.
- Licence: the plugin's (see LICENSE).
'''

README = '''# @title@

A Genloom plugin (plugin API @api@).

    pip install -e ".[test]"     # into the same environment as Genloom
    pytest                        # the conformance suite
    genloom plugin validate src/@name@   # the manifest against the code, and the contract
    genloom plugins               # shows @name@ as loaded
    genloom generate @example@

## Layout

- `src/@name@/plugin.py`: the entry module (hooks returning plain data; cheap to import)
- `src/@name@/generator.py`: the generator (heavy imports inside `load` and `run`)
- `src/@name@/genloom-plugin.toml`: the manifest Genloom reads without importing the plugin
@model_line@- `tests/`: the plugin's tests, on Genloom's test kit (`genloom.testing`)
- `ci.sh` and `.github/workflows/ci.yml`: the same checks, locally and on GitHub Actions

## Publishing

Build with `python -m build`; users install the wheel with `genloom plugins install
FILE.whl`, which refuses it if its requirements would change Genloom's own libraries.
'''

LICENSE = '''Choose a licence for this plugin and replace this file with its full text.

Common choices: Apache-2.0 or MIT for the code (https://choosealicense.com). Models and
data you ship may carry their own terms: say so in their model cards, and make sure
they allow redistribution.
'''

CI_SCRIPT = '''#!/bin/sh
# The checks of .github/workflows/ci.yml, runnable on your machine: install torch (CPU
# build) first, then Genloom, then this plugin; run its tests and `genloom plugin
# validate`. Each install step can be changed or skipped through the environment:
#   PYTHON=python3.11 ./ci.sh                 a particular interpreter
#   GENLOOM_CI_TORCH=skip GENLOOM_CI_GENLOOM=skip ./ci.sh
#                                             use the torch and Genloom already installed
#   GENLOOM_CI_GENLOOM=/path/to/genloom ./ci.sh
#                                             Genloom from a checkout instead of PyPI
#   GENLOOM_CI_PIP_ARGS="--no-index --find-links wheels" ./ci.sh
#                                             extra pip options (offline, a mirror...)
set -eu
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python}"
PIP_ARGS="${GENLOOM_CI_PIP_ARGS:-}"
TORCH="${GENLOOM_CI_TORCH:-torch --index-url https://download.pytorch.org/whl/cpu}"
GENLOOM="${GENLOOM_CI_GENLOOM:-genloom>=@genloom_version@}"

if [ "$TORCH" != skip ]; then
    # shellcheck disable=SC2086  # word splitting is wanted: a spec plus pip options
    "$PYTHON" -m pip install $PIP_ARGS $TORCH
fi
if [ "$GENLOOM" != skip ]; then
    # shellcheck disable=SC2086
    "$PYTHON" -m pip install $PIP_ARGS "$GENLOOM"
fi
# shellcheck disable=SC2086
"$PYTHON" -m pip install $PIP_ARGS -e ".[test]"
"$PYTHON" -m pytest -q tests
if [ "${GENLOOM_CI_SKIP_VALIDATE:-}" = 1 ]; then
    echo "ci.sh: genloom plugin validate skipped (GENLOOM_CI_SKIP_VALIDATE=1)"
else
    "$PYTHON" -m genloom plugin validate src/@name@
fi
'''

CI_WORKFLOW = '''# Runs the plugin's tests and `genloom plugin validate` on every push and pull request
# (ci.sh does the same on your machine).
name: ci

on:
  push:
  pull_request:

jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python-version: ["3.11", "3.12"]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python-version }}
      - name: Install torch (CPU build) first, so Genloom does not pull the CUDA one
        run: python -m pip install torch --index-url https://download.pytorch.org/whl/cpu
      - name: Install Genloom
        run: python -m pip install "genloom>=@genloom_version@"
      - name: Install the plugin with its test extra
        run: python -m pip install -e ".[test]"
      - name: Conformance tests
        run: python -m pytest -q tests
        env:
          QT_QPA_PLATFORM: offscreen
      - name: genloom plugin validate
        run: python -m genloom plugin validate src/@name@
'''

GITIGNORE = '''__pycache__/
*.egg-info/
build/
dist/
.venv/
'''
