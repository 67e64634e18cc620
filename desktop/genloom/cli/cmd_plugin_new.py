"""``genloom plugin new NAME``: a working plugin package with tests, manifest and CI.

``--with-model`` makes an image generator that ships a small safetensors model (its
weights are written here, from a fixed seed, with numpy: no torch in this process).
"""

from __future__ import annotations

import keyword
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from genloom import __version__
from genloom.cli import main as codes
from genloom.cli import plugin_template as t
from genloom.sdk import API_VERSION
from genloom.sdk.errors import GenloomError

if TYPE_CHECKING:
    import argparse

#: The seed the template's pattern net weights come from (its model card says so).
PATTERN_SEED = 20240601


def plugin_new(args: argparse.Namespace) -> int:
    name = args.name
    if not name.isidentifier() or keyword.iskeyword(name) or name != name.lower():
        raise GenloomError(f"plugin name {name!r} must be a lower-case Python identifier, like my_sketches")
    with_model = bool(getattr(args, "with_model", False))
    parent = Path(args.dir).expanduser()
    dist = f"genloom-{name.replace('_', '-')}"
    root = parent / dist
    if root.exists():
        raise GenloomError(f"{root} already exists; choose another name or folder")
    if not parent.is_dir():
        raise GenloomError(f"{parent} is not a folder; create it first or choose another")
    values = {"name": name, "title": name.replace("_", " ").title(), "dist": dist,
              "genloom_version": __version__, "api": API_VERSION}
    # Written in a hidden folder beside the target and renamed at the end, so a failure
    # never leaves half a skeleton behind.
    staging = Path(tempfile.mkdtemp(prefix=f".{dist}-", dir=parent))
    try:
        for relative, text in _files(name, with_model, values).items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        (staging / "ci.sh").chmod(0o755)
        if with_model:
            size = _write_pattern_weights(staging / "src" / name / "models" / "tiny-pattern")
            card = _fill(t.MODEL_CARD, {**values, "seed": str(PATTERN_SEED), "size": str(size)})
            (staging / "src" / name / "models" / "tiny-pattern" / "MODEL_CARD.md").write_text(card, encoding="utf-8")
        staging.chmod(0o777 & ~_umask())  # mkdtemp made it private; the skeleton is not
        os.replace(staging, root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    print(f"created {root}")
    print(f"next: cd {root} && pip install -e '.[test]' && pytest")
    return codes.EXIT_OK


def _files(name: str, with_model: bool, values: dict[str, str]) -> dict[str, str]:
    if with_model:
        plugin, generator, test = t.PLUGIN_PATTERN, t.GENERATOR_PATTERN, t.TEST_PATTERN
        manifest_parts = {"generators": t.MANIFEST_PATTERN, "models": t.MANIFEST_MODELS}
        example = f"{name}.pattern --set size=128"
        model_line = f"- `src/{name}/models/tiny-pattern/`: the bundled model and its card\n"
    else:
        plugin, generator, test = t.PLUGIN_SHUFFLE, t.GENERATOR_SHUFFLE, t.TEST_SHUFFLE
        manifest_parts = {"generators": t.MANIFEST_SHUFFLE, "models": ""}
        example = f'{name}.shuffle --prompt "warp and weft" --set repeats=3'
        model_line = ""
    hooks = "genloom_register_generators" + (", genloom_register_models" if with_model else "")
    values = {**values, "example": example, "model_line": model_line, "hooks": hooks}
    manifest_values = {**values, **{k: _fill(v, values) for k, v in manifest_parts.items()}}
    files = {
        "pyproject.toml": t.PYPROJECT,
        "README.md": t.README,
        "LICENSE": t.LICENSE,
        "ci.sh": t.CI_SCRIPT,
        ".github/workflows/ci.yml": t.CI_WORKFLOW,
        ".gitignore": t.GITIGNORE,
        f"src/{name}/__init__.py": t.INIT,
        f"src/{name}/plugin.py": plugin,
        f"src/{name}/generator.py": generator,
        f"tests/test_{name}.py": test,
    }
    out = {path: _fill(text, values) for path, text in files.items()}
    out[f"src/{name}/genloom-plugin.toml"] = _fill(t.MANIFEST, manifest_values)
    return out


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace(f"@{key}@", value)
    return template


def _write_pattern_weights(folder: Path) -> int:
    """The template net's weights from a fixed seed: the same bytes on every machine."""
    import numpy as np
    from safetensors.numpy import save_file

    rng = np.random.default_rng(PATTERN_SEED)
    shapes = {"0": (16, 8, 3, 3), "3": (16, 16, 3, 3), "6": (3, 16, 3, 3)}
    gains = {"0": 2.0, "3": 1.5, "6": 1.0}  # larger early gains give livelier patterns
    tensors = {}
    for layer, shape in shapes.items():
        fan_in = shape[1] * shape[2] * shape[3]
        tensors[f"{layer}.weight"] = (rng.standard_normal(shape) * gains[layer] / np.sqrt(fan_in)).astype(np.float32)
        tensors[f"{layer}.bias"] = (rng.standard_normal(shape[0]) * 0.1).astype(np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.safetensors"
    # One metadata entry only: safetensors orders several differently from run to run, and
    # the same seed must give the same bytes. The seed is in the model card.
    save_file(tensors, str(path), metadata={"format": "pt"})
    path.chmod(0o666 & ~_umask())
    return path.stat().st_size


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
