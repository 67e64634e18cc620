"""Plugin manifests: what a plugin offers, read without importing it.

A plugin ships ``genloom-plugin.toml`` in its package folder, beside its entry
module (as package data)::

    name = "image"                 # the plugin name, also the generator id prefix
    display_name = "Image"
    api = "1.2"                    # the oldest genloom.sdk API_VERSION it works with
    [[generators]]
    id = "image.text_to_image"
    modality = "image"             # the output modality
    title = "Text to image"
    [[models]]                     # bundled models, optional
    id = "image.emoji-ldm-32"
    path = "models/emoji-ldm-32"   # relative to the package folder

Reading one never runs the plugin's code, so the app can list what a plugin
claims to offer before loading any, and a plugin whose import fails still shows
what it would offer. This module owns the format, finding the file and the rules
(the id rules, and that the manifest matches what the code registers).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genloom.sdk.errors import GenloomError

__all__ = ["MANIFEST_FILE", "ManifestError", "ManifestGenerator", "ManifestModel", "PluginManifest",
           "api_supported", "find_manifest", "manifest_data", "manifest_from_data", "manifest_mismatches",
           "read_manifest", "check_generator_id"]

MANIFEST_FILE = "genloom-plugin.toml"

#: A plugin name: lower case, starting with a letter (it is also the generator id prefix).
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_API = re.compile(r"^(\d+)\.(\d+)$")


class ManifestError(GenloomError):
    """A manifest that cannot be read or breaks the format; the message names the file and the field."""


@dataclass(frozen=True)
class ManifestGenerator:
    """One generator a manifest declares."""

    id: str
    modality: str
    title: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "modality": self.modality, "title": self.title}


@dataclass(frozen=True)
class ManifestModel:
    """One bundled model a manifest declares; ``path`` is relative to the package folder."""

    id: str
    path: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "path": self.path}


@dataclass(frozen=True)
class PluginManifest:
    """A parsed, checked ``genloom-plugin.toml``; ``file`` is where it was read from."""

    name: str
    display_name: str
    api: str
    file: Path
    generators: tuple[ManifestGenerator, ...] = ()
    models: tuple[ManifestModel, ...] = field(default=())

    @property
    def folder(self) -> Path:
        """The package folder (model paths are relative to it)."""
        return self.file.parent

    def model_path(self, model: ManifestModel) -> Path:
        """Where a declared model lies: inside the package folder (checked when read)."""
        return self.folder / model.path

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "display_name": self.display_name, "api": self.api,
                "file": str(self.file), "generators": [g.to_dict() for g in self.generators],
                "models": [m.to_dict() for m in self.models]}


def check_generator_id(generator_id: str, plugin: str) -> str | None:
    """Why ``generator_id`` breaks the id rules for ``plugin``, or None when it keeps them.

    The rules: lower case and dotted, and prefixed by the plugin's name and a dot, so a
    plugin cannot register generators under another plugin's name.
    """
    from genloom.sdk.names import ID_PATTERN

    if not ID_PATTERN.match(generator_id):
        return f"generator id {generator_id!r} must be dotted lower case, like '{plugin}.text_to_image'"
    if not generator_id.startswith(plugin + "."):
        tail = generator_id.split(".", 1)[-1]
        return (f"generator id {generator_id!r} does not start with its plugin's name {plugin!r} "
                f"and a dot; name it '{plugin}.{tail}'")
    return None


def api_supported(required: str, available: str) -> bool:
    """Whether an SDK of version ``available`` serves a plugin asking for ``required``
    (same major version, minor at least the one asked for)."""
    need, have = _API.match(required), _API.match(available)
    if need is None or have is None:
        return False
    return need.group(1) == have.group(1) and int(have.group(2)) >= int(need.group(2))


def read_manifest(file: Path) -> PluginManifest:
    """Parse and check the manifest at ``file``.

    :raises ManifestError: unreadable TOML, a missing or mistyped field, an id that breaks
        the rules, or a model path that leaves the package folder.
    """
    file = Path(file)
    return manifest_from_data(manifest_data(file), file)


def manifest_data(file: Path) -> dict[str, Any]:
    """The TOML of the manifest at ``file``, parsed but not checked (:func:`manifest_from_data`
    checks it; the plugin index keeps it, so a listing need not parse TOML again).

    :raises ManifestError: the file cannot be read or is not valid TOML.
    """
    try:
        return _toml_loads(Path(file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"{file}: cannot be read ({exc.strerror or exc})") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError is a ValueError
        raise ManifestError(f"{file}: not valid TOML: {exc}") from None


def manifest_from_data(data: dict[str, Any], file: Path) -> PluginManifest:
    """Check the parsed manifest ``data`` of ``file`` (:func:`read_manifest` without the reading).

    :raises ManifestError: a missing or mistyped field, an id that breaks the rules, or a
        model path that leaves the package folder.
    """
    file = Path(file)
    name = _text(data, "name", file)
    if not _NAME.match(name):
        raise ManifestError(f"{file}: name {name!r} must be lower case letters, digits and _, "
                            "starting with a letter")
    display_name = _text(data, "display_name", file, default=name)
    api = _text(data, "api", file)
    if not _API.match(api):
        raise ManifestError(f"{file}: api {api!r} is not a version like \"1.2\" "
                            "(the genloom.sdk API_VERSION the plugin needs)")
    generators = []
    for i, item in enumerate(_tables(data, "generators", file)):
        where = f"generators[{i}]"
        gen = ManifestGenerator(id=_text(item, "id", file, where), modality=_text(item, "modality", file, where),
                                title=_text(item, "title", file, where))
        problem = check_generator_id(gen.id, name)
        if problem:
            raise ManifestError(f"{file}: {where}: {problem}")
        from genloom.sdk.names import MODALITIES

        if gen.modality not in MODALITIES:
            raise ManifestError(f"{file}: {where}: modality {gen.modality!r} is not one of "
                                f"{', '.join(MODALITIES)}")
        generators.append(gen)
    ids = [g.id for g in generators]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ManifestError(f"{file}: generator ids repeat: {', '.join(repeated)}")
    models = []
    for i, item in enumerate(_tables(data, "models", file)):
        where = f"models[{i}]"
        model = ManifestModel(id=_text(item, "id", file, where), path=_text(item, "path", file, where))
        relative = Path(model.path)
        if relative.is_absolute() or ".." in relative.parts or not model.path.strip():
            raise ManifestError(f"{file}: {where}: path {model.path!r} must be relative to the package "
                                "folder and stay inside it")
        models.append(model)
    return PluginManifest(name=name, display_name=display_name, api=api, file=file,
                          generators=tuple(generators), models=tuple(models))


def find_manifest(location: str, source: str) -> Path | None:
    """The manifest of a plugin found at ``location``, found without importing anything.

    ``source`` is how it was found: ``"folder"`` (``location`` is a package folder or a
    ``.py`` file) or ``"entry point"`` / ``"module"`` (``location`` is a module name,
    ``package.module`` or ``package.module:attr``). The manifest lies in the folder of
    the package that holds the entry module (or in the package itself).
    """
    if source == "folder":
        path = Path(location)
        folder = path if path.is_dir() else None  # a lone .py file has no folder of its own
        return _existing(folder / MANIFEST_FILE) if folder is not None else None
    module = location.split(":", 1)[0].strip()
    parts = module.split(".")
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    try:
        # find_spec of a top-level name only looks; it imports nothing.
        top = sys.modules.get(parts[0])
        spec = importlib.util.find_spec(parts[0]) if top is None else getattr(top, "__spec__", None)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for base in spec.submodule_search_locations:
        package = Path(base).joinpath(*parts[1:])
        # "pkg.plugin" -> pkg/ (plugin.py is the entry module); "pkg.sub" may be a package itself.
        # Never above the top-level package: site-packages holds no plugin's manifest.
        folders = ((package,) if package.is_dir() else ()) + ((package.parent,) if len(parts) > 1 else ())
        for folder in folders:
            found = _existing(folder / MANIFEST_FILE)
            if found is not None:
                return found
    return None


def manifest_mismatches(manifest: PluginManifest, plugin: str, generators: Iterable[Any],
                        models: Iterable[Any]) -> list[str]:
    """Where ``manifest`` and what the plugin's code registered disagree (empty when they match).

    ``generators`` are GeneratorSpecs and ``models`` BundledModels, as the hooks returned them.
    """
    problems = []
    if manifest.name != plugin:
        problems.append(f"the manifest names the plugin {manifest.name!r}, but it is loaded as {plugin!r}")
    declared = {g.id: g for g in manifest.generators}
    registered = {g.id: g for g in generators}
    for gid in sorted(set(registered) - set(declared)):
        problems.append(f"generator {gid} is registered by the code but not declared in the manifest")
    for gid in sorted(set(declared) - set(registered)):
        problems.append(f"generator {gid} is declared in the manifest but the code does not register it")
    for gid in sorted(set(declared) & set(registered)):
        want, got = declared[gid], registered[gid]
        if want.modality != got.modality:
            problems.append(f"generator {gid}: the manifest says modality {want.modality!r}, "
                            f"the code {got.modality!r}")
        if want.title != got.title:
            problems.append(f"generator {gid}: the manifest says title {want.title!r}, the code {got.title!r}")
    shipped = {m.id: m for m in manifest.models}
    bundled = {m.id: m for m in models}
    for mid in sorted(set(bundled) - set(shipped)):
        problems.append(f"model {mid} is registered by the code but not declared in the manifest")
    for mid in sorted(set(shipped) - set(bundled)):
        problems.append(f"model {mid} is declared in the manifest but the code does not register it")
    for mid in sorted(set(shipped) & set(bundled)):
        want_path = manifest.model_path(shipped[mid]).resolve()
        if Path(bundled[mid].path).resolve() != want_path:
            problems.append(f"model {mid}: the manifest's path is {want_path}, the code's {bundled[mid].path}")
    return problems


def _existing(path: Path) -> Path | None:
    return path if path.is_file() else None


def _toml_loads(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib.loads(text)


def _text(data: dict[str, Any], key: str, file: Path, where: str = "", default: str | None = None) -> str:
    value = data.get(key, default)
    label = f"{where}.{key}" if where else key
    if value is None:
        raise ManifestError(f"{file}: {label} is missing; add {key} = \"...\"")
    if not isinstance(value, str):
        raise ManifestError(f"{file}: {label} is {value!r}, not a string; write it in quotes")
    return value


def _tables(data: dict[str, Any], key: str, file: Path) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ManifestError(f"{file}: {key} must be a list of tables, written [[{key}]]")
    return value
