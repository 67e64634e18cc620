"""The schema, as an ordered list of migrations.

``MIGRATIONS[i]`` takes a database at schema version ``i`` to version ``i + 1``;
``PRAGMA user_version`` records the version reached. :func:`migrate` runs the
missing steps inside one write transaction, so a crash part-way leaves the
database at its old version, with nothing lost. A migration only ever adds:
columns, tables, indexes, backfilled rows.

Version 1: assets, lineage (asset_parents), tags, asset_tags, meta.
Version 2: the job queue (jobs) and full-text search (asset_search, FTS5),
backfilled from the existing assets.
Version 3: a job's seed count. Then storyboards (``genloom.core.boards``): boards,
shots, takes, the job links that attach finished jobs' assets as takes, and the
boards' undo log.
Then conversations (conversations, messages as a tree, conversation_search).
Then evaluation: judgements (with their entries) and sweeps (with their cells).
Then the evaluation metrics: evaluations, metric_values, set_results.
Then each asset's tag names copied into its row (``assets.tag_list``), kept in step by
triggers, so that listing a page reads no tag tables.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from genloom.core.project.search_text import TEXT_KINDS, read_text_file, search_row

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate", "user_version"]

Migration = Callable[[sqlite3.Connection, Path], None]


def _v1_assets(conn: sqlite3.Connection, root: Path) -> None:
    _execute_script(conn, """
        CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE assets (
            id           INTEGER PRIMARY KEY,
            kind         TEXT    NOT NULL,
            hash         TEXT    NOT NULL,
            size         INTEGER NOT NULL,
            suffix       TEXT    NOT NULL,
            path         TEXT    NOT NULL,
            created      REAL    NOT NULL,
            title        TEXT    NOT NULL DEFAULT '',
            prompt       TEXT    NOT NULL DEFAULT '',
            recipe       TEXT    NOT NULL DEFAULT '{}',
            metadata     TEXT    NOT NULL DEFAULT '{}',
            rating       INTEGER NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
            notes        TEXT    NOT NULL DEFAULT '',
            generator_id TEXT    NOT NULL DEFAULT '',
            model_id     TEXT    NOT NULL DEFAULT '',
            job_id       INTEGER
        );
        CREATE INDEX assets_created   ON assets (created);
        CREATE INDEX assets_kind      ON assets (kind, created);
        CREATE INDEX assets_rating    ON assets (rating, created);
        CREATE INDEX assets_generator ON assets (generator_id, created);
        CREATE INDEX assets_model     ON assets (model_id, created);
        CREATE INDEX assets_hash      ON assets (hash);
        CREATE INDEX assets_path      ON assets (path);
        CREATE TABLE asset_parents (
            child_id  INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
            parent_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
            position  INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (child_id, parent_id)
        ) WITHOUT ROWID;
        CREATE INDEX asset_parents_parent ON asset_parents (parent_id);
        CREATE TABLE tags (
            id   INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        );
        CREATE TABLE asset_tags (
            asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
            tag_id   INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
            PRIMARY KEY (asset_id, tag_id)
        ) WITHOUT ROWID;
        CREATE INDEX asset_tags_tag ON asset_tags (tag_id, asset_id);
    """)


def _v2_jobs_and_search(conn: sqlite3.Connection, root: Path) -> None:
    _execute_script(conn, """
        CREATE TABLE jobs (
            id               INTEGER PRIMARY KEY,
            state            TEXT    NOT NULL CHECK (state IN
                               ('queued', 'running', 'done', 'failed', 'cancelled')),
            position         INTEGER NOT NULL,
            generator_id     TEXT    NOT NULL,
            plugin_version   TEXT    NOT NULL DEFAULT '',
            params           TEXT    NOT NULL DEFAULT '{}',
            seed             INTEGER,
            inputs           TEXT    NOT NULL DEFAULT '{}',
            model            TEXT,
            device           TEXT    NOT NULL DEFAULT 'auto',
            batch            TEXT    NOT NULL DEFAULT '',
            created          REAL    NOT NULL,
            started          REAL,
            finished         REAL,
            error            TEXT    NOT NULL DEFAULT '',
            asset_ids        TEXT    NOT NULL DEFAULT '[]',
            retry_of         INTEGER REFERENCES jobs (id) ON DELETE SET NULL,
            rerun_of         INTEGER,
            attempts         INTEGER NOT NULL DEFAULT 0,
            owner            TEXT    NOT NULL DEFAULT '',
            heartbeat        REAL,
            cancel_requested INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX jobs_state_position ON jobs (state, position);
        CREATE INDEX jobs_batch ON jobs (batch);
        CREATE VIRTUAL TABLE asset_search USING fts5 (
            prompt, text, title, notes, tags,
            tokenize = 'unicode61 remove_diacritics 2',
            prefix = '2 3'
        );
    """)
    rows = conn.execute("""
        SELECT a.id, a.kind, a.hash, a.suffix, a.prompt, a.title, a.notes,
               (SELECT group_concat(t.name, ' ') FROM asset_tags x JOIN tags t ON t.id = x.tag_id
                 WHERE x.asset_id = a.id) AS tags
          FROM assets a
    """).fetchall()
    for row in rows:
        text = _stored_text(root, row[2], row[3]) if row[1] in TEXT_KINDS else ""
        conn.execute(
            "INSERT INTO asset_search (rowid, prompt, text, title, notes, tags) VALUES (?,?,?,?,?,?)",
            search_row(row[0], prompt=row[4], text=text, title=row[5], notes=row[6],
                       tags=(row[7] or "").split()))


def _stored_text(root: Path, digest: str, suffix: str) -> str:
    """The text of a stored file, found by its hash (a row's path is never read: a shared
    project's row may name any file); empty when it cannot be read safely."""
    from genloom.core.project.errors import UnsafePathError
    from genloom.core.project.safe_paths import checked_inside, derived_path

    try:
        path = checked_inside(root, derived_path(digest, suffix))
    except (ValueError, UnsafePathError):
        return ""
    return read_text_file(path)


def _v3_job_seed_count(conn: sqlite3.Connection, root: Path) -> None:
    # A job makes one output per seed: ``seed`` .. ``seed + seed_count - 1``
    # (a batching generator takes several in one run). Old jobs made one seed's worth.
    conn.execute("ALTER TABLE jobs ADD COLUMN seed_count INTEGER NOT NULL DEFAULT 1")


def _boards(conn: sqlite3.Connection, root: Path) -> None:
    # Storyboards (genloom.core.boards). A take links an existing asset to a shot's
    # track; deleting the asset removes the take (never the other way round). A
    # removed shot is kept with ``removed = 1`` so that undo can bring it back.
    _execute_script(conn, """
        CREATE TABLE boards (
            id       INTEGER PRIMARY KEY,
            name     TEXT NOT NULL,
            created  REAL NOT NULL,
            style    TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TABLE board_shots (
            id          INTEGER PRIMARY KEY,
            board_id    INTEGER NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
            position    INTEGER NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            duration    REAL NOT NULL,
            camera      TEXT NOT NULL DEFAULT 'static',
            dialogue    TEXT NOT NULL DEFAULT '',
            character   TEXT NOT NULL DEFAULT '',
            notes       TEXT NOT NULL DEFAULT '',
            scene       TEXT NOT NULL DEFAULT '',
            removed     INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX board_shots_order ON board_shots (board_id, removed, position);
        CREATE TABLE board_takes (
            id       INTEGER PRIMARY KEY,
            shot_id  INTEGER NOT NULL REFERENCES board_shots (id) ON DELETE CASCADE,
            track    TEXT NOT NULL CHECK (track IN ('picture', 'voice', 'music')),
            asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
            selected INTEGER NOT NULL DEFAULT 0,
            created  REAL NOT NULL,
            job_id   INTEGER,
            UNIQUE (shot_id, track, asset_id)
        );
        CREATE UNIQUE INDEX board_takes_selected ON board_takes (shot_id, track)
            WHERE selected = 1;
        CREATE INDEX board_takes_asset ON board_takes (asset_id);
        CREATE TABLE board_jobs (
            job_id   INTEGER PRIMARY KEY,
            board_id INTEGER NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
            shot_id  INTEGER REFERENCES board_shots (id) ON DELETE CASCADE,
            track    TEXT NOT NULL CHECK (track IN ('picture', 'voice', 'music', 'cut'))
        );
        CREATE INDEX board_jobs_board ON board_jobs (board_id);
        CREATE TABLE board_undo (
            id       INTEGER PRIMARY KEY,
            board_id INTEGER NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
            label    TEXT NOT NULL,
            ops      TEXT NOT NULL,
            created  REAL NOT NULL
        );
        CREATE INDEX board_undo_board ON board_undo (board_id, id)
    """)
    # A finished job linked to a shot attaches its assets as takes in the transaction
    # that stores them (so no listener can miss it, across any crash or restart); the
    # first take of a track is selected. One statement: its body holds semicolons.
    conn.execute("""
        CREATE TRIGGER board_jobs_attach AFTER UPDATE OF state ON jobs
        WHEN NEW.state IN ('done', 'cancelled')
             AND EXISTS (SELECT 1 FROM board_jobs WHERE job_id = NEW.id AND track != 'cut')
        BEGIN
            INSERT OR IGNORE INTO board_takes (shot_id, track, asset_id, created, job_id)
            SELECT l.shot_id, l.track, CAST(a.value AS INTEGER), COALESCE(NEW.finished, 0), NEW.id
              FROM board_jobs l, json_each(NEW.asset_ids) a
             WHERE l.job_id = NEW.id AND l.shot_id IS NOT NULL
               AND EXISTS (SELECT 1 FROM assets WHERE id = CAST(a.value AS INTEGER));
            UPDATE board_takes SET selected = 1
             WHERE id = (SELECT min(t.id) FROM board_takes t WHERE t.job_id = NEW.id)
               AND NOT EXISTS (SELECT 1 FROM board_takes s WHERE s.selected = 1
                                  AND s.shot_id = board_takes.shot_id
                                  AND s.track = board_takes.track);
        END
    """)


def _board_follow_ups(conn: sqlite3.Connection, root: Path) -> None:
    # A take job may have a follow-up (the motion clip of a keyframe): queued, with the
    # keyframe as its input, once the job is done. Kept here so a restart loses none.
    conn.execute("ALTER TABLE board_jobs ADD COLUMN follow_up TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE board_jobs ADD COLUMN followed_by INTEGER")


def _conversations(conn: sqlite3.Connection, root: Path) -> None:
    # A conversation is a tree of messages; ``chosen_child_id`` (and the conversation's
    # ``chosen_root_id``) remember which branch the thread shows. An answer's asset is
    # referenced, never owned: deleting the asset keeps the message's text, and deleting a
    # conversation deletes its messages only. conversation_search's rowid is a message id.
    _execute_script(conn, """
        CREATE TABLE conversations (
            id             INTEGER PRIMARY KEY,
            title          TEXT    NOT NULL DEFAULT '',
            created        REAL    NOT NULL,
            updated        REAL    NOT NULL,
            settings       TEXT    NOT NULL DEFAULT '{}',
            chosen_root_id INTEGER
        );
        CREATE INDEX conversations_updated ON conversations (updated);
        CREATE TABLE messages (
            id              INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            parent_id       INTEGER REFERENCES messages (id) ON DELETE CASCADE,
            role            TEXT    NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
            content         TEXT    NOT NULL DEFAULT '',
            state           TEXT    NOT NULL DEFAULT 'done' CHECK (state IN
                              ('done', 'pending', 'failed', 'cancelled')),
            created         REAL    NOT NULL,
            asset_id        INTEGER REFERENCES assets (id) ON DELETE SET NULL,
            job_id          INTEGER REFERENCES jobs (id) ON DELETE SET NULL,
            error           TEXT    NOT NULL DEFAULT '',
            info            TEXT    NOT NULL DEFAULT '{}',
            chosen_child_id INTEGER
        );
        CREATE INDEX messages_conversation ON messages (conversation_id, id);
        CREATE INDEX messages_parent ON messages (parent_id, id);
        CREATE INDEX messages_job ON messages (job_id);
        CREATE INDEX messages_asset ON messages (asset_id);
        CREATE VIRTUAL TABLE conversation_search USING fts5 (
            title, content,
            tokenize = 'unicode61 remove_diacritics 2',
            prefix = '2 3'
        )
    """)


def _judgements_and_sweeps(conn: sqlite3.Connection, root: Path) -> None:
    # Evaluation (genloom.core.evaluation): a judgement compares two to four assets, one
    # preferred or a tie. Each entry keeps what the leaderboard ranks (generator, model,
    # setting) as it was when judged, so deleting an asset only clears ``asset_id`` and
    # the history still counts. A sweep is a grid of cell jobs and, once they have ended,
    # the job that draws the grid; both survive a restart.
    _execute_script(conn, """
        CREATE TABLE judgements (
            id      INTEGER PRIMARY KEY,
            created REAL NOT NULL,
            tie     INTEGER NOT NULL DEFAULT 0 CHECK (tie IN (0, 1)),
            note    TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE judgement_entries (
            judgement_id INTEGER NOT NULL REFERENCES judgements (id) ON DELETE CASCADE,
            position     INTEGER NOT NULL,
            asset_id     INTEGER REFERENCES assets (id) ON DELETE SET NULL,
            preferred    INTEGER NOT NULL DEFAULT 0 CHECK (preferred IN (0, 1)),
            kind         TEXT NOT NULL DEFAULT '',
            generator_id TEXT NOT NULL DEFAULT '',
            model_id     TEXT NOT NULL DEFAULT '',
            setting      TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (judgement_id, position)
        );
        CREATE INDEX judgement_entries_asset ON judgement_entries (asset_id);
        CREATE TABLE sweeps (
            id           INTEGER PRIMARY KEY,
            created      REAL NOT NULL,
            generator_id TEXT NOT NULL,
            definition   TEXT NOT NULL,
            grid_job_id  INTEGER,
            claimed      INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE sweep_cells (
            sweep_id INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            job_id   INTEGER NOT NULL,
            labels   TEXT NOT NULL,
            PRIMARY KEY (sweep_id, position)
        );
        CREATE INDEX sweep_cells_job ON sweep_cells (job_id)
    """)


def _evaluation(conn: sqlite3.Connection, root: Path) -> None:
    # One row per evaluation job; per-asset values and per-set (per-group) results keyed by
    # metric id + version, so a metric whose numbers change meaning never mixes with old ones.
    _execute_script(conn, """
        CREATE TABLE evaluations (
            id              INTEGER PRIMARY KEY,
            job_id          INTEGER NOT NULL UNIQUE,
            report_asset_id INTEGER REFERENCES assets (id) ON DELETE SET NULL,
            set_key         TEXT    NOT NULL,
            set_label       TEXT    NOT NULL DEFAULT '',
            group_by        TEXT    NOT NULL DEFAULT 'none',
            created         REAL    NOT NULL,
            failures        TEXT    NOT NULL DEFAULT '{}'
        );
        CREATE INDEX evaluations_set ON evaluations (set_key, created);
        CREATE TABLE metric_values (
            evaluation_id INTEGER NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
            asset_id      INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
            metric_id     TEXT    NOT NULL,
            version       INTEGER NOT NULL,
            value         REAL,
            error         TEXT    NOT NULL DEFAULT '',
            PRIMARY KEY (evaluation_id, asset_id, metric_id)
        );
        CREATE INDEX metric_values_asset ON metric_values (asset_id, metric_id, version);
        CREATE TABLE set_results (
            evaluation_id INTEGER NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
            group_name    TEXT    NOT NULL,
            metric_id     TEXT    NOT NULL,
            version       INTEGER NOT NULL,
            value         REAL,
            mean          REAL,
            count         INTEGER NOT NULL DEFAULT 0,
            error         TEXT    NOT NULL DEFAULT '',
            PRIMARY KEY (evaluation_id, group_name, metric_id)
        )
    """)


def _asset_tag_list(conn: sqlite3.Connection, root: Path) -> None:
    # Listing 200 assets spent most of its SQL time on a per-row subquery over asset_tags
    # and tags. The row now carries a copy of its tag names; asset_tags and tags stay the
    # source of truth (tag filters, counts), and these triggers keep the copy in step with
    # every change to them, in the same transaction, whoever writes (add, remove, a tag
    # renamed, an asset or tag deleted by cascade). The copy is sorted: the inner ORDER BY
    # fixes the order group_concat sees.
    tag_list_of = ("(SELECT coalesce(group_concat(name, char(31)), '') FROM "
                   "(SELECT t.name FROM asset_tags x JOIN tags t ON t.id = x.tag_id "
                   "WHERE x.asset_id = assets.id ORDER BY t.name))")
    conn.execute("ALTER TABLE assets ADD COLUMN tag_list TEXT NOT NULL DEFAULT ''")
    conn.execute(f"UPDATE assets SET tag_list = {tag_list_of} "
                 "WHERE id IN (SELECT asset_id FROM asset_tags)")
    for name, event, ids in (
            ("asset_tags_added", "INSERT ON asset_tags", "NEW.asset_id"),
            ("asset_tags_removed", "DELETE ON asset_tags", "OLD.asset_id"),
            ("asset_tags_moved", "UPDATE ON asset_tags", "OLD.asset_id, NEW.asset_id"),
            ("tags_renamed", "UPDATE OF name ON tags",
             "SELECT asset_id FROM asset_tags WHERE tag_id IN (OLD.id, NEW.id)")):
        conn.execute(f"CREATE TRIGGER {name} AFTER {event} BEGIN "
                     f"UPDATE assets SET tag_list = {tag_list_of} WHERE id IN ({ids}); END")


def _execute_script(conn: sqlite3.Connection, script: str) -> None:
    # Not executescript(): it commits first, which would break the one
    # transaction a migration must run in.
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


#: ``MIGRATIONS[i]`` moves a database from schema version ``i`` to ``i + 1``.
MIGRATIONS: tuple[Migration, ...] = (_v1_assets, _v2_jobs_and_search, _v3_job_seed_count,
                                     _boards, _board_follow_ups, _conversations,
                                     _judgements_and_sweeps, _evaluation, _asset_tag_list)

#: The schema version this code writes, and the newest it reads.
SCHEMA_VERSION = len(MIGRATIONS)


def user_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the database."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, root: Path, target: int = SCHEMA_VERSION) -> int:
    """Bring the database up to schema ``target`` in one transaction; return the old version.

    ``root`` is the project folder (a migration may read asset files). The
    version is re-read after taking the write lock, so two processes opening the
    same old project migrate it once. The caller checks for a too-new schema
    first; here a database already at or past ``target`` is left alone.
    """
    if not 0 <= target <= SCHEMA_VERSION:
        raise ValueError(f"target schema {target} is outside 0..{SCHEMA_VERSION}")
    if user_version(conn) >= target:
        return user_version(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = user_version(conn)
        for version in range(found, target):
            MIGRATIONS[version](conn, root)
        if found < target:
            conn.execute(f"PRAGMA user_version = {int(target)}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return found
