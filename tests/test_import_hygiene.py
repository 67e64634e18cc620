"""Layering rules, enforced: no Qt outside genloom._qt, no model library at import."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("PySide6", "shiboken6", "torch", "diffusers", "transformers", "onnxruntime", "av", "cv2",
         # provenance: content credentials, XMP, the watermark (genloom.core.credentials)
         "c2pa", "pyexiv2", "imwatermark",
         # storyboard exchange with editors (genloom.core.boards.exchange)
         "opentimelineio",
         # audio: symbolic music, the synthesiser, loudness (genloom_audio, genloom.sdk.audio)
         "music21", "mido", "fluidsynth", "pyloudnorm",
         # the optional extras: the local API (genloom.api) and the Ray executor
         "starlette", "uvicorn", "ray")


def _builtin_plugin_entry_modules() -> list[str]:
    from importlib.metadata import entry_points

    return [ep.value.split(":")[0] for ep in entry_points(group="genloom.plugins") if ep.dist.name == "genloom"]


def test_importing_the_engine_and_plugins_loads_no_qt_and_no_model_library():
    modules = ["genloom", "genloom.sdk", "genloom.core", "genloom.core.plugins", "genloom.core.project",
               "genloom.core.jobs.engine", "genloom.core.jobs.worker", "genloom.cli.main",
               "genloom.cli.commands", "genloom.testing", "genloom.core.serving.openai_compat",
               "genloom.core.serving.hub", "genloom.core.serving.token", "genloom.core.jobs.executors",
               "genloom.core.jobs.ray_executor", "genloom.api.app", "genloom.api.server",
               "genloom.api.openai_routes", *_builtin_plugin_entry_modules()]
    assert "genloom_procedural.plugin" in modules
    code = (
        "import json, sys\n"
        f"for name in {modules!r}: __import__(name)\n"
        "from genloom.core.plugins import PluginManager\n"
        "PluginManager().load()\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _top_level_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _sources() -> list[Path]:
    return sorted((ROOT / "desktop").rglob("*.py")) + sorted((ROOT / "plugins").rglob("*.py"))


def test_only_genloom_qt_imports_pyside6():
    offenders = [
        str(path.relative_to(ROOT)) for path in _sources()
        if "_qt" not in path.parts and any(n.split(".")[0] in ("PySide6", "shiboken6") for n in _imports(path))
    ]
    assert offenders == []


def test_no_module_imports_a_model_library_at_module_level():
    # Training and export scripts (plugins/*/training/, tools/) are not modules of the app:
    # they are run by hand, are not shipped, and may import torch at the top.
    offenders = [
        str(path.relative_to(ROOT)) for path in _sources()
        if "training" not in path.parts
        and any(n.split(".")[0] in HEAVY[2:] for n in _top_level_imports(path))
    ]
    assert offenders == []


def test_core_and_sdk_never_import_a_front_end():
    offenders = []
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(("desktop/genloom/sdk/", "desktop/genloom/core/")):
            bad = [n for n in _imports(path) if n.startswith(("genloom._qt", "genloom.cli", "genloom.api"))]
            if rel.startswith("desktop/genloom/sdk/"):
                bad += [n for n in _imports(path) if n.startswith("genloom.core")]
            if bad:
                offenders.append((rel, bad))
    assert offenders == []


def test_plugins_import_only_the_sdk_from_genloom():
    offenders = []
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        bad = [n for n in _imports(path) if n.startswith("genloom.") and not n.startswith("genloom.sdk")]
        if bad:
            offenders.append((path.relative_to(ROOT).as_posix(), bad))
    assert offenders == []


def _plugin_packages() -> set[str]:
    """The top-level packages of the built-in plugins (from their entry points)."""
    return {module.split(".")[0] for module in _builtin_plugin_entry_modules()}


def test_no_plugin_imports_another_plugins_package():
    """A plugin reaches nothing of another plugin: what two plugins share lives in the SDK
    (genloom.sdk.lm for the text, code and music generators). Training scripts count too,
    including the folders they put on sys.path."""
    plugins = _plugin_packages()
    assert {"genloom_text", "genloom_code", "genloom_image", "genloom_procedural", "genloom_video", "genloom_audio"} <= plugins
    offenders = []
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        owner = path.relative_to(ROOT / "plugins").parts[0]
        text = path.read_text(encoding="utf-8")
        bad = [n for n in _imports(path) if n.split(".")[0] in plugins - {owner}]
        bad += [f"sys.path -> {other}" for other in sorted(plugins - {owner})
                if f'"{other}"' in text and "sys.path" in text]
        if bad:
            offenders.append((path.relative_to(ROOT).as_posix(), bad))
    assert offenders == []


def test_plugins_holds_only_plugins_and_the_sdk_imports_none():
    """What plugins share (the language-model machinery of the text, code and music
    generators: genloom.sdk.lm) lives in the SDK, which third-party plugins get too; a
    package beside the plugins that is no plugin would be a second, private SDK."""
    plugins = _plugin_packages()
    packages = {p.name for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").is_file()}
    assert packages == plugins
    offenders = []
    for path in sorted((ROOT / "desktop" / "genloom" / "sdk").rglob("*.py")):
        bad = [n for n in _imports(path) if n.split(".")[0] in plugins or n.startswith("genloom_")]
        if bad:
            offenders.append((path.relative_to(ROOT).as_posix(), bad))
    assert offenders == []


def test_the_api_imports_neither_the_shell_nor_the_cli():
    offenders = [(str(path.relative_to(ROOT)), name) for path in sorted((ROOT / "desktop/genloom/api").rglob("*.py"))
                 for name in _imports(path) if name.startswith(("genloom._qt", "genloom.cli"))]
    assert offenders == []


def test_a_confirmed_generators_listing_skips_the_slow_imports(tmp_path):
    # `genloom generators`, listed from manifests a load confirmed (issue 21's CLI figure):
    # no TOML parsing, no pluggy, and none of what argparse's help formatter, tempfile or a
    # failure report would bring. Each of these was measured as a share of that start.
    import os

    env = {**os.environ, "GENLOOM_HOME": str(tmp_path / "home"), "COLUMNS": "100"}
    subprocess.run([sys.executable, "-m", "genloom", "generators"], env=env, check=True,
                   capture_output=True)  # the first listing loads every plugin and keeps the index
    slow = ("tomllib", "tomli", "pluggy", "shutil", "tempfile", "difflib", "traceback")
    code = (
        "import contextlib, io, json, sys\n"
        "from genloom.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out: code = main(['generators'])\n"
        "assert code == 0 and 'image.text_to_image' in out.getvalue(), out.getvalue()\n"
        f"print(json.dumps(sorted(m for m in {slow!r} if m in sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            check=True)
    assert json.loads(result.stdout) == []
