"""``genloom plugin new NAME``: a working plugin package with tests, ready to install."""

from __future__ import annotations

import keyword
from pathlib import Path
from typing import TYPE_CHECKING

from genloom import __version__
from genloom.cli import main as codes
from genloom.sdk import API_VERSION
from genloom.sdk.errors import GenloomError

if TYPE_CHECKING:
    import argparse

PYPROJECT = '''[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "A Genloom plugin"
requires-python = ">=3.10"
dependencies = ["genloom>={genloom_version}"]

[project.optional-dependencies]
test = ["pytest>=8"]

# Genloom finds the plugin through this entry point group.
[project.entry-points."genloom.plugins"]
{name} = "{name}.plugin"

[tool.setuptools.packages.find]
where = ["src"]
'''

INIT = '''"""{title}: a Genloom plugin."""

__version__ = "0.1.0"
'''

PLUGIN = '''"""The plugin's entry module: cheap to import, returns plain data.

Heavy libraries (torch, diffusers...) are imported in the generator's load(),
which runs in Genloom's worker process, never here.
"""

from __future__ import annotations

from genloom.sdk import API_VERSION, GeneratorSpec, IntParam, StringParam, hookimpl

if not API_VERSION.startswith("1."):
    raise ImportError(f"{name} is written for Genloom plugin API 1.x, not {{API_VERSION}}")


def _make_generator():
    from {name}.generator import ShuffleGenerator

    return ShuffleGenerator()


@hookimpl
def genloom_register_generators() -> list[GeneratorSpec]:
    return [
        GeneratorSpec(
            id="{name}.shuffle",
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

GENERATOR = '''"""The generator: load once, run per job, unload when Genloom drops it."""

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

TEST = '''"""Runs the generator through Genloom's conformance suite."""

from genloom.testing import check_generator


def test_plugin_loads_and_offers_its_generator(genloom_plugins):
    plugins = genloom_plugins(modules=["{name}.plugin"])
    assert plugins.plugins["{name}"].status == "loaded", plugins.plugins["{name}"].error
    assert "{name}.shuffle" in plugins.generators


def test_generator_meets_the_contract(genloom_plugins):
    plugins = genloom_plugins(modules=["{name}.plugin"])
    report = check_generator(plugins.generator("{name}.shuffle"), {{"prompt": "warp and weft", "repeats": 2}})
    assert report.outputs[0].text.count("\\n") == 1
'''

README = '''# {title}

A Genloom plugin (plugin API {api}).

    pip install -e ".[test]"     # into the same environment as Genloom
    pytest                        # the conformance suite
    genloom plugins               # shows {name} as loaded
    genloom generate {name}.shuffle --prompt "warp and weft" --set repeats=3
'''


def plugin_new(args: argparse.Namespace) -> int:
    name = args.name
    if not name.isidentifier() or keyword.iskeyword(name) or name != name.lower():
        raise GenloomError(f"plugin name {name!r} must be a lower-case Python identifier, like my_sketches")
    root = Path(args.dir).expanduser() / f"genloom-{name.replace('_', '-')}"
    if root.exists():
        raise GenloomError(f"{root} already exists; choose another name or --dir")
    title = name.replace("_", " ").title()
    values = {"name": name, "title": title, "dist": f"genloom-{name.replace('_', '-')}",
              "genloom_version": __version__, "api": API_VERSION}
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        f"src/{name}/__init__.py": INIT,
        f"src/{name}/plugin.py": PLUGIN,
        f"src/{name}/generator.py": GENERATOR,
        f"tests/test_{name}.py": TEST,
    }
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**values), encoding="utf-8")
    print(f"created {root}")
    print(f"next: cd {root} && pip install -e '.[test]' && pytest")
    return codes.EXIT_OK
