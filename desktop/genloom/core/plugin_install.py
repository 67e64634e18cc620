"""Installing, uninstalling and rolling back plugins without breaking Genloom.

A plugin is installed with pip into the environment Genloom runs in (this
interpreter's), under a constraints file that pins Genloom's core libraries at their
installed versions (:data:`genloom.core.plugin_env.PINNED`: torch with its exact build,
diffusers, transformers, ONNX Runtime, PySide6, pluggy, numpy, Genloom itself). pip
first resolves with ``--dry-run --report``: a plugin whose requirements conflict is
refused, naming the requirement, before anything changes. A snapshot of the
environment is recorded before every change, and :func:`rollback` puts it back:
it uninstalls what was added and reinstalls what was removed or changed (from the
recorded source file, or by version through pip's cache and the recorded indexes).

Front ends (the CLI, the app's Plugins dialog) call these functions; they do not
run pip themselves.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genloom.core.plugin_env import (
    EXCLUSIVE,
    PINNED,
    Changes,
    Installed,
    Snapshot,
    canonical,
    compare,
    constraints_text,
    discard_snapshot,
    find_snapshot,
    installed,
    list_snapshots,
    plugin_distributions,
    snapshots_dir,
    take_snapshot,
)
from genloom.sdk.errors import GenloomError

#: A requirement given by name: a distribution name, optional extras and version specifiers.
#: URLs and options are not accepted (a file or folder is given as a path).
REQUIREMENT = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
                         r"(?:\[[A-Za-z0-9._-]+(?:,[A-Za-z0-9._-]+)*\])?"
                         r"(?:\s*(?:===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+"
                         r"(?:\s*,\s*(?:===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+)*)?$")

#: Called with each line pip prints while it works (the app shows them; may be None).
OutputCallback = Callable[[str], None]


class PluginInstallError(GenloomError):
    """A plugin cannot be installed, uninstalled or rolled back; nothing was changed."""


class RequirementConflictError(PluginInstallError):
    """The plugin's requirements conflict with what Genloom needs; ``conflicts`` names them."""

    def __init__(self, message: str, conflicts: Sequence[str]) -> None:
        super().__init__(message)
        self.conflicts = list(conflicts)


@dataclass
class PipOptions:
    """Where pip looks for packages. Empty: pip's own configuration (index, environment)."""

    find_links: list[str] = field(default_factory=list)
    no_index: bool = False
    index_url: str = ""
    #: Build a project folder with the build tools already installed (offline installs).
    no_build_isolation: bool = False

    def args(self) -> list[str]:
        out: list[str] = []
        for link in self.find_links:
            # Absolute, so a rollback run from another folder finds the same wheels.
            out += ["--find-links", link if "://" in link else str(Path(link).expanduser().resolve())]
        if self.no_index:
            out.append("--no-index")
        if self.index_url:
            out += ["--index-url", self.index_url]
        if self.no_build_isolation:
            out.append("--no-build-isolation")
        return out


@dataclass
class ChangeResult:
    """What an install, uninstall or rollback did."""

    snapshot: Snapshot  # taken before the change; roll back to it to undo
    changes: Changes
    plugins: list[str] = field(default_factory=list)  # plugin names the change concerned


# -- the public operations ---------------------------------------------------------------


def install(target: str, options: PipOptions | None = None,
            on_output: OutputCallback | None = None) -> ChangeResult:
    """Install a plugin (a name with optional version, a wheel file, or a project folder).

    Refused before anything changes when its requirements conflict with a pinned
    library; after the install, anything unexpected (a pinned library changed, no
    Genloom plugin in what was asked for) rolls the environment back and is refused.
    """
    with _exclusive():
        return _install(target, options, on_output)


def _install(target: str, options: PipOptions | None, on_output: OutputCallback | None) -> ChangeResult:
    options = options or PipOptions()
    spec = _install_spec(target)
    before = installed()
    with _constraints_file(before) as constraints:
        plan = _resolve(spec, options, constraints)
        _check_plan(target, plan, before)
        snapshot = take_snapshot(f"install {target}", "install", _merge(options.args(), _known_options()))
        run = _pip(["install", "--constraint", constraints, *options.args(), "--", spec], on_output)
    after = installed()
    changes = compare(before, after)
    if run.returncode != 0:
        raise PluginInstallError(f"pip could not install {target} ({_pip_error(run.output)}); "
                                 + _undo(snapshot, on_output))
    problem = _check_after(target, plan, before, after)
    if problem:
        raise PluginInstallError(f"{problem}; " + _undo(snapshot, on_output))
    names = _plugins_of(set(changes.added) | set(changes.changed) | _requested(plan))
    return ChangeResult(snapshot=snapshot, changes=changes, plugins=names)


