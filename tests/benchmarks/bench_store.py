"""Project store speed: adding assets, listing and searching 100,000 of them.

Each figure is printed beside a baseline measured in the same run on the same
disk: the least a program could do for the same result with plain files and a
plain SQLite table. Run it with ``python tests/benchmarks/bench_store.py``.

What is measured:

- *add*: ``Project.add_asset`` for 1,000 distinct 16 KiB files, each written to
  ``tmp/``, fsynced, renamed into ``assets/`` (folder fsynced) and recorded
  (asset row, tags, search row) in its own transaction; against writing the
  same bytes to a file with fsync and inserting one row into a one-table
  SQLite database (WAL, synchronous=FULL, one transaction per row). The first
  500 adds are paired with that baseline, the next 500 with a crash-safe one
  (temporary name, fsync, rename, folder fsync, then the row): the least a
  store that keeps its files across a power cut can do.

Each pair of figures is measured alternately (one store call, one baseline
call, and again), and each side's median is reported: on a shared machine the
disk and the CPUs are busy in bursts, and measuring 1,000 store adds and then
1,000 plain ones made the ratio a measure of when the bursts came.
- *list* and *search*: the project is then filled to 100,000 assets through
  the store's own row writer (``insert_asset_row``, the code ``add_asset``
  uses: asset row, tags and search row), in large transactions. These extra
  rows reuse the 1,000 stored files (deduplicated content), so the project
  stays valid but the fill itself is not a figure. The same 100,000 prompts go
  into a plain table (index on ``created``) and a plain FTS5 table.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from genloom.core.project import Project
from genloom.core.project.asset_rows import AssetRow, insert_asset_row

try:
    from tests.benchmarks._report import report
except ModuleNotFoundError:  # run as a script: python tests/benchmarks/bench_store.py
    from _report import report  # type: ignore[no-redef]

ADDED = 1_000
TOTAL = 100_000
FILE_SIZE = 16 * 1024
WORD = "lighthouse"  # in exactly 1% of the prompts


def _vocabulary(rng: random.Random, n: int = 5_000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(n)]


def _prompt(rng: random.Random, words: list[str], index: int) -> str:
    chosen = rng.choices(words, k=12)
    if index % 100 == 0:
        chosen[rng.randrange(12)] = WORD
    return " ".join(chosen)


def _plain_db(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY, path TEXT, hash TEXT, size INTEGER,"
                 " created REAL, prompt TEXT)")
    conn.execute("CREATE INDEX plain_created ON plain (created)")
    conn.execute("CREATE VIRTUAL TABLE plain_fts USING fts5 (prompt)")
    return conn


def _paired(store: Callable[[], object], baseline: Callable[[], object],
            repeat: int) -> tuple[float, float]:
    """Median seconds of ``store`` and of ``baseline``, called alternately ``repeat`` times."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for side, fn in enumerate((store, baseline)):
            start = time.perf_counter()
            fn()
            times[side].append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def _bench_add(project: Project, plain: sqlite3.Connection, plain_dir: Path,
               blobs: list[bytes], prompts: list[str]) -> None:
    written = iter(enumerate(zip(blobs, prompts, strict=True)))

    def store() -> None:
        blob, prompt = next(pending)
        project.add_asset(blob, kind="image", suffix=".png", prompt=prompt, tags=["bench"],
                          recipe={"seed": 1, "steps": 20}, generator_id="bench.gen")

    def baseline() -> None:
        i, (blob, prompt) = next(written)
        path = plain_dir / f"{i}.png"
        with open(path, "wb") as fh:
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
        plain.execute("INSERT INTO plain (path, hash, size, created, prompt) VALUES (?,?,?,?,?)",
                      (str(path), "", len(blob), time.time(), prompt))

    crash_safe_dir = plain_dir / "crash-safe"
    crash_safe_dir.mkdir()
    safe_written = iter(enumerate(zip(blobs, prompts, strict=True)))

    def crash_safe() -> None:
        # What a file store that survives a power cut needs at least: the bytes fsynced
        # under a temporary name, renamed, the folder fsynced (else the new name may be
        # lost while the row that names it is not), then the row.
        i, (blob, prompt) = next(safe_written)
        temp, path = crash_safe_dir / f".{i}.tmp", crash_safe_dir / f"{i}.png"
        with open(temp, "wb") as fh:
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
        folder = os.open(crash_safe_dir, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        plain.execute("INSERT INTO plain (path, hash, size, created, prompt) VALUES (?,?,?,?,?)",
                      (str(path), "", len(blob), time.time(), prompt))

    half = len(blobs) // 2
    first, second = blobs[:half], blobs[half:]
    pending = iter(zip(first, prompts[:half], strict=True))
    seconds, baseline_seconds = _paired(store, baseline, len(first))
    report("add_asset (16 KiB, fsync, per asset)", seconds, "file+fsync + 1-row insert",
           baseline_seconds, f"median of {len(first):,}, alternating", goal=1.3)
    pending = iter(zip(second, prompts[half:], strict=True))
    seconds, safe_seconds = _paired(store, crash_safe, len(second))
    report("add_asset (16 KiB, fsync, per asset)", seconds, "crash-safe file + 1-row insert",
           safe_seconds, f"median of {len(second):,}, alternating; the baseline also renames "
           "and fsyncs the folder, as a store that keeps its files across a power cut must")


def _fill(project: Project, plain: sqlite3.Connection, rng: random.Random,
          words: list[str]) -> None:
    stored = project.list_assets(limit=ADDED)
    now = time.time()
    conn = project._db.connection()
    for first in range(ADDED, TOTAL, 10_000):
        plain.execute("BEGIN")
        with project._db.transaction():
            for i in range(first, min(first + 10_000, TOTAL)):
                like = stored[i % len(stored)]
                prompt = _prompt(rng, words, i)
                created = now + i * 0.001
                insert_asset_row(conn, AssetRow(
                    kind=rng.choice(["image", "image", "text", "audio", "video"]),
                    hash=like.hash, size=like.size, suffix=like.suffix, path=like.path,
                    created=created, prompt=prompt, recipe='{"seed": 1, "steps": 20}',
                    generator_id="bench.gen", tags=(rng.choice(["a", "b", "c"]),)))
                plain.execute("INSERT INTO plain (path, hash, size, created, prompt) "
                              "VALUES (?,?,?,?,?)", (like.path, like.hash, like.size, created,
                                                     prompt))
        plain.execute("COMMIT")
    plain.execute("INSERT INTO plain_fts (rowid, prompt) SELECT id, prompt FROM plain")
    conn.execute("PRAGMA optimize")
    plain.execute("PRAGMA optimize")


def main() -> None:
    """Run every figure and print one line each."""
    rng = random.Random(7)
    words = _vocabulary(rng)
    with tempfile.TemporaryDirectory(prefix="genloom-bench-") as tmp:
        root = Path(tmp)
        project = Project.create(root / "project")
        (root / "plain").mkdir()
        plain = _plain_db(root / "plain.db")

        blobs = [rng.randbytes(FILE_SIZE) for _ in range(ADDED)]
        prompts = [_prompt(rng, words, i) for i in range(ADDED)]
        _bench_add(project, plain, root / "plain", blobs, prompts)

        _fill(project, plain, rng, words)
        assert project.count_assets() == TOTAL
        hits = project.count_assets(search=WORD)

        # The goal is the gallery's page: the cards it reads (9 columns) as Python objects.
        carded, plain_listed = _paired(
            lambda: project.list_cards(limit=200),
            lambda: plain.execute("SELECT * FROM plain ORDER BY created DESC LIMIT 200").fetchall(),
            40)
        report("gallery page: list_cards first 200 of 100,000", carded,
               "plain ORDER BY created LIMIT 200", plain_listed,
               "AssetCard objects with tags vs raw rows", goal=2.0)
        listed, plain_listed = _paired(
            lambda: project.list_assets(limit=200),
            lambda: plain.execute("SELECT * FROM plain ORDER BY created DESC LIMIT 200").fetchall(),
            40)
        report("list_assets first 200 newest of 100,000", listed,
               "plain ORDER BY created LIMIT 200", plain_listed,
               "whole Asset objects with tags vs raw rows")
        # The same query shape with as many columns as an Asset has (17; the plain table
        # has 6): SQLite's cost per column read is most of the difference above.
        wide = ", ".join(["id", "created", "size"] + ["path", "hash", "prompt"] * 4 + ["prompt", "path"])
        listed, plain_wide = _paired(
            lambda: project.list_assets(limit=200),
            lambda: plain.execute(f"SELECT {wide} FROM plain ORDER BY created DESC LIMIT 200").fetchall(),
            40)
        report("list_assets first 200 newest of 100,000", listed,
               "plain, the same 17 columns", plain_wide, "Asset objects with tags vs raw rows")
        store_search, plain_scan = _paired(
            lambda: project.search(WORD),
            lambda: plain.execute("SELECT * FROM plain WHERE prompt LIKE ? LIMIT 200",
                                  (f"%{WORD}%",)).fetchall(), 10)
        report(f"search('{WORD}'), {hits:,} hits, best 200", store_search,
               "plain LIKE '%word%' scan", plain_scan,
               "ranked prefix match vs first 200 substring hits")
        store_search, plain_ranked = _paired(
            lambda: project.search(WORD),
            lambda: plain.execute(
                "SELECT p.* FROM plain p JOIN (SELECT rowid, rank FROM plain_fts WHERE "
                "plain_fts MATCH ? ORDER BY rank LIMIT 200) h ON h.rowid = p.id "
                "ORDER BY h.rank", (WORD,)).fetchall(), 40)
        report(f"search('{WORD}'), {hits:,} hits, best 200", store_search,
               "plain FTS5 MATCH ORDER BY rank", plain_ranked,
               "5 indexed columns + tags vs 1 column", goal=1.5)
        plain.close()
        project.close()


if __name__ == "__main__":
    main()
