"""The model library: what models this machine has, where, and what can use them.

A plain-Python model for the CLI and the Qt dialog. Scans run on a
background thread (:meth:`ModelLibrary.start_scan`) or on the caller's
(:meth:`ModelLibrary.scan`); either way progress and changes arrive as
:class:`~genloom.core.events.Signal` events, emitted on the scanning thread
(the Qt adapter re-emits them on the GUI thread).

Models are adopted where they are: the library reads files to hash and
identify them and never moves, copies, links or deletes one. Forgetting a
model only removes it from the index.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from genloom.core import paths
from genloom.core.events import Signal
from genloom.core.models.entry import SHORT_ID, ModelEntry, Root, ScanProgress, ScanReport
from genloom.core.models.hashing import hash_file
from genloom.core.models.hfcache import hf_cache_dir, hf_snapshots
from genloom.core.models.identify import Identification
from genloom.core.models.index import ModelIndex
from genloom.core.models.layouts import detect_layout
from genloom.core.models.scanner import Scanner, ScanSource, generators_for
from genloom.core.models.store import ModelStore
from genloom.sdk.errors import GenloomError, InputError
from genloom.sdk.formats import is_pickle_file
from genloom.sdk.models import ModelRef

__all__ = ["INDEX_FILE", "LibraryEvents", "ModelLibrary", "ModelNotFoundError", "ScanTask"]

#: The index file's name inside :func:`genloom.core.paths.data_dir`.
INDEX_FILE = "models.sqlite"
HF_ROOT = "hf-cache:"
BUNDLED_ROOT = "bundled"


class ModelNotFoundError(InputError, KeyError):
    """No model in the library matches what the user named (bad input to whoever named it:
    the engine's ``submit`` raises only parameter and input errors)."""

    def __str__(self) -> str:
        return str(self.args[0])


class LibraryEvents:
    """The library's signals. Callbacks run on the thread that emits (the scan thread).

    - ``scan_started()``: a scan began.
    - ``scan_progress(ScanProgress)``: at most ten times a second while scanning.
    - ``scan_finished(ScanReport)``: a scan ended (``report.cancelled`` if cancelled).
    - ``models_changed(list[str])``: hashes of models added, changed, found missing or
      forgotten; a view reloads those rows (or everything, when the list is long).
    - ``roots_changed()``: a folder was added or removed.
    """

    def __init__(self) -> None:
        self.scan_started = Signal("scan_started")
        self.scan_progress = Signal("scan_progress")
        self.scan_finished = Signal("scan_finished")
        self.models_changed = Signal("models_changed")
        self.roots_changed = Signal("roots_changed")


class ScanTask:
    """A scan running on a background thread."""

    def __init__(self, library: ModelLibrary, roots: list[str] | None) -> None:
        self.cancel_event = threading.Event()
        self.report: ScanReport | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(library, roots),
                                        name="genloom-model-scan", daemon=True)

    def _run(self, library: ModelLibrary, roots: list[str] | None) -> None:
        try:
            self.report = library.scan(roots, cancel=self.cancel_event)
        except BaseException as exc:  # noqa: BLE001 - reported through wait()
            self.error = exc

    def start(self) -> ScanTask:
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Stop between chunks; what was hashed and identified so far is kept."""
        self.cancel_event.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> ScanReport | None:
        """The report once finished (None on timeout); re-raises the scan's error."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            return None
        if self.error is not None:
            raise self.error
        return self.report


