"""The Hugging Face cache, read offline.

The cache is found the way huggingface_hub finds it (``HF_HUB_CACHE``, then
``HF_HOME``/hub, then ``~/.cache/huggingface/hub``), but from the environment
at call time rather than at huggingface_hub's import, and it is read with
``huggingface_hub.scan_cache_dir``, which touches no network.
``HF_HUB_OFFLINE=1`` is set before huggingface_hub is imported unless the
user set it otherwise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CachedSnapshot", "hf_cache_dir", "hf_snapshots"]


@dataclass(frozen=True)
class CachedSnapshot:
    """One revision of one model repository in the cache."""

    repo_id: str
    revision: str
    refs: tuple[str, ...]
    path: Path

    @property
    def title(self) -> str:
        ref = self.refs[0] if self.refs else self.revision[:8]
        return self.repo_id if ref == "main" else f"{self.repo_id}@{ref}"


def hf_cache_dir() -> Path:
    """The hub cache folder huggingface_hub would use with the current environment."""
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(name):
            return Path(os.environ[name]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "huggingface" / "hub"


def hf_snapshots(cache_dir: Path | None = None) -> tuple[list[CachedSnapshot], list[str]]:
    """Every model snapshot in the cache, and warnings for what could not be read.

    A missing cache folder is simply empty. Dataset and space repositories are
    left out.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else hf_cache_dir()
    if not cache_dir.is_dir():
        return [], []
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        info = scan_cache_dir(cache_dir)
    except CacheNotFound:
        return [], []
    warnings = [str(w) for w in info.warnings]
    snapshots = []
    for repo in sorted(info.repos, key=lambda r: r.repo_id):
        if repo.repo_type != "model":
            continue
        for revision in sorted(repo.revisions, key=lambda r: r.commit_hash):
            snapshots.append(CachedSnapshot(repo_id=repo.repo_id, revision=revision.commit_hash,
                                            refs=tuple(sorted(revision.refs)), path=Path(revision.snapshot_path)))
    return snapshots, warnings