def uninstall(name: str, on_output: OutputCallback | None = None) -> ChangeResult:
    """Uninstall the distribution of the plugin ``name`` (a plugin or distribution name).

    Built-in plugins (part of Genloom's own distribution) and names that are not
    installed Genloom plugins are refused.
    """
    with _exclusive():
        return _uninstall(name, on_output)


def _uninstall(name: str, on_output: OutputCallback | None) -> ChangeResult:
    plugins = plugin_distributions()
    dist = plugins.get(name)
    if dist is None:
        by_dist = {canonical(d): d for d in plugins.values() if d}
        dist = by_dist.get(canonical(name))
    if dist is None:
        known = ", ".join(sorted(plugins)) or "none"
        raise PluginInstallError(f"{name!r} is not an installed Genloom plugin (installed plugins: "
                                 f"{known}); a plugin in a plugins folder is removed by deleting it there")
    if canonical(dist) == "genloom":
        raise PluginInstallError(f"{name!r} is built into Genloom and cannot be uninstalled; "
                                 "disable it instead")
    gone = sorted(p for p, d in plugins.items() if d == dist)
    before = installed()
    snapshot = take_snapshot(f"uninstall {dist}", "uninstall", _known_options())
    run = _pip(["uninstall", "--yes", "--", dist], on_output)
    after = installed()
    if run.returncode != 0:
        raise PluginInstallError(f"pip could not uninstall {dist} ({_pip_error(run.output)}); "
                                 + _undo(snapshot, on_output))
    return ChangeResult(snapshot=snapshot, changes=compare(before, after), plugins=gone)


def rollback(snapshot_id: str | None = None, options: PipOptions | None = None,
             on_output: OutputCallback | None = None) -> ChangeResult:
    """Put the environment back as snapshot ``snapshot_id`` (default: before the last change) recorded it.

    What must be reinstalled comes from the file it was installed from when that is still
    there, else from pip's cache, ``options`` and the places earlier installs used.
    """
    with _exclusive():
        return _rollback(snapshot_id, options, on_output)


def _rollback(snapshot_id: str | None, options: PipOptions | None,
              on_output: OutputCallback | None) -> ChangeResult:
    target = find_snapshot(snapshot_id)
    before = installed()
    extra = (options or PipOptions()).args()
    undo = take_snapshot(f"roll back to {target.id}", "rollback", _merge(extra, _known_options()))
    failures = _restore(target, on_output, undo.pip_options)
    after = installed()
    if failures:
        raise PluginInstallError("the environment could not be fully rolled back: " + "; ".join(failures))
    return ChangeResult(snapshot=undo, changes=compare(before, after))


# -- resolving and checking --------------------------------------------------------------


def _install_spec(target: str) -> str:
    """What to hand pip for ``target``: an absolute path for a file or folder, else a requirement."""
    text = target.strip()
    if not text:
        raise PluginInstallError("name a plugin to install: a package name, a wheel file or a project folder")
    not_a_name = PluginInstallError(f"{text!r} is not a package name (like genloom-sketches or "
                                    "genloom-sketches>=1.2), a wheel file or a project folder")
    if text.startswith("-") or "://" in text:  # pip options and URLs are not passed through
        raise not_a_name
    path = Path(text).expanduser()
    if path.exists():
        path = path.resolve()
        if path.is_file() and path.suffix == ".whl":
            return str(path)
        if path.is_dir() and any((path / f).is_file() for f in ("pyproject.toml", "setup.py", "setup.cfg")):
            return str(path)
        raise PluginInstallError(f"{path} is neither a wheel (.whl) nor a project folder (one with "
                                 "pyproject.toml); give a wheel file, a plugin's project folder or a "
                                 "package name")
    if text.endswith(".whl") or os.sep in text or (os.altsep and os.altsep in text):
        raise PluginInstallError(f"{text} does not exist; check the path of the wheel or folder")
    if not REQUIREMENT.match(text):
        raise not_a_name
    return text


def _resolve(spec: str, options: PipOptions, constraints: str) -> dict[str, Any]:
    """pip's installation report for ``spec`` under the constraints, changing nothing."""
    fd, report_path = tempfile.mkstemp(prefix="genloom-pip-report-", suffix=".json")
    os.close(fd)
    try:
        run = _pip(["install", "--dry-run", "--report", report_path, "--constraint", constraints,
                    *options.args(), "--", spec], None)
        report_text = Path(report_path).read_text(encoding="utf-8")
    finally:
        Path(report_path).unlink(missing_ok=True)
    if run.returncode != 0:
        conflicts = _conflicts(run.output)
        if conflicts:
            raise RequirementConflictError(
                f"{spec} cannot be installed without changing what Genloom needs: "
                f"{'; '.join(conflicts)}. Nothing was changed; ask the plugin's author for a "
                "release that works with these versions", conflicts)
        raise PluginInstallError(f"{spec} cannot be installed (nothing was changed): "
                                 f"{_pip_error(run.output)}")
    try:
        report = json.loads(report_text)
    except ValueError as exc:
        raise PluginInstallError(f"pip's installation report for {spec} is not JSON ({exc}); "
                                 "is pip 22.2 or newer installed?") from exc
    return report if isinstance(report, dict) else {}


