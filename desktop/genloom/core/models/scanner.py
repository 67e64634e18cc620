"""One scan: find candidates, hash what changed, identify what is new, notice what went.

Incremental by construction: a file whose path, size and mtime match the hash
cache is not read, nor is one whose first bytes were already sniffed at that
size and mtime, and a model whose hash is already in the index is not
identified again, so a rescan of an unchanged tree costs one ``stat`` per
candidate file and per file whose suffix says neither model nor non-model.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genloom.core.models.entry import SHORT_ID, ScanProgress, ScanReport
from genloom.core.models.hashing import folder_hash, hash_file
from genloom.core.models.identify import PICKLE_WEIGHTS, Identification, identify_candidate
from genloom.core.models.sniff import SniffCache
from genloom.core.models.store import ModelStore
from genloom.core.models.walk import Candidate, FileStat, WalkCounts, candidate_for, find_candidates
from genloom.sdk.errors import CancelledError
from genloom.sdk.formats import PICKLE_SUFFIXES

__all__ = ["ScanSource", "Scanner"]

#: Seconds between progress events (the first and last are always sent).
PROGRESS_INTERVAL_S = 0.1
#: Candidates written per transaction, so other readers see progress and a cancel keeps work done.
BATCH = 200


@dataclass
class ScanSource:
    """One thing to scan.

    ``root`` is the key whose locations are marked missing when not seen
    again (the folder the user added, the cache folder, ``"bundled"``);
    ``whole`` takes ``path`` as one model (bundled models) instead of walking it;
    ``recursive=False`` looks only at the files directly in ``path``.
    """

    path: Path
    source: str
    root: str
    hint: str = ""
    title: str = ""
    whole: bool = False
    recursive: bool = True
    identification: Identification | None = None
    details: dict[str, Any] = field(default_factory=dict)


class Scanner:
    """Runs one scan on the calling thread; ``cancel`` stops it between chunks."""

    def __init__(self, store: ModelStore, plugins: Any | None,
                 on_progress: Callable[[ScanProgress], None], cancel: threading.Event | None = None) -> None:
        self.store = store
        self.plugins = plugins
        self.on_progress = on_progress
        self.cancel = cancel or threading.Event()
        self._last_emit = 0.0

    def run(self, sources: list[ScanSource], complete_roots: list[str]) -> ScanReport:
        """Scan ``sources``; afterwards mark unseen locations under ``complete_roots`` missing."""
        started = time.time()
        report = ScanReport(roots=sorted({s.root for s in sources} | set(complete_roots)))
        counts = WalkCounts()
        sniffs = SniffCache(self.store.sniff_cache())
        found: list[tuple[ScanSource, Candidate]] = []
        todo, done = 0, [0]
        try:
            found = self._find(sources, counts, sniffs)
            self._cache_sniffs(sniffs)
            cache = self.store.file_cache()
            known = self.store.known_hashes()
            todo = sum(f.size for _, c in found for f in c.files if _needs_hash(f, cache))
            self._process(found, cache, known, report, todo, done, started)
        except CancelledError:
            report.cancelled = True
            self._cache_sniffs(sniffs)  # what was read stays read
        report.sniffed_files = sniffs.reads
        report.candidates, report.files_seen, report.skipped_files = len(found), counts.files_seen, counts.skipped
        report.errors += counts.errors
        if not report.cancelled:
            with self.store.index.transaction() as tx:
                gone = self.store.mark_unseen_missing(tx, complete_roots, started)
                moved = self.store.drop_moved(tx)
                replaced = self.store.drop_replaced(tx)
            report.changed_models += sorted({h[:SHORT_ID] for h in replaced})
            report.moved = sorted({h[:SHORT_ID] for h in moved})
            report.missing = sorted({h[:SHORT_ID] for h in gone if h not in moved})
        report.seconds = time.time() - started
        self._emit("done", "", len(found), len(found), done[0], todo, force=True)
        return report

    def _cache_sniffs(self, sniffs: SniffCache) -> None:
        if sniffs.new:
            with self.store.index.transaction() as tx:
                self.store.cache_sniffs(tx, sniffs.new)
            sniffs.new = []

    def _find(self, sources: list[ScanSource], counts: WalkCounts,
              sniffs: SniffCache) -> list[tuple[ScanSource, Candidate]]:
        forgotten = self.store.forgotten()
        found: list[tuple[ScanSource, Candidate]] = []
        for source in sources:
            self._emit("finding", str(source.path), len(found), 0, 0, 0, force=True)
            if source.whole:
                one = candidate_for(source.path, counts, source.hint)
                found += [(source, one)] if one is not None else []
                continue
            for candidate in find_candidates(source.path, counts, hint=source.hint, skip=forgotten,
                                             recursive=source.recursive, sniffs=sniffs):
                found.append((source, candidate))
                self._emit("finding", str(candidate.path), len(found), 0, 0, 0)
        return found

    def _process(self, found: list[tuple[ScanSource, Candidate]], cache: dict[str, tuple[int, int, str]],
                 known: set[str], report: ScanReport, todo: int, done: list[int], started: float) -> None:
        for start in range(0, len(found), BATCH):
            batch = found[start:start + BATCH]
            hashed: list[tuple[str, int, int, str]] = []
            results = []
            for offset, (source, candidate) in enumerate(batch):
                index = start + offset

                def hashing(path: str, i: int = index) -> None:
                    self._emit("hashing", path, i, len(found), done[0], todo)

                model_hash, file_hashes = self._hash(candidate, cache, hashed, report, done, hashing)
                results.append((source, candidate, model_hash, file_hashes))
            with self.store.index.transaction() as tx:
                self.store.cache_files(tx, hashed)
                for offset, (source, candidate, model_hash, file_hashes) in enumerate(results):
                    title = _title(source, candidate)
                    if model_hash not in known:
                        self._emit("identifying", str(candidate.path), start + offset, len(found), done[0], todo)
                        self._identify(tx, source, candidate, model_hash, title, file_hashes)
                        known.add(model_hash)
                        report.new_models.append(model_hash[:SHORT_ID])
                        changed = True
                    else:
                        changed = False
                    if self.store.set_location(tx, str(candidate.path), model_hash, source.source, source.root,
                                               title, candidate.is_dir, started) and not changed:
                        report.changed_models.append(model_hash[:SHORT_ID])

    def _hash(self, candidate: Candidate, cache: dict[str, tuple[int, int, str]],
              hashed: list[tuple[str, int, int, str]], report: ScanReport, done: list[int],
              emit: Callable[[str], None]) -> tuple[str, dict[str, str]]:
        """The candidate's content hash, and each of its files' (relative path -> SHA-256)."""
        hashes = []
        for item in candidate.files:
            cached = cache.get(item.path)
            if cached is not None and cached[0] == item.size and cached[1] == item.mtime_ns:
                file_hash = cached[2]
            elif _trust_known_hash(item, cached):
                file_hash = item.known_hash
            else:
                emit(item.path)

                def advance(count: int, path: str = item.path) -> None:
                    done[0] += count
                    emit(path)

                file_hash = hash_file(Path(item.path), advance, self.cancel)
                report.hashed_files += 1
                report.hashed_bytes += item.size
            if cached is None or cached != (item.size, item.mtime_ns, file_hash):
                hashed.append((item.path, item.size, item.mtime_ns, file_hash))
                cache[item.path] = (item.size, item.mtime_ns, file_hash)
            hashes.append((item.relative, file_hash))
        if not candidate.is_dir and len(hashes) == 1:
            return hashes[0][1], dict(hashes)
        # A folder, or an ONNX file with its external data: every file is part of the identity.
        return folder_hash(hashes), dict(hashes)

    def _identify(self, tx: Any, source: ScanSource, candidate: Candidate, model_hash: str, title: str,
                  file_hashes: dict[str, str]) -> None:
        found = source.identification
        if found is None:
            try:
                found = identify_candidate(candidate.path, candidate.is_dir, self.plugins, candidate.hint,
                                           sniffed=candidate.sniffed)
            except (OSError, ValueError) as exc:
                found = Identification(reason=f"could not be read to identify it: {exc}")
        found.details.update(source.details)
        if found.status == "refused" and found.details.get(PICKLE_WEIGHTS):
            # What the user's permission is checked against: the content of each pickle file.
            names = [str(n) for n in found.details[PICKLE_WEIGHTS]]
            if not candidate.is_dir:
                names = [candidate.files[0].relative]
            found.details["pickle_files"] = {n: file_hashes[n] for n in names if n in file_hashes}
        self.store.insert_model(tx, model_hash, found, size=candidate.size, title=title,
                                generators=generators_for(self.plugins, found.kind))

    def _emit(self, phase: str, current: str, done_count: int, total: int, bytes_done: int, bytes_total: int,
              force: bool = False) -> None:
        if self.cancel.is_set() and phase != "done":
            raise CancelledError("scan cancelled")
        now = time.monotonic()
        if not force and now - self._last_emit < PROGRESS_INTERVAL_S:
            return
        self._last_emit = now
        self.on_progress(ScanProgress(phase=phase, current=current, candidates_done=done_count,
                                      candidates_total=total, bytes_done=bytes_done, bytes_total=bytes_total))


def generators_for(plugins: Any | None, kind: str) -> list[str]:
    """Ids of the generators that list ``kind`` in their ``model_kinds``."""
    if plugins is None or not kind:
        return []
    return sorted(spec.id for spec in plugins.generators.values() if kind in spec.model_kinds)


def _title(source: ScanSource, candidate: Candidate) -> str:
    """A Hub repo's id (plus the file inside it), a bundled model's title, else the file or folder name."""
    if not source.title:
        return candidate.path.name
    if candidate.path == source.path:
        return source.title
    return f"{source.title}/{candidate.path.relative_to(source.path).as_posix()}"


def _needs_hash(item: FileStat, cache: dict[str, tuple[int, int, str]]) -> bool:
    cached = cache.get(item.path)
    if cached is not None and cached[0] == item.size and cached[1] == item.mtime_ns:
        return False
    return not _trust_known_hash(item, cached)


def _trust_known_hash(item: FileStat, cached: tuple[int, int, str] | None) -> bool:
    """Whether the hash a Hugging Face blob's name gives can stand in for reading the file.

    Only for a file never seen before: once cached, a changed size or mtime means the
    blob was written to since, so its name no longer says what it holds. Never for a
    pickle file, whose permission belongs to the content actually there.
    """
    return bool(item.known_hash) and cached is None and not item.relative.lower().endswith(PICKLE_SUFFIXES)
