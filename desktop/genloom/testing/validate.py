"""``genloom plugin validate``: the conformance checks on a plugin folder, without pytest.

The plugin is imported and run in a child process (so a plugin that hangs, exits or
imports torch cannot touch the caller), with the network blocked and every attempt
to reach it recorded. Checks, each passed or failed with its reason:

- ``import``: the entry module imports, and pluggy accepts its hooks (names and
  signatures against :mod:`genloom.sdk.hookspecs`);
- ``light import``: importing it loads none of torch, diffusers, transformers, onnxruntime;
- ``ids``: generator ids are lower case and start with the plugin's name and a dot;
- ``manifest``: ``genloom-plugin.toml`` is there, well formed, and matches the code;
- per generator, through :func:`genloom.testing.check_generator` with the defaults (and a
  sample text where a text parameter's default is refused, such as an empty prompt): ``contract`` (spec,
  validation, load/run/unload, outputs, progress), ``same seed, same bytes`` and
  ``cancel honoured``;
- ``no network``: nothing tried to open a network connection.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["HEAVY_MODULES", "CheckResult", "ValidationReport", "validate_plugin"]

#: What a plugin's entry module must not import (they load with a model, in the worker).
HEAVY_MODULES = ("torch", "diffusers", "transformers", "onnxruntime")
_MARKER = "GENLOOM-VALIDATE-REPORT:"


@dataclass
class CheckResult:
    """One check: its name, whether it passed, and why not (or what was seen)."""

    name: str
    passed: bool
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "reason": self.reason}


@dataclass
class ValidationReport:
    """Every check run on one plugin; ``ok`` when all passed."""

    path: str
    plugin: str
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "plugin": self.plugin, "ok": self.ok,
                "checks": [c.to_dict() for c in self.checks]}


def validate_plugin(path: str | Path, *, timeout: float = 600.0) -> ValidationReport:
    """Validate the plugin at ``path`` (a package folder or a module file) in a child process.

    :raises FileNotFoundError: ``path`` is not a plugin folder (with ``__init__.py``) or ``.py`` file.
    """
    from genloom.core.plugins import plugin_name_for

    path = Path(path).expanduser().resolve()
    _entry(path)  # refuse a path that is no plugin before starting anything
    report = ValidationReport(str(path), plugin_name_for(path.stem if path.is_file() else path.name))
    from genloom.sdk.runtime import thread_pool_environment

    # The checks run the plugin's generators: in the worker's thread-pool settings.
    env = {**thread_pool_environment(os.environ), "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        child = subprocess.run([sys.executable, "-m", "genloom.testing.validate", str(path)],
                               capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        report.checks.append(CheckResult("finishes", False, f"the checks did not finish in {timeout:.0f} s "
                                         "(does a generator hang or ignore cancel?)"))
        return report
    for line in child.stdout.splitlines():
        if line.startswith(_MARKER):
            data = json.loads(line[len(_MARKER):])
            report.checks = [CheckResult(**c) for c in data["checks"]]
            return report
    tail = (child.stderr or child.stdout).strip().splitlines()[-3:]
    report.checks.append(CheckResult("finishes", False, f"the checking process ended with code "
                                     f"{child.returncode} before reporting: {' / '.join(tail)}"))
    return report


def _entry(path: Path) -> tuple[Path, list[str] | None]:
    if path.is_dir() and (path / "__init__.py").is_file():
        return path / "__init__.py", [str(path)]
    if path.is_file() and path.suffix == ".py":
        return path, None
    raise FileNotFoundError(f"{path} is not a plugin: give a package folder (with __init__.py) "
                            "or a module file (.py)")


# -- the child process ------------------------------------------------------------------------------

def _block_network(attempts: list[str]) -> None:
    """Make every network connection fail, recording who tried (local Unix sockets are allowed)."""
    import socket

    def refuse(what: str) -> None:
        attempts.append(what)
        raise OSError(f"network access blocked by genloom plugin validate ({what})")

    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> Any:
        if sock.family == getattr(socket, "AF_UNIX", None):
            return real_connect(sock, address)
        refuse(f"connect to {address!r}")

    def connect_ex(sock: socket.socket, address: Any) -> Any:
        return connect(sock, address)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.create_connection = lambda address, *a, **k: refuse(f"connection to {address!r}")  # type: ignore[assignment]
    socket.getaddrinfo = lambda host, *a, **k: refuse(f"name lookup of {host!r}")  # type: ignore[assignment]


def _child(path: Path) -> list[CheckResult]:
    import traceback

    attempts: list[str] = []
    _block_network(attempts)
    from genloom.core.manifest import (
        ManifestError,
        find_manifest,
        manifest_mismatches,
        read_manifest,
    )
    from genloom.core.plugins import (
        FOLDER_MODULE_PREFIX,
        PluginConfig,
        PluginManager,
        import_plugin_file,
        plugin_name_for,
    )

    init, search = _entry(path)
    stem = path.stem if path.is_file() else path.name
    name = plugin_name_for(stem)
    checks: list[CheckResult] = []
    already = [m for m in HEAVY_MODULES if m in sys.modules]
    # A package that imports itself by name (``from my_plugin.generator import ...``) finds
    # itself from its folder even when not installed; appended, so nothing here shadows a module.
    sys.path.append(str(path.parent))
    try:
        import_plugin_file(stem, init, search)
    except BaseException as exc:  # noqa: BLE001 - a plugin may raise anything at import
        if isinstance(exc, KeyboardInterrupt):
            raise
        checks.append(CheckResult("import", False, "".join(traceback.format_exception_only(type(exc), exc)).strip()))
        return checks + _network(attempts)
    heavy = [m for m in HEAVY_MODULES if m in sys.modules and m not in already]
    light = CheckResult("light import", not heavy, (
        f"importing the plugin imported {', '.join(heavy)}; import them inside the generator's load()"
        if heavy else "imports none of " + ", ".join(HEAVY_MODULES)))
    manager = PluginManager(PluginConfig(entry_points=False, modules=[f"{name}={FOLDER_MODULE_PREFIX}{stem}"]))
    manager.load()
    record = manager.plugins[name]
    id_failure = record.status == "failed" and "generator id" in record.error
    if record.status == "failed" and not id_failure:
        checks.append(CheckResult("import", False, record.error.strip().splitlines()[-1] if record.error else ""))
        return checks + [light] + _network(attempts)
    checks.append(CheckResult("import", True, "imports; pluggy accepts its hooks"))
    checks.append(light)
    checks.append(CheckResult("ids", not id_failure, record.error.strip() if id_failure else
                              f"every generator id starts with {name}."))
    manifest_file = find_manifest(str(path), "folder")
    if manifest_file is None:
        how = ("make the plugin a package folder and put one beside its __init__.py" if path.is_file()
               else "write one beside __init__.py")
        checks.append(CheckResult("manifest", False, f"no genloom-plugin.toml: {how} "
                                  "(docs/plugins.md, \"The manifest\")"))
    else:
        try:
            manifest = read_manifest(manifest_file)
        except ManifestError as exc:
            checks.append(CheckResult("manifest", False, str(exc)))
        else:
            specs = [manager.generators[g] for g in record.generators]
            models = [manager.models[m] for m in record.models]
            problems = manifest_mismatches(manifest, name, specs, models)
            checks.append(CheckResult("manifest", not problems, "; ".join(problems) or "matches the code"))
    for generator_id in record.generators:
        checks += _generator_checks(manager, generator_id)
    return checks + _network(attempts)


def _generator_checks(manager: Any, generator_id: str) -> list[CheckResult]:
    from genloom.testing.conformance import check_generator

    spec = manager.generators[generator_id]
    if any(item.required for item in spec.inputs):
        return [CheckResult(f"{generator_id}: contract", True,
                            "skipped: it needs input assets; run check_generator with inputs in your tests")]
    model = None
    if spec.default_model in manager.models:
        model = manager.models[spec.default_model].to_ref()
    elif spec.default_model:
        return [CheckResult(f"{generator_id}: contract", True, f"skipped: its default model "
                            f"{spec.default_model} is not bundled; run check_generator with a model in your tests")]
    params = _sample_params(spec)
    # (check, check_determinism, check_cancel): one check_generator run each, so each passes or fails alone.
    runs = [("contract", False, False)]
    if spec.uses_seed:
        runs.append(("same seed, same bytes", True, False))
    runs.append(("cancel honoured", False, True))
    results = []
    with tempfile.TemporaryDirectory(prefix="genloom-validate-") as scratch:
        for i, (check, determinism, cancel) in enumerate(runs):
            try:
                check_generator(spec, params, model=model, workdir=Path(scratch) / str(i),
                                check_determinism=determinism, check_cancel=cancel)
            except AssertionError as exc:
                results.append(CheckResult(f"{generator_id}: {check}", False, str(exc)))
            except Exception as exc:  # noqa: BLE001 - report the plugin's error, do not stop
                results.append(CheckResult(f"{generator_id}: {check}", False, f"{type(exc).__name__}: {exc}"))
            else:
                results.append(CheckResult(f"{generator_id}: {check}", True))
    return results


def _sample_params(spec: Any) -> dict[str, Any]:
    """The defaults, plus a sample text for each text parameter whose default is refused
    (a prompt that must not be empty): the checks run what a user could submit."""
    from genloom.sdk import ParameterError, StringParam

    params: dict[str, Any] = {}
    for _ in spec.params:
        try:
            spec.validate_params(params)
            return params
        except ParameterError as exc:
            try:
                param = spec.param(exc.param)
            except KeyError:
                return params
            if not isinstance(param, StringParam) or exc.param in params:
                return params
            params[exc.param] = "warp and weft"
    return params


def _network(attempts: list[str]) -> list[CheckResult]:
    return [CheckResult("no network", not attempts, "; ".join(attempts[:3]) if attempts else
                        "nothing tried to reach the network")]


if __name__ == "__main__":
    found = _child(Path(sys.argv[1]))
    sys.stdout.flush()
    print(_MARKER + json.dumps({"checks": [c.to_dict() for c in found]}), flush=True)