def _planned(plan: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(name, version, requested) of each distribution the plan installs."""
    out = []
    for item in plan.get("install", []) or []:
        meta = item.get("metadata", {}) if isinstance(item, dict) else {}
        name, version = str(meta.get("name", "")), str(meta.get("version", ""))
        if name:
            out.append((name, version, bool(item.get("requested"))))
    return out


def _requested(plan: dict[str, Any]) -> set[str]:
    return {canonical(name) for name, _v, requested in _planned(plan) if requested}


def _check_plan(target: str, plan: dict[str, Any], current: dict[str, Installed]) -> None:
    """Refuse a plan that would change a pinned library or install a clashing twin of one."""
    conflicts = []
    for name, version, _ in _planned(plan):
        key = canonical(name)
        if key in PINNED and key in current and current[key].version != version:
            conflicts.append(f"it would replace {current[key].name} {current[key].version} with {version}")
        for a, b in EXCLUSIVE:
            other = b if key == a else a if key == b else None
            if other and other in current and key not in current:
                conflicts.append(f"it needs {name}, which would overwrite the installed "
                                 f"{current[other].name} (both install the same module)")
    if conflicts:
        raise RequirementConflictError(f"{target} cannot be installed without changing what Genloom "
                                       f"needs: {'; '.join(conflicts)}. Nothing was changed", conflicts)


def _check_after(target: str, plan: dict[str, Any], before: dict[str, Installed],
                 after: dict[str, Installed]) -> str:
    """Why the finished install must be undone, or "" when it is sound."""
    for key in PINNED:
        if key in before and (key not in after or after[key].version != before[key].version):
            now = after[key].version if key in after else "nothing"
            return f"installing {target} changed {before[key].name} {before[key].version} to {now}"
    requested = _requested(plan)
    ours = {canonical(d) for d in plugin_distributions().values() if d}
    if requested and not requested & ours:
        names = ", ".join(sorted(requested))
        return (f"{names} is not a Genloom plugin: it declares no entry point in the "
                "genloom.plugins group")
    return ""


def _plugins_of(dists: set[str]) -> list[str]:
    return sorted(p for p, d in plugin_distributions().items() if d and canonical(d) in dists)


# -- restoring a snapshot ----------------------------------------------------------------


def _restore(snapshot: Snapshot, on_output: OutputCallback | None,
             pip_options: list[str] | None = None) -> list[str]:
    """Make the environment match ``snapshot``; the problems met (empty when all went well)."""
    current = installed()
    diff = compare(snapshot.distributions, current)
    failures: list[str] = []
    extra = [d.name for d in diff.added.values() if _in_environment(d)]
    if extra:
        run = _pip(["uninstall", "--yes", "--", *sorted(extra)], on_output)
        if run.returncode != 0:
            failures.append(f"uninstalling {', '.join(extra)}: {_pip_error(run.output)}")
    wanted = list(diff.removed.values()) + [before for before, _after in diff.changed.values()]
    for dist in sorted(wanted, key=lambda d: d.name):
        spec = _reinstall_spec(dist)
        run = _pip(["install", "--no-deps", *(pip_options or snapshot.pip_options), "--", spec], on_output)
        if run.returncode != 0:
            failures.append(f"reinstalling {dist.name} {dist.version}: {_pip_error(run.output)}")
    return failures


def _undo(snapshot: Snapshot, on_output: OutputCallback | None) -> str:
    """Put a change that must not stand back as ``snapshot`` was; a sentence saying how it went.

    Undone, the change never happened, so its snapshot is dropped: "roll back to before the
    last change" then means the last change that stood.
    """
    failures = _restore(snapshot, on_output)
    if failures:
        return (f"undoing it failed too ({'; '.join(failures)}): roll back to the snapshot "
                f"{snapshot.id} when the cause is mended")
    discard_snapshot(snapshot)
    return "the change was undone, nothing is changed"


def _known_options() -> list[str]:
    """The pip options (--find-links, --index-url...) of every change recorded so far."""
    merged: list[str] = []
    for snapshot in list_snapshots():
        merged = _merge(merged, snapshot.pip_options)
    return merged


def _merge(first: list[str], second: list[str]) -> list[str]:
    """Two pip option lists as one, each option (with its value) once, ``first``'s first."""
    pairs: list[tuple[str, ...]] = []
    for options in (first, second):
        i = 0
        while i < len(options):
            takes_value = options[i] in ("--find-links", "--index-url", "--extra-index-url")
            item = tuple(options[i:i + 2]) if takes_value else (options[i],)
            i += len(item)
            if item[0] == "--index-url" and any(p[0] == "--index-url" for p in pairs):
                continue  # pip takes one index URL: the first given wins
            if item not in pairs:
                pairs.append(item)
    return [part for pair in pairs for part in pair]


def _in_environment(dist: Installed) -> bool:
    """Whether pip may remove ``dist``: it lives under this environment's prefix."""
    if not dist.location:
        return True
    try:
        return Path(dist.location).resolve().is_relative_to(Path(sys.prefix).resolve())
    except OSError:
        return False


def _reinstall_spec(dist: Installed) -> str:
    """The recorded source file when it is still there, else name==version for pip to find."""
    if dist.source.startswith("file://"):
        from urllib.parse import unquote, urlparse

        path = Path(unquote(urlparse(dist.source).path))
        if path.exists():
            return str(path)
    return f"{dist.name}=={dist.version}"


# -- one change at a time -----------------------------------------------------------------


@contextlib.contextmanager
def _exclusive() -> Iterator[None]:
    """Hold the environment's change lock (the app and a terminal must not run pip at once).

    An OS file lock, so it is released when the process ends, however it ends.
    """
    folder = snapshots_dir().parent
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "change.lock", "a+b") as handle:
        try:
            _lock(handle.fileno())
        except OSError:
            raise PluginInstallError("another plugin install, uninstall or rollback is running "
                                     "in this environment; try again when it has finished") from None
        try:
            yield
        finally:
            _unlock(handle.fileno())