class ModelLibrary:
    """The models on this machine, indexed by content hash.

    :param plugins: a loaded PluginManager; its bundled models are listed and
        its ``genloom_identify_model`` hooks identify what scans find. Without
        one, only Genloom's own fallbacks identify (ONNX, GGUF, pickle).
    :param index_path: the SQLite index (default: ``data_dir()/models.sqlite``).
    :param hf_cache: scan the Hugging Face cache (True: where huggingface_hub
        would look; a path: that folder; False: not at all).
    """

    def __init__(self, plugins: Any | None = None, index_path: Path | None = None,
                 hf_cache: bool | Path = True) -> None:
        self.plugins = plugins
        self.index = ModelIndex(index_path or paths.data_dir() / INDEX_FILE)
        self.store = ModelStore(self.index)
        self.hf_cache = hf_cache
        self.events = LibraryEvents()
        self._scan_lock = threading.Lock()
        self._task: ScanTask | None = None
        self._watcher: threading.Thread | None = None
        self._stop_watching = threading.Event()
        self._bundled_checked = False

    # -- queries -------------------------------------------------------------------

    def models(self, *, kind: str | None = None, architecture: str | None = None, status: str | None = None,
               text: str = "") -> list[ModelEntry]:
        """Every model, optionally filtered (``text`` matches title, path, kind and architecture)."""
        self._ensure_bundled()
        result = self.store.entries()
        if kind:
            result = [m for m in result if m.kind == kind]
        if architecture:
            result = [m for m in result if m.architecture == architecture]
        if status:
            result = [m for m in result if m.status == status]
        if text:
            needle = text.lower()
            result = [m for m in result if any(needle in field.lower() for field in
                                               (m.title, m.path, m.kind, m.architecture, m.id))]
        return result

    def get(self, name: str) -> ModelEntry:
        """The model called ``name``: a hash or hash prefix (6+ characters), a path, a
        bundled model id or an exact title.

        :raises ModelNotFoundError: naming close matches, or what was ambiguous.
        """
        name = str(name).strip()
        self._ensure_bundled()
        models = self.store.entries()
        resolved = str(Path(name).expanduser().resolve()) if name else ""
        for test in (lambda m: m.hash == name.lower(),
                     lambda m: any(loc.path in (name, resolved) for loc in m.locations),
                     lambda m: m.details.get("bundled_id") == name,
                     lambda m: len(name) >= 6 and m.hash.startswith(name.lower()),
                     lambda m: m.title == name):
            found = [m for m in models if test(m)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                listed = ", ".join(f"{m.id} ({m.title})" for m in found[:5])
                raise ModelNotFoundError(f"{name!r} matches {len(found)} models: {listed}; use more of the id")
        import difflib

        close = difflib.get_close_matches(name, [m.title for m in models], n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ModelNotFoundError(f"no model called {name!r} in the library.{hint} "
                                 "`genloom models list` shows them with their ids.")

    def roots(self) -> list[Root]:
        """The folders the user added."""
        return self.store.roots()

    def kinds(self) -> list[str]:
        """Model kinds a generator can load, plus those already in the library (for set-type)."""
        kinds = {k for spec in (self.plugins.generators.values() if self.plugins else ()) for k in spec.model_kinds}
        kinds |= {m.kind for m in self.store.entries() if m.kind}
        return sorted(kinds)

    def model_ref(self, name: str) -> ModelRef:
        """The :class:`~genloom.sdk.ModelRef` a job uses for this model (with its content hash)."""
        return self.get(name).to_ref()

    # -- changes -------------------------------------------------------------------

    def add_folder(self, path: Path | str, *, watch: bool = False) -> Root:
        """Add a folder (or one model file) to scan; an app's install folder is recognised.

        Nothing is scanned yet: call :meth:`scan` or :meth:`start_scan`.
        """
        path = Path(path).expanduser().resolve()
        if not path.exists():
            raise GenloomError(f"cannot add {path}: it does not exist. Check the path (a folder of models, "
                               "a ComfyUI or AUTOMATIC1111 folder, or a model file).")
        layout = detect_layout(path)
        self.store.add_root(str(path), "folder", layout.name, watch)
        self.events.roots_changed.emit()
        return next(r for r in self.store.roots() if r.path == str(path))

    def remove_folder(self, path: Path | str) -> None:
        """Stop scanning a folder; its models leave the index (their files stay)."""
        path_text = str(Path(path).expanduser().resolve())
        if path_text not in {r.path for r in self.store.roots()}:
            raise ModelNotFoundError(f"{path_text} is not a library folder; `genloom models list --roots` shows them")
        hashes = self.store.remove_root(path_text)
        self.events.roots_changed.emit()
        self.events.models_changed.emit(hashes)

    def forget(self, name: str) -> ModelEntry:
        """Remove a model from the library. Its files are not touched; a rescan skips them."""
        entry = self.get(name)
        self.store.forget(entry.hash)
        self.events.models_changed.emit([entry.hash])
        return entry

    def set_type(self, name: str, kind: str, architecture: str = "") -> ModelEntry:
        """Set a model's kind (and architecture) by hand; ``kind=""`` goes back to the detected one."""
        entry = self.get(name)
        kind = kind.strip()
        known = self.kinds()
        if kind and self.plugins is not None and kind not in known:
            raise GenloomError(f"model kind {kind!r} is not one any generator loads; use one of "
                               f"{', '.join(known) or '(none: no generator lists model kinds)'}")
        self.store.update_model(entry.hash, user_kind=kind, user_architecture=architecture.strip(),
                                generators=generators_for(self.plugins, kind or entry.detected_kind))
        self.events.models_changed.emit([entry.hash])
        return self.get(entry.hash)

    def allow_pickle(self, name: str, allowed: bool = True) -> ModelEntry:
        """Allow (or stop allowing) pickle-based weights, by the content hash of each file.

        ``name`` is anything :meth:`get` takes (a single pickle file, or a folder whose
        weights are pickle: all of its pickle weight files are allowed), or the path of
        one pickle file, also one inside a model folder. A changed file has another hash,
        so the permission does not carry over to it. Returns the model the permission
        concerns (the folder a file belongs to, when it belongs to one).
        """
        path = Path(str(name)).expanduser()
        entry: ModelEntry | None = None
        if path.is_file() and not self._is_location(path):
            files, entry = self._pickle_file_named(path)
        else:
            # A folder not scanned yet is added first, as when a job names it.
            entry = self.adopt(path) if path.is_dir() and not self._is_location(path) else self.get(name)
            files = {h: str(Path(entry.path) / rel) if rel and Path(entry.path).is_dir() else entry.path
                     for rel, h in entry.pickle_files.items()}
            if not files:
                if entry.status == "refused":
                    raise GenloomError(f"{entry.title} ({entry.id}) is refused, but not for pickle weights: "
                                       f"{entry.reason}. Allowing pickle would not change that")
                raise GenloomError(f"{entry.title} ({entry.id}) has no pickle weights (its format is "
                                   f"{entry.format or 'unknown'}); only pickle-based models need allowing")
        self.store.set_consents(files, allowed)
        self.events.models_changed.emit([entry.hash])
        return self.get(entry.hash)

    def pickle_consent(self, ref: ModelRef) -> bool:
        """Whether the pickle weights of the model ``ref`` names are allowed, as the files are now.

        The worker asks this before a generator loads; the model is found as everywhere,
        by :func:`~genloom.core.models.resolve.resolve_model` (its content hash first), but
        nothing new is added to the index from the worker. Each pickle file of the model is
        hashed (from the cache when its size and mtime are unchanged) and must have been
        allowed with exactly that content. A recipe's own ``allow_pickle`` is never read.
        """
        from genloom.core.models.resolve import resolve_model

        allowed = self.store.consents()
        try:
            entry = resolve_model(ref, self, adopt=False).entry
        except ModelNotFoundError:
            entry = None
        if entry is None:
            path = Path(ref.path)
            return path.is_file() and is_pickle_file(path) and self.file_hash(path) in allowed
        files = entry.pickle_files
        if not files:
            return False
        root = Path(entry.path)
        for relative, expected in files.items():
            current = root / relative if relative and root.is_dir() else root
            if expected not in allowed or not current.is_file() or self.file_hash(current) != expected:
                return False
        return True

    def file_hash(self, path: Path) -> str:
        """The SHA-256 of one file, from the hash cache when its size and mtime are unchanged."""
        path = Path(path).resolve()
        info = path.stat()
        cached = self.store.file_cache().get(str(path))
        if cached is not None and cached[0] == info.st_size and cached[1] == info.st_mtime_ns:
            return cached[2]
        digest = hash_file(path)
        with self.index.transaction() as tx:
            self.store.cache_files(tx, [(str(path), info.st_size, info.st_mtime_ns, digest)])
        return digest

    def adopt(self, path: Path | str) -> ModelEntry:
        """The model at ``path``, added to the library (and scanned) when it was not in it.

        Only the index is written: the file or folder stays where it is.
        """
        path = Path(path).expanduser().resolve()
        if not self._is_location(path):
            root = self.add_folder(path)
            self.scan([root.path])
        return self.get(str(path))

    def scan_bundled(self) -> ScanReport:
        """Index the plugins' bundled models only (cheap: a few small files, hashed once)."""
        with self._scan_lock:
            scanner = Scanner(self.store, self.plugins, self.events.scan_progress.emit, None)
            report = scanner.run(self._bundled_sources(), [BUNDLED_ROOT])
        if report.new_models or report.changed_models:
            self.events.models_changed.emit(self._full_hashes(report.new_models + report.changed_models))
        return report

    def _is_location(self, path: Path) -> bool:
        names = _path_names(path)
        return any(loc.path in names for m in self.store.entries() for loc in m.locations)

    def _pickle_file_named(self, path: Path) -> tuple[dict[str, str], ModelEntry]:
        """A pickle file named by its path: its hash, and the library model it belongs to."""
        path = path.resolve()
        if not is_pickle_file(path):
            raise GenloomError(f"{path} is not a pickle file; only pickle-based files need allowing")
        digest = self.file_hash(path)
        for entry in self.store.entries():
            if digest == entry.hash or digest in entry.pickle_files.values():
                return {digest: str(path)}, entry
        entry = self.adopt(path)
        return {digest: str(path)}, entry

    # -- scanning ------------------------------------------------------------------

    def scan(self, roots: list[str] | None = None, *, cancel: threading.Event | None = None) -> ScanReport:
        """Scan on this thread: bundled models, the added folders, the HF cache.

        ``roots`` limits the scan to those added folders (bundled models and the
        cache are then skipped). One scan runs at a time; a second waits.
        """
        with self._scan_lock:
            sources, complete = self._sources(roots)
            self.events.scan_started.emit()
            scanner = Scanner(self.store, self.plugins, self.events.scan_progress.emit, cancel)
            report = scanner.run(sources, complete)
            changed = report.new_models + report.changed_models + report.missing + report.moved
            if changed:
                self.events.models_changed.emit(self._full_hashes(changed))
            self.events.scan_finished.emit(report)
            return report

    def start_scan(self, roots: list[str] | None = None) -> ScanTask:
        """Scan on a background thread; returns the running task (the same one if already running)."""
        if self._task is not None and self._task.running:
            return self._task
        self._task = ScanTask(self, roots).start()
        return self._task

    def watch(self, interval_s: float = 10.0) -> None:
        """Rescan the folders added with ``watch=True`` every ``interval_s`` seconds.

        Polling: an unchanged tree costs one stat per candidate file, and it
        works the same on every platform and network drive.
        """
        if self._watcher is not None and self._watcher.is_alive():
            return
        self._stop_watching.clear()

        def loop() -> None:
            while not self._stop_watching.wait(interval_s):
                watched = [r.path for r in self.store.roots() if r.watch]
                if watched and not (self._task is not None and self._task.running):
                    self.scan(watched)

        self._watcher = threading.Thread(target=loop, name="genloom-model-watch", daemon=True)
        self._watcher.start()

    def stop_watching(self) -> None:
        self._stop_watching.set()
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None

    def close(self) -> None:
        """Stop watching and any scan, and close the index."""
        self.stop_watching()
        if self._task is not None:
            self._task.cancel()
            self._task.wait()
        self.index.close()

    # -- internals -----------------------------------------------------------------

    def _ensure_bundled(self) -> None:
        """On first use (a fresh install, or a plugin that brought a new model), index
        the plugins' bundled models, so they are listed before anyone runs a scan."""
        if self._bundled_checked or self.plugins is None:
            return
        self._bundled_checked = True
        # Where the index has each bundled model: a plugin reinstalled or moved ships it
        # from elsewhere now, and recipes name it by id and hash, so the index must follow.
        listed: dict[str, set[str]] = {}
        for entry in self.store.entries():
            bundled_id = entry.details.get("bundled_id")
            if bundled_id:
                listed.setdefault(bundled_id, set()).update(loc.path for loc in entry.locations)
        if all({str(model.path), str(Path(model.path).resolve())} & listed.get(model_id, set())
               for model_id, model in self.plugins.models.items()):
            return
        self.scan_bundled()

    def _sources(self, only: list[str] | None) -> tuple[list[ScanSource], list[str]]:
        sources: list[ScanSource] = []
        complete: list[str] = []
        wanted = {str(Path(p).expanduser().resolve()) for p in only} if only else None
        if wanted is None:
            sources += self._bundled_sources()
            complete.append(BUNDLED_ROOT)
        for root in self.store.roots():
            if wanted is not None and root.path not in wanted:
                continue
            complete.append(root.path)
            for folder in detect_layout(Path(root.path)).folders if root.exists else ():
                sources.append(ScanSource(path=folder.path, source="folder", root=root.path, hint=folder.hint,
                                          recursive=folder.recursive))
        if wanted is not None:
            unknown = wanted - set(complete)
            if unknown:
                raise ModelNotFoundError(f"not a library folder: {', '.join(sorted(unknown))}; "
                                         "add it first with `genloom models add FOLDER`")
        if wanted is None and self.hf_cache is not False:
            cache = hf_cache_dir() if self.hf_cache is True else Path(self.hf_cache)
            snapshots, warnings = hf_snapshots(cache)
            key = HF_ROOT + str(cache)
            complete.append(key)
            for snap in snapshots:
                sources.append(ScanSource(path=snap.path, source="hf-cache", root=key, title=snap.title,
                                          details={"repo_id": snap.repo_id, "revision": snap.revision,
                                                   "refs": list(snap.refs)}))
        return sources, complete

    def _bundled_sources(self) -> list[ScanSource]:
        if self.plugins is None:
            return []
        owner = {model_id: name for name, record in self.plugins.plugins.items() for model_id in record.models}
        sources = []
        for model in self.plugins.models.values():
            found = Identification(kind=model.kind, architecture=model.architecture, licence=model.licence,
                                   format="bundled", status="ok", plugins=[owner.get(model.id, "")],
                                   details={"bundled_id": model.id, "description": model.description})
            sources.append(ScanSource(path=Path(model.path), source="bundled", root=BUNDLED_ROOT, whole=True,
                                      title=model.title or model.id, identification=found))
        return sources

    def _full_hashes(self, short: list[str]) -> list[str]:
        prefixes = set(short)
        return [h for h in self.store.known_hashes() if h[:SHORT_ID] in prefixes]


def _path_names(path: Path) -> set[str]:
    """The texts a location may be stored as: the absolute path as given (a Hugging Face
    snapshot's link), and with links resolved."""
    path = path.expanduser()
    return {str(path.absolute()), str(path.resolve())}


def progress_line(progress: ScanProgress) -> str:
    """A one-line description of scan progress for a status bar or terminal."""
    if progress.phase == "hashing" and progress.bytes_total:
        return (f"hashing {Path(progress.current).name}: {progress.bytes_done / 1e6:,.0f} of "
                f"{progress.bytes_total / 1e6:,.0f} MB ({progress.fraction:.0%})")
    if progress.phase == "finding":
        return f"looking in {progress.current} ({progress.candidates_done} found)"
    return f"{progress.phase} {progress.candidates_done}/{progress.candidates_total}"
