"""Plain data the model library hands out: models, their locations, scan progress and reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from genloom.sdk.models import ModelRef

__all__ = ["Location", "ModelEntry", "Root", "ScanProgress", "ScanReport", "pickle_files"]

#: Characters of the content hash used as a model's short id.
SHORT_ID = 12


@dataclass(frozen=True)
class Location:
    """One place a model was found."""

    path: str
    source: str  # "bundled", "folder", "hf-cache"
    root: str
    title: str
    is_dir: bool
    missing: bool
    seen: float


def pickle_files(details: dict[str, Any], detected_kind: str, model_hash: str) -> dict[str, str]:
    """``relative path -> content hash`` of the pickle files whose permission lifts a model's refusal."""
    files = details.get("pickle_files")
    if isinstance(files, dict):
        return {str(k): str(v) for k, v in files.items()}
    # A pickle file identified before the index recorded its files is its own one file.
    return {"": model_hash} if detected_kind == "pickle" else {}


@dataclass(frozen=True)
class ModelEntry:
    """A model in the library: what it is, where it is, who can use it.

    ``kind`` and ``architecture`` are what the user set by hand when they did
    (``user_kind``), else what identification found. ``status`` says what happens
    when the model is used: ``"ok"`` (it loads), ``"unknown"`` (not identified;
    ``reason`` says why), ``"refused"`` (it will not load: pickle weights not
    allowed, its own code, no weights...; ``reason`` says why and whether
    ``allow-pickle`` helps), ``"unsupported"`` (identified, but no installed plugin
    generates with it yet) or ``"missing"`` (no location exists any more).
    ``allow_pickle`` is true when every pickle file of the model is allowed, for
    its content as last hashed.
    """

    hash: str
    kind: str
    architecture: str
    format: str
    licence: str
    size: int
    title: str
    status: str
    reason: str
    detected_kind: str
    user_kind: str
    allow_pickle: bool
    plugins: tuple[str, ...]
    generators: tuple[str, ...]
    details: dict[str, Any]
    locations: tuple[Location, ...]
    added: float

    @property
    def id(self) -> str:
        """The short id shown to users: the first characters of the content hash."""
        return self.hash[:SHORT_ID]

    @property
    def pickle_files(self) -> dict[str, str]:
        """The pickle files (relative path -> content hash) that ``allow-pickle`` would allow."""
        return pickle_files(self.details, self.detected_kind, self.hash)

    @property
    def missing(self) -> bool:
        return bool(self.locations) and all(loc.missing for loc in self.locations)

    @property
    def path(self) -> str:
        """The first location that exists (or the first one, when all are missing)."""
        present = [loc.path for loc in self.locations if not loc.missing]
        return present[0] if present else (self.locations[0].path if self.locations else "")

    @property
    def source(self) -> str:
        present = [loc.source for loc in self.locations if not loc.missing]
        return present[0] if present else (self.locations[0].source if self.locations else "")

    def to_ref(self) -> ModelRef:
        """The reference a job records and a generator's ``load`` receives."""
        return ModelRef(id=str(self.details.get("bundled_id") or self.id), kind=self.kind, path=self.path,
                        source=self.source, title=self.title, architecture=self.architecture,
                        licence=self.licence, hash=self.hash, allow_pickle=self.allow_pickle)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(id=self.id, path=self.path, source=self.source, missing=self.missing,
                    plugins=list(self.plugins), generators=list(self.generators),
                    locations=[asdict(loc) for loc in self.locations])
        return data


@dataclass(frozen=True)
class Root:
    """A folder (or file) the user added to the library."""

    path: str
    source: str
    layout: str
    watch: bool
    added: float
    exists: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ScanProgress:
    """Where a running scan is. ``phase`` is "finding", "hashing" or "identifying".

    ``bytes_done``/``bytes_total`` count bytes to hash in this scan (0/0 when
    everything was cached); ``current`` is the path being worked on.
    """

    phase: str
    current: str
    candidates_done: int
    candidates_total: int
    bytes_done: int
    bytes_total: int

    @property
    def fraction(self) -> float:
        if self.bytes_total:
            return min(1.0, self.bytes_done / self.bytes_total)
        return self.candidates_done / self.candidates_total if self.candidates_total else 0.0


@dataclass
class ScanReport:
    """What one scan did. ``hashed_files`` counts files actually read to hash them;
    ``sniffed_files`` those whose first bytes were read because their suffix
    does not say whether they are models (both 0 on a rescan of an unchanged tree).
    """

    roots: list[str] = field(default_factory=list)
    candidates: int = 0
    files_seen: int = 0
    skipped_files: int = 0
    hashed_files: int = 0
    hashed_bytes: int = 0
    sniffed_files: int = 0
    new_models: list[str] = field(default_factory=list)
    changed_models: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