def _lock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


# -- running pip -------------------------------------------------------------------------


@dataclass
class _PipRun:
    returncode: int
    output: str


def _pip(args: list[str], on_output: OutputCallback | None) -> _PipRun:
    """Run this interpreter's pip, its output and errors merged in the order pip printed
    them; stream each line to ``on_output``."""
    if getattr(sys, "frozen", False):
        raise PluginInstallError("this Genloom is a packaged application without pip: put plugins "
                                 "in the user plugins folder instead")
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    lines: list[str] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=env) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if on_output is not None:
                on_output(line.rstrip("\n"))
    return _PipRun(process.returncode, "".join(lines))


class _constraints_file:
    """A temporary constraints file for one operation (a context manager giving its path)."""

    def __init__(self, current: dict[str, Installed]) -> None:
        self.text = constraints_text(current)
        self.path = ""

    def __enter__(self) -> str:
        fd, self.path = tempfile.mkstemp(prefix="genloom-constraints-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(self.text)
        return self.path

    def __exit__(self, *exc: object) -> None:
        Path(self.path).unlink(missing_ok=True)


def _conflicts(stderr: str) -> list[str]:
    """The conflicting requirements pip names, as sentences."""
    lines = [line.strip() for line in stderr.splitlines()]
    found: list[str] = []
    if "The conflict is caused by:" in lines:
        start = lines.index("The conflict is caused by:") + 1
        block = []
        for line in lines[start:]:
            if not line:
                break
            block.append(line)
        depends = [b for b in block if " depends on " in b]
        user = [b for b in block if b.startswith("The user requested")]
        found += [_phrase_dependency(b, user) for b in depends] or block
    for line in lines:
        match = re.search(r"Could not find a version that satisfies the requirement (\S+)"
                          r"(?: \(from ([^)]*)\))?", line)
        # Only a pinned library that cannot be found is a conflict with Genloom; any other
        # missing package is plain unavailability (offline, a typo), reported as pip says.
        if match and canonical(re.split(r"[<>=!~\[; ]", match.group(1), maxsplit=1)[0]) in PINNED:
            who = f" (asked for by {match.group(2)})" if match.group(2) else ""
            found.append(f"no version of {match.group(1)} can be found that fits{who}")
    return found


def _phrase_dependency(line: str, user: list[str]) -> str:
    """``x 0.1 depends on torch<2`` -> ``x 0.1 requires torch<2, but Genloom keeps torch==2.4.1``."""
    head, requirement = line.split(" depends on ", 1)
    name = canonical(re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0])
    for sentence in user:
        pinned = sentence.split("requested", 1)[-1].replace("(constraint)", "").strip()
        if canonical(re.split(r"[<>=!~\[; ]", pinned, maxsplit=1)[0]) == name:
            return f"{head} requires {requirement}, but Genloom keeps {pinned}"
    return f"{head} requires {requirement}"


def _pip_error(output: str) -> str:
    """The error lines of pip's output (the last few lines when it marked none)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR: ") for line in lines if line.startswith("ERROR:")]
    return " ".join((errors or lines[-3:])[:4]) or "no output"
