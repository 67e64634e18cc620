"""Finding, loading and isolating plugins.

Plugins come from three places, in this order: the ``genloom.plugins`` entry
point group (built-in plugins use it exactly as third parties do), drop-in
folders (the user plugins folder, folders from settings and from
``GENLOOM_PLUGIN_PATH``), and module names given explicitly (tests, the
``genloom.testing`` fixtures). Each is loaded on its own inside try/except:
a plugin that fails to import, fails pluggy's validation, or whose hook raises
or returns the wrong thing is recorded as failed with its traceback, its
generators are not offered, and every other plugin loads as usual.

A plugin's manifest (``genloom-plugin.toml``, see :mod:`genloom.core.manifest`)
is read before its import: a plugin asking for a newer SDK than this one is not
imported, one whose import fails still lists the generators it declares, and
:meth:`PluginManager.survey` lists every plugin without importing any. The
manager also keeps a trace of where each plugin was found and what became of
it (``genloom plugins --trace``).

pluggy itself does not catch a plugin's exceptions, and a hook call across all
plugins stops at the first one that raises, so hooks are called one plugin at
a time here.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from genloom.core.manifest import (
    ManifestError,
    PluginManifest,
    api_supported,
    check_generator_id,
    find_manifest,
    manifest_data,
    manifest_from_data,
    manifest_mismatches,
)
from genloom.core.plugin_index import (
    PluginIndex,
    fingerprint_base,
    manifest_is_enough,
    plugin_fingerprint,
    read_entry_points,
    stat_of,
)
from genloom.sdk import API_VERSION
from genloom.sdk.errors import GenloomError, Remedy

if TYPE_CHECKING:
    import pluggy

    from genloom.core.settings import Settings
    from genloom.sdk.metrics import MetricSpec
    from genloom.sdk.models import BundledModel, ModelMatch
    from genloom.sdk.spec import GeneratorSpec

ENTRY_POINT_GROUP = "genloom.plugins"
#: Drop-in plugins are imported under this package prefix, so a plugin file
#: called ``json.py`` cannot shadow the standard library.
FOLDER_MODULE_PREFIX = "genloom_dropin_"
#: A module or folder plugin called ``genloom_x`` is the plugin ``x`` (the built-in
#: plugins' packages are named so), and its generator ids start with ``x.``.
PACKAGE_PREFIX = "genloom_"


def plugin_name_for(stem: str) -> str:
    """The plugin name of a module or folder called ``stem`` (``genloom_image`` -> ``image``)."""
    if stem.startswith(PACKAGE_PREFIX) and len(stem) > len(PACKAGE_PREFIX):
        return stem[len(PACKAGE_PREFIX):]
    return stem


class UnknownGeneratorError(GenloomError, KeyError):
    """No loaded plugin offers a generator with this id."""

    def __str__(self) -> str:
        return str(self.args[0])


class PluginDisabledError(UnknownGeneratorError):
    """The generator belongs to a plugin the user disabled (``plugin`` names it)."""

    def __init__(self, message: str, plugin: str) -> None:
        super().__init__(message, remedy=Remedy("enable_plugin", plugin))
        self.plugin = plugin


@dataclass
class PluginConfig:
    """Which plugins to load: plain data, so the worker process loads the same set."""

    entry_points: bool = True
    plugin_dirs: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    #: Why each folder of ``plugin_dirs`` is searched ("user plugins folder",
    #: "settings.plugin_dirs", "GENLOOM_PLUGIN_PATH"), for the trace.
    dir_origins: dict[str, str] = field(default_factory=dict)
    #: Keep and use the machine's plugin index (:mod:`genloom.core.plugin_index`): the app's
    #: own configuration does; a test's or a tool's explicit one leaves the data folder alone.
    use_index: bool = False

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> PluginConfig:
        """The configuration the app uses: settings plus environment.

        ``GENLOOM_DISABLE_PLUGINS`` (comma-separated names) adds to the disabled
        list; ``GENLOOM_PLUGIN_PATH`` (os.pathsep-separated folders) adds
        drop-in folders.
        """
        from genloom.core import paths

        origins = {str(paths.user_plugins_dir()): "user plugins folder"}
        disabled: list[str] = []
        if settings is not None:
            for folder in settings.plugin_dirs:
                origins.setdefault(str(folder), "settings.plugin_dirs")
            disabled += list(settings.disabled_plugins)
        for folder in os.environ.get("GENLOOM_PLUGIN_PATH", "").split(os.pathsep):
            if folder:
                origins.setdefault(folder, "GENLOOM_PLUGIN_PATH")
        disabled += [n.strip() for n in os.environ.get("GENLOOM_DISABLE_PLUGINS", "").split(",") if n.strip()]
        return cls(entry_points=True, plugin_dirs=list(origins), disabled=sorted(set(disabled)),
                   dir_origins=origins, use_index=True)

    def to_dict(self) -> dict[str, Any]:
        return {"entry_points": self.entry_points, "plugin_dirs": list(self.plugin_dirs),
                "modules": list(self.modules), "disabled": list(self.disabled),
                "dir_origins": dict(self.dir_origins), "use_index": self.use_index}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PluginConfig:
        return cls(**data)


@dataclass
class PluginRecord:
    """What the app knows about one plugin, loaded or not."""

    name: str
    source: str  # "entry point", "folder" or "module"
    location: str  # entry point value, file path or module name
    status: str = "loaded"  # "loaded", "failed" or "disabled"
    version: str = ""
    distribution: str = ""
    error: str = ""  # the traceback or the reason, when failed
    warnings: list[str] = field(default_factory=list)
    generators: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    #: The manifest file ("" when the plugin has none) and what it declares.
    manifest: str = ""
    display_name: str = ""
    declared: list[dict[str, str]] = field(default_factory=list)
    #: Why this place was searched ("entry point", "user plugins folder", ...).
    origin: str = ""
    metrics: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "location": self.location,
                "status": self.status, "version": self.version, "distribution": self.distribution,
                "error": self.error, "warnings": list(self.warnings),
                "generators": list(self.generators), "models": list(self.models),
                "manifest": self.manifest, "display_name": self.display_name or self.name,
                "declared_generators": [dict(g) for g in self.declared], "origin": self.origin,
                "metrics": list(self.metrics)}


    def generator_summary(self) -> str:
        """Its generators for a listing: the loaded ones, or (not loaded) what its
        manifest declares, marked unavailable."""
        if self.generators:
            return ", ".join(self.generators)
        declared = ", ".join(g["id"] for g in self.declared)
        if declared and self.status != "loaded":
            return f"{declared} (unavailable: plugin {self.status})"
        return declared


@dataclass
class TraceStep:
    """One plugin found during discovery, in the order found, and what became of it."""

    order: int
    name: str
    source: str
    location: str
    origin: str
    outcome: str  # "loaded", "disabled", "shadowed", "failed"
    reason: str = ""
    distribution: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"order": self.order, "name": self.name, "source": self.source, "location": self.location,
                "origin": self.origin, "outcome": self.outcome, "reason": self.reason,
                "distribution": self.distribution}


class PluginFailure(Exception):
    """Internal: why a plugin could not be used (becomes its record's error)."""


@dataclass
class _Candidate:
    name: str
    source: str
    location: str
    load: Callable[[], ModuleType]
    version: str = ""
    distribution: str = ""
    origin: str = ""


class PluginManager:
    """Loads plugins as :class:`PluginConfig` says and keeps what they offer."""

    def __init__(self, config: PluginConfig | None = None) -> None:
        self.config = config or PluginConfig()
        self.plugins: dict[str, PluginRecord] = {}
        self.generators: dict[str, GeneratorSpec] = {}
        self.models: dict[str, BundledModel] = {}
        self.trace: list[TraceStep] = []
        #: Evaluation metrics the plugins offer (core's own: :meth:`all_metrics`).
        self.metrics: dict[str, MetricSpec] = {}
        self._loaded = False
        self._index: PluginIndex | None = None
        #: Each plugin's fingerprint (see plugin_index), for those with a manifest.
        self._fingerprints: dict[str, str] = {}
        #: The manifest files the last discovery read (the index keeps only those).
        self._manifests_seen: set[str] = set()

    @functools.cached_property
    def pm(self) -> pluggy.PluginManager:
        """pluggy's manager, made when a plugin is first registered: listing from
        manifests (:meth:`survey`) needs neither pluggy nor the hook specifications."""
        import pluggy

        from genloom.sdk import hookspecs

        pm = pluggy.PluginManager("genloom")
        pm.add_hookspecs(hookspecs)
        return pm

    # -- loading -----------------------------------------------------------------

    def load(self) -> PluginManager:
        """Discover and load every plugin once; later calls do nothing."""
        if self._loaded:
            return self
        self._loaded = True
        self._discover(load=True)
        self._remember_clean_loads()
        return self

    def survey(self) -> list[PluginRecord]:
        """Every plugin as found, with what its manifest declares, importing none.

        Status is "disabled" or "not loaded" (or "failed" for a duplicate name or a
        broken manifest); a plugin without a manifest is listed with no generators.
        """
        if self._loaded:
            return list(self.plugins.values())
        return list(self._discover(load=False).values())

    def survey_confirmed(self) -> list[PluginRecord] | None:
        """:meth:`survey`, when every plugin not disabled may be listed from its manifest
        (:func:`~genloom.core.plugin_index.manifest_is_enough`: a clean load of the same code
        in the same environment); None when some plugin must be imported to know what it
        offers (no manifest, a change since, or it failed or warned last time)."""
        records = self.survey()
        if not self.config.use_index:
            return None
        index = self._plugin_index()
        for record in records:
            if record.status == "disabled":
                continue
            fingerprint = self._fingerprints.get(record.name)
            if record.status != "not loaded" or not manifest_is_enough(index, record.name, fingerprint):
                return None
        return records

    def _plugin_index(self) -> PluginIndex:
        if self._index is None:
            self._index = PluginIndex.default()
        return self._index

    def _remember_clean_loads(self) -> None:
        """Record in the index which plugins loaded cleanly, for :meth:`survey_confirmed`."""
        if not self.config.use_index:
            return
        index = self._plugin_index()
        for key, record in self.plugins.items():
            if record.status == "disabled":
                continue
            declared = sorted(g["id"] for g in record.declared)
            clean = (record.status == "loaded" and record.manifest and not record.warnings
                     and sorted(record.generators) == declared)
            fingerprint = self._fingerprints.get(key)
            if clean and fingerprint is not None:
                index.verdicts[key] = fingerprint
            else:
                index.verdicts.pop(key, None)
        index.save()

    def _discover(self, load: bool) -> dict[str, PluginRecord]:
        records = self.plugins if load else {}
        trace = self.trace if load else []
        disabled = set(self.config.disabled)
        base = fingerprint_base() if self.config.use_index else ""
        self._manifests_seen = set()
        for order, candidate in enumerate(self._candidates(), start=1):
            step = TraceStep(order, candidate.name, candidate.source, candidate.location, candidate.origin,
                             "loaded", distribution=candidate.distribution)
            trace.append(step)
            if candidate.name in records:
                first = records[candidate.name]
                step.outcome = "shadowed"
                step.reason = f"a plugin called {candidate.name!r} was already found at {first.location}"
                records.setdefault(f"{candidate.name} ({candidate.location})", PluginRecord(
                    name=candidate.name, source=candidate.source, location=candidate.location,
                    status="failed", version=candidate.version, distribution=candidate.distribution,
                    origin=candidate.origin,
                    error=(f"another plugin called {candidate.name!r} is already loaded from "
                           f"{first.location}; rename one of them or remove one"),
                ))
                continue
            record = PluginRecord(name=candidate.name, source=candidate.source,
                                  location=candidate.location, version=candidate.version,
                                  distribution=candidate.distribution, origin=candidate.origin)
            records[candidate.name] = record
            manifest = self._read_manifest(candidate, record)
            if manifest is not None and base:
                code = Path(candidate.location) if candidate.source == "folder" else manifest.folder
                self._fingerprints[candidate.name] = plugin_fingerprint(
                    base, code, [manifest.model_path(m) for m in manifest.models])
            if candidate.name in disabled:
                record.status = "disabled"
                step.outcome, step.reason = "disabled", "named in the disabled plugins"
                continue
            if record.status == "failed":
                step.outcome, step.reason = "failed", record.error.splitlines()[0]
                continue
            if not load:
                record.status = "not loaded"
                step.outcome = "not loaded"
                continue
            self._load_one(candidate, record, manifest)
            if record.status == "failed":
                step.outcome = "failed"
                lines = record.error.splitlines()
                step.reason = lines[-1] if len(lines) > 1 else lines[0]
        if self.config.use_index:
            index = self._plugin_index()
            index.manifests = {k: v for k, v in index.manifests.items() if k in self._manifests_seen}
            if not load:  # a load saves once, after it (_remember_clean_loads)
                index.save()
        return records

    def _read_manifest(self, candidate: _Candidate, record: PluginRecord) -> PluginManifest | None:
        """Read the candidate's manifest into its record (no import); None without one.

        A manifest asking for a newer plugin API marks the plugin failed: importing it
        would fail in ways its author could not have told the user about.
        """
        try:
            file = find_manifest(candidate.location, candidate.source)
        except OSError:
            file = None
        if file is None:
            return None
        record.manifest = str(file)
        index = self._plugin_index() if self.config.use_index else None
        try:
            data = index.manifest(file) if index is not None else None
            if data is None:
                stat = stat_of(file)
                data = manifest_data(file)
                if index is not None:
                    index.remember_manifest(file, stat, data)
            if index is not None:
                self._manifests_seen.add(str(file))
            manifest = manifest_from_data(data, file)
        except ManifestError as exc:
            record.warnings.append(f"manifest ignored: {exc}")
            return None
        record.display_name = manifest.display_name
        record.declared = [g.to_dict() for g in manifest.generators]
        if not api_supported(manifest.api, API_VERSION):
            record.status = "failed"
            record.error = (f"the plugin needs Genloom plugin API {manifest.api}, and this Genloom has "
                            f"{API_VERSION}; update Genloom, or install a version of the plugin made for "
                            f"API {API_VERSION}")
        return manifest

    def _load_one(self, candidate: _Candidate, record: PluginRecord,
                  manifest: PluginManifest | None = None) -> None:
        try:
            module = candidate.load()
        except BaseException as exc:  # noqa: BLE001 - a plugin may raise anything, even SystemExit
            if isinstance(exc, KeyboardInterrupt):
                raise
            record.status = "failed"
            record.error = f"import failed:\n{_format_exception(exc)}"
            return
        if not record.version:
            record.version = str(getattr(module, "__version__", "") or "")
        try:
            self.pm.register(module, name=candidate.name)
        except Exception as exc:
            record.status = "failed"
            record.error = f"invalid plugin:\n{_format_exception(exc)}"
            return
        try:
            self._check_hook_names(candidate.name, module)
            specs = self._collect_generators(candidate.name, record)
            models = self._collect_models(candidate.name)
            metrics = self._collect_metrics(candidate.name)
        except PluginFailure as exc:
            self.pm.unregister(name=candidate.name)
            record.status = "failed"
            record.error = str(exc)
            return
        for spec in specs:
            self.generators[spec.id] = spec
        for model in models:
            self.models[model.id] = model
        for metric in metrics:
            self.metrics[metric.id] = metric
        record.generators = [s.id for s in specs]
        record.models = [m.id for m in models]
        if manifest is not None:
            record.warnings += [f"manifest: {p}" for p in
                                manifest_mismatches(manifest, candidate.name, specs, models)]
        record.metrics = [m.id for m in metrics]

    def _check_hook_names(self, name: str, module: ModuleType) -> None:
        """A misspelt hook would silently never be called: refuse it, naming the close match."""
        from genloom.sdk import hookspecs

        known = [n for n in dir(hookspecs) if n.startswith("genloom_")]
        for attr in dir(module):
            if not attr.startswith("genloom_") or attr in known:
                continue
            if self.pm.parse_hookimpl_opts(module, attr) is None:
                continue  # a plain helper that merely shares the prefix
            close = _close_matches(attr, known, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; the hooks are {', '.join(known)}"
            raise PluginFailure(f"{attr} is not a Genloom hook{hint}")

    def _collect_generators(self, name: str, record: PluginRecord) -> list[GeneratorSpec]:
        from genloom.sdk.spec import GeneratorSpec

        result = self._call_one(name, "genloom_register_generators")
        specs = _as_list(result, GeneratorSpec, "genloom_register_generators", "GeneratorSpec")
        seen: set[str] = set()
        out = []
        for spec in specs:
            problem = check_generator_id(spec.id, name)
            if problem:
                raise PluginFailure(problem)
            if spec.id in self.generators or spec.id in seen:
                other = self.generators[spec.id].plugin if spec.id in self.generators else name
                raise PluginFailure(
                    f"generator id {spec.id!r} is already registered by plugin {other!r}; "
                    "generator ids must be unique (prefix them with the plugin name)"
                )
            seen.add(spec.id)
            out.append(replace(spec, plugin=name, plugin_version=record.version))
        return out

    def _collect_models(self, name: str) -> list[BundledModel]:
        from genloom.sdk.models import BundledModel

        result = self._call_one(name, "genloom_register_models")
        models = _as_list(result, BundledModel, "genloom_register_models", "BundledModel")
        for model in models:
            if not Path(model.path).exists():
                raise PluginFailure(
                    f"bundled model {model.id!r} is missing: {model.path} does not exist "
                    "(the plugin's installation is incomplete; reinstall it)"
                )
            if model.id in self.models:
                raise PluginFailure(f"model id {model.id!r} is already registered by another plugin")
        return models

    def _collect_metrics(self, name: str) -> list[MetricSpec]:
        from genloom.sdk.metrics import MetricSpec

        result = self._call_one(name, "genloom_register_metrics")
        metrics = _as_list(result, MetricSpec, "genloom_register_metrics", "MetricSpec")
        seen: set[str] = set()
        for metric in metrics:
            if metric.plugin != name:
                raise PluginFailure(f"metric id {metric.id!r} does not start with the plugin's name; "
                                    f"call it {name}.{metric.id.split('.', 1)[-1]}")
            if metric.id in seen:
                raise PluginFailure(f"metric id {metric.id!r} is registered twice")
            seen.add(metric.id)
        return metrics

    def all_metrics(self) -> dict[str, MetricSpec]:
        """Every metric by id: core's own (:mod:`genloom.core.evaluation.builtin`, through the
        same hook a plugin implements), then the loaded plugins'."""
        from genloom.core.evaluation import builtin

        self.load()
        found = dict(self.metrics)
        found.update({spec.id: spec for spec in builtin.genloom_register_metrics()})
        return found

    def _call_one(self, plugin_name: str, hook_name: str, **kwargs: Any) -> Any:
        """Call one plugin's implementation of a hook; None when it has none."""
        plugin = self.pm.get_plugin(plugin_name)
        caller = getattr(self.pm.hook, hook_name)
        for impl in caller.get_hookimpls():
            if impl.plugin is not plugin:
                continue
            args = {k: kwargs[k] for k in impl.argnames if k in kwargs}
            try:
                return impl.function(**args)
            except BaseException as exc:  # noqa: BLE001 - SystemExit from a hook must not end the app
                # Even KeyboardInterrupt: a hook returns plain data at once, so one raised
                # here is the plugin's doing, not the user's Ctrl-C.
                raise PluginFailure(f"hook {hook_name} raised:\n{_format_exception(exc)}") from exc
        return None

    # -- discovery -----------------------------------------------------------------

    def _candidates(self) -> Iterable[_Candidate]:
        if self.config.entry_points:
            yield from _entry_point_candidates(self._plugin_index() if self.config.use_index else None)
        for folder in self.config.plugin_dirs:
            origin = self.config.dir_origins.get(folder, "plugin folder")
            yield from _folder_candidates(Path(folder), f"{origin} {folder}")
        for entry in self.config.modules:
            name, module_name = _module_plugin_name(entry)
            yield _Candidate(name=name, source="module", location=module_name, origin="explicit module",
                             load=functools.partial(importlib.import_module, module_name))

    # -- queries -------------------------------------------------------------------

    def generator(self, generator_id: str) -> GeneratorSpec:
        """The spec for ``generator_id``; a clear error naming close matches if unknown."""
        self.load()
        try:
            return self.generators[generator_id]
        except KeyError:
            from genloom.core.internal import internal_generator

            internal = internal_generator(generator_id) if isinstance(generator_id, str) else None
            if internal is not None:
                return internal  # core's own (the draft cut): never listed, never a plugin's
            self._refuse_if_disabled(generator_id)
            close = _close_matches(generator_id, list(self.generators), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            failed = [r.name for r in self.plugins.values() if r.status == "failed"]
            if failed:
                hint += f" (plugins that failed to load: {', '.join(failed)})"
            raise UnknownGeneratorError(
                f"no generator called {generator_id!r}.{hint}",
                remedy=Remedy("list_plugins" if failed else "list_generators"),
            ) from None

    def _refuse_if_disabled(self, generator_id: object) -> None:
        """Raise PluginDisabledError when ``generator_id`` is a disabled plugin's (by its
        manifest, or by the id prefix every generator id carries)."""
        if not isinstance(generator_id, str):
            return
        for record in self.plugins.values():
            if record.status != "disabled":
                continue
            declared = {g["id"] for g in record.declared}
            if generator_id in declared or generator_id.startswith(record.name + "."):
                raise PluginDisabledError(
                    f"generator {generator_id!r} belongs to the plugin {record.name!r}, which is disabled",
                    record.name)

    def failed(self) -> list[PluginRecord]:
        return [r for r in self.plugins.values() if r.status == "failed"]

    def identify_model(self, path: Path) -> list[tuple[str, ModelMatch]]:
        """Ask every loaded plugin whether it recognises ``path``.

        A plugin whose hook raises is skipped, and the error is added to its
        record's warnings; the other plugins' answers are still returned.
        """
        from genloom.sdk.models import ModelMatch

        self.load()
        matches: list[tuple[str, ModelMatch]] = []
        for name, record in self.plugins.items():
            if record.status != "loaded":
                continue
            try:
                result = self._call_one(name, "genloom_identify_model", path=Path(path))
            except PluginFailure as exc:
                record.warnings.append(f"identifying {path}: {exc}")
                continue
            if isinstance(result, ModelMatch):
                matches.append((name, result))
            elif result is not None:
                record.warnings.append(
                    f"genloom_identify_model returned {type(result).__name__}, expected ModelMatch or None"
                )
        return matches


def set_plugin_enabled(settings: Settings, name: str, enabled: bool, known: Iterable[str]) -> bool:
    """Enable or disable the plugin ``name`` in ``settings`` (saved); False when it already was.

    ``known`` are the plugins found (:meth:`PluginManager.survey` names them without
    importing any). Disabling a name no plugin has is refused, naming the plugins, so a
    typo cannot pass for success; enabling works for any disabled name, even a plugin
    since removed, so the list can be cleaned.
    """
    disabled = set(settings.disabled_plugins)
    if enabled:
        if name not in disabled:
            return False
        disabled.discard(name)
    else:
        names = sorted(set(known))
        if name not in names:
            close = _close_matches(name, names, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise UnknownPluginError(f"no plugin called {name!r}; {hint}the plugins are "
                                     f"{', '.join(names) or '(none)'}", remedy=Remedy("list_plugins"))
        if name in disabled:
            return False
        disabled.add(name)
    settings.disabled_plugins = sorted(disabled)
    settings.save()
    return True


class UnknownPluginError(GenloomError, KeyError):
    """No plugin has this name."""

    def __str__(self) -> str:
        return str(self.args[0])


def _entry_point_candidates(index: PluginIndex | None = None) -> Iterable[_Candidate]:
    """The entry point plugins: from ``index`` while the installed distributions are
    unchanged (reading every distribution's metadata is most of a listing's time)."""
    if index is not None:
        found = index.plugin_entry_points(ENTRY_POINT_GROUP)
        index.save()
    else:
        found = read_entry_points(ENTRY_POINT_GROUP)
    for ep in found:
        yield _Candidate(
            name=ep["name"], source="entry point", location=ep["value"],
            load=functools.partial(_load_entry_point, ep["name"], ep["value"]),
            version=ep["version"], distribution=ep["distribution"],
            origin=f"entry point of {ep['distribution'] or 'an unknown distribution'}",
        )


def _load_entry_point(name: str, value: str) -> Any:
    """What the entry point ``value`` (``module``, ``module:attr.attr``, extras ignored)
    names, as :meth:`importlib.metadata.EntryPoint.load` finds it, without importing
    :mod:`importlib.metadata` (a tenth of the app's start after its first paint) when the
    entry points came from the plugin index."""
    module_name, _, attrs = value.split("[", 1)[0].partition(":")
    module_name, attrs = module_name.strip(), attrs.strip()
    if not module_name:
        raise ImportError(f"entry point {name} = {value!r} names no module; write it as "
                          "'package.module' or 'package.module:attribute'")
    found: Any = importlib.import_module(module_name)
    for attr in filter(None, attrs.split(".")):
        found = getattr(found, attr)
    return found


def _folder_candidates(folder: Path, origin: str) -> Iterable[_Candidate]:
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(("_", ".")):
            continue
        if entry.is_dir() and (entry / "__init__.py").is_file():
            name, init, search = entry.name, entry / "__init__.py", [str(entry)]
        elif entry.is_file() and entry.suffix == ".py":
            name, init, search = entry.stem, entry, None
        else:
            continue
        if not name.isidentifier():
            continue
        yield _Candidate(name=plugin_name_for(name), source="folder", location=str(entry), origin=origin,
                         load=functools.partial(_import_file, name, init, search))


def _module_plugin_name(entry: str) -> tuple[str, str]:
    """``"name=package.module"`` or ``"package.module"`` -> (plugin name, module).

    Without an explicit name, the module's last component is the name, except
    for the conventional ``package.plugin``, which is named after the package.
    """
    if "=" in entry:
        name, module_name = (part.strip() for part in entry.split("=", 1))
        return name, module_name
    parts = entry.split(".")
    if len(parts) > 1 and parts[-1] == "plugin":
        return plugin_name_for(parts[-2]), entry
    return plugin_name_for(parts[-1]), entry


def _import_file(name: str, init: Path, search: list[str] | None) -> ModuleType:
    module_name = FOLDER_MODULE_PREFIX + name
    loaded = sys.modules.get(module_name)
    if loaded is not None:
        if Path(getattr(loaded, "__file__", "") or "") == init:
            return loaded
        # The plugin moved (or another folder has one of that name): import it afresh from
        # here, so its bundled model paths and code are the ones on disk now.
        for key in [k for k in sys.modules if k == module_name or k.startswith(module_name + ".")]:
            del sys.modules[key]
    spec = importlib.util.spec_from_file_location(module_name, init, submodule_search_locations=search)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import a plugin from {init}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def _close_matches(word: str, possibilities: Iterable[str], n: int) -> list[str]:
    """difflib's close matches, imported only when a name was not found."""
    import difflib

    return difflib.get_close_matches(word, list(possibilities), n=n)


#: Import a drop-in plugin file or package folder as Genloom does (``genloom plugin validate``).
import_plugin_file = _import_file


def _as_list(result: object, kind: type, hook: str, kind_name: str) -> list[Any]:
    if result is None:
        return []
    if not isinstance(result, (list, tuple)):
        raise PluginFailure(f"hook {hook} returned {type(result).__name__}; it must return a list of {kind_name}")
    for item in result:
        if not isinstance(item, kind):
            raise PluginFailure(
                f"hook {hook} returned a {type(item).__name__} in its list; every item must be a {kind_name}"
            )
    return list(result)


def _format_exception(exc: BaseException) -> str:
    import traceback  # only for a failure: a clean listing never needs it

    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
