"""The conversation store: conversations and their message trees in the project database.

A conversation's messages form a tree: each message follows its parent, and regenerating
an answer or editing a message adds a sibling (a branch). The thread is the path from a
first message down through each message's chosen reply (the newest one when none was
chosen). Answers are assets made by jobs: a pending answer names its job, and when the job
ends (``project.events.job_changed``, on whichever thread ended it, or on the next read after
a restart) the message takes the asset's text, its facts (seed, token counts, what was left
out to fit the context) and the answers before it as the asset's lineage.

Deleting a conversation deletes its messages and their search rows, never an asset.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from genloom.core.conversations.errors import (
    ConversationError,
    ConversationNotFoundError,
    MessageNotFoundError,
)
from genloom.core.conversations.model import (
    ROLES,
    Conversation,
    Message,
    conversation_from_row,
    message_from_row,
)
from genloom.core.events import Signal
from genloom.core.project.search_text import fts_query, read_text_file, truncate_text

if TYPE_CHECKING:
    from genloom.core.project import Job, Project
    from genloom.core.project.database import Database

__all__ = ["ConversationEvents", "ConversationStore", "SearchHit"]

#: The longest title kept (a title made from a first message is cut to this).
TITLE_LENGTH = 80

#: Facts of an answer's output metadata a message keeps.
INFO_KEYS = ("prompt_tokens", "generated_tokens", "context_length", "dropped_messages",
             "stop_reason", "tokens_per_second", "chat_template", "context_overflow")


class ConversationEvents:
    """Signals of the conversation store; callbacks run on the thread that made the change.

    - ``conversation_changed(conversation_id)``: created, renamed, settings or branch
      choice changed, or a message added.
    - ``conversation_deleted(conversation_id)``.
    - ``message_changed(message)``: an answer settled (done, failed or cancelled).
    """

    def __init__(self) -> None:
        self.conversation_changed = Signal("conversation_changed")
        self.conversation_deleted = Signal("conversation_deleted")
        self.message_changed = Signal("message_changed")


@dataclass(frozen=True)
class SearchHit:
    """A conversation that matches a search, and its best matching message."""

    conversation: Conversation
    message: Message


class ConversationStore:
    """The project's conversations (``project.conversations``)."""

    def __init__(self, project: Project, db: Database) -> None:
        self.project = project
        self._db = db
        self.events = ConversationEvents()
        project.events.job_changed.connect(self._job_changed)

    # -- conversations -----------------------------------------------------------

    def create(self, title: str = "", settings: dict[str, Any] | None = None) -> Conversation:
        """A new, empty conversation."""
        now = time.time()
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO conversations (title, created, updated, settings) VALUES (?,?,?,?)",
                (_title(title), now, now, _dump("settings", settings or {})))
            conversation_id = int(cursor.lastrowid or 0)
        self.events.conversation_changed.emit(conversation_id)
        return self.get(conversation_id)

    def get(self, conversation_id: int) -> Conversation:
        """The conversation; :class:`ConversationNotFoundError` if there is none."""
        if not _is_row_id(conversation_id):
            raise ConversationNotFoundError(conversation_id)
        row = self._db.connection().execute("SELECT * FROM conversations WHERE id = ?",
                                            (conversation_id,)).fetchone()
        if row is None:
            raise ConversationNotFoundError(conversation_id)
        return conversation_from_row(row)

    def list(self, limit: int = 1000) -> list[Conversation]:
        """The conversations, the most recently changed first."""
        rows = self._db.connection().execute(
            "SELECT * FROM conversations ORDER BY updated DESC, id DESC LIMIT ?", (int(limit),))
        return [conversation_from_row(row) for row in rows]

    def rename(self, conversation_id: int, title: str) -> Conversation:
        """Give the conversation a new title (searchable)."""
        title = _title(title)
        if not title:
            raise ConversationError("a conversation's title cannot be empty; give a few words")
        with self._db.transaction() as conn:
            self._require(conn, conversation_id)
            conn.execute("UPDATE conversations SET title = ?, updated = ? WHERE id = ?",
                         (title, time.time(), conversation_id))
            conn.execute("UPDATE conversation_search SET title = ? WHERE rowid IN "
                         "(SELECT id FROM messages WHERE conversation_id = ?)",
                         (title, conversation_id))
        self.events.conversation_changed.emit(conversation_id)
        return self.get(conversation_id)

    def update_settings(self, conversation_id: int, settings: dict[str, Any]) -> Conversation:
        """Replace the settings the next turns are made with (generator, model, params)."""
        with self._db.transaction() as conn:
            self._require(conn, conversation_id)
            conn.execute("UPDATE conversations SET settings = ?, updated = ? WHERE id = ?",
                         (_dump("settings", settings), time.time(), conversation_id))
        self.events.conversation_changed.emit(conversation_id)
        return self.get(conversation_id)

    def delete(self, conversation_id: int) -> None:
        """Delete the conversation and its messages; the answers' assets stay in the project."""
        with self._db.transaction() as conn:
            self._require(conn, conversation_id)
            conn.execute("DELETE FROM conversation_search WHERE rowid IN "
                         "(SELECT id FROM messages WHERE conversation_id = ?)",
                         (conversation_id,))
            # Children first is not needed: the whole conversation goes in one statement,
            # and messages' parent links cascade within it.
            conn.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
            conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        self.events.conversation_deleted.emit(conversation_id)

    # -- messages and the thread -----------------------------------------------

    def message(self, message_id: int) -> Message:
        """The message; :class:`MessageNotFoundError` if there is none."""
        if not _is_row_id(message_id):
            raise MessageNotFoundError(message_id)
        row = self._db.connection().execute("SELECT * FROM messages WHERE id = ?",
                                            (message_id,)).fetchone()
        if row is None:
            raise MessageNotFoundError(message_id)
        return message_from_row(row)

    def messages(self, conversation_id: int) -> builtins.list[Message]:
        """Every message of the conversation (all branches), oldest first."""
        self.get(conversation_id)
        self.settle_pending(conversation_id)
        return self._all(conversation_id)

    def _all(self, conversation_id: int) -> builtins.list[Message]:
        rows = self._db.connection().execute(
            "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,))
        return [message_from_row(row) for row in rows]

    def thread(self, conversation_id: int) -> builtins.list[Message]:
        """The messages of the chosen branch, first to last."""
        conversation = self.get(conversation_id)
        return _path(self.messages(conversation_id), conversation.chosen_root_id)

    def thread_to(self, message_id: int) -> builtins.list[Message]:
        """The messages from the first one down to ``message_id`` (its ancestors and it)."""
        message = self.message(message_id)
        by_id = {m.id: m for m in self._all(message.conversation_id)}
        path = [by_id[message.id]]
        while path[-1].parent_id is not None:
            path.append(by_id[path[-1].parent_id])
        return path[::-1]

    def siblings(self, message_id: int) -> builtins.list[Message]:
        """The message and its alternatives (the branches at its place), oldest first."""
        message = self.message(message_id)
        rows = self._db.connection().execute(
            "SELECT * FROM messages WHERE conversation_id = ? AND parent_id IS ? ORDER BY id",
            (message.conversation_id, message.parent_id))
        return [message_from_row(row) for row in rows]

    def choose(self, message_id: int) -> builtins.list[Message]:
        """Show the branch through ``message_id``; returns the thread as it is now.

        The choice is remembered at every fork on the way, so the thread keeps it after a
        restart.
        """
        path = self.thread_to(message_id)
        conversation_id = path[0].conversation_id
        with self._db.transaction() as conn:
            conn.execute("UPDATE conversations SET chosen_root_id = ?, updated = ? WHERE id = ?",
                         (path[0].id, time.time(), conversation_id))
            for parent, child in zip(path, path[1:], strict=False):
                conn.execute("UPDATE messages SET chosen_child_id = ? WHERE id = ?",
                             (child.id, parent.id))
        self.events.conversation_changed.emit(conversation_id)
        return self.thread(conversation_id)

    def add_message(self, conversation_id: int, parent_id: int | None, role: str, content: str,
                    *, state: str = "done", job_id: int | None = None,
                    info: dict[str, Any] | None = None) -> Message:
        """Add a message after ``parent_id`` (``None``: a first message) and choose it."""
        (message,) = self.add_messages(conversation_id, parent_id,
                                       [(role, content, state, job_id, info or {})])
        return message

    def add_messages(self, conversation_id: int, parent_id: int | None,
                     items: Sequence[tuple[str, str, str, int | None, dict[str, Any]]]
                     ) -> builtins.list[Message]:
        """Add a chain of messages (role, content, state, job id, info), each following the
        one before, the first after ``parent_id``, in one transaction; the chain is chosen.
        A conversation without a title takes its first user message's start."""
        ids: builtins.list[int] = []
        now = time.time()
        with self._db.transaction() as conn:
            conversation = self._require(conn, conversation_id)
            if parent_id is not None:
                parent = conn.execute("SELECT conversation_id FROM messages WHERE id = ?",
                                      (parent_id,)).fetchone()
                if parent is None or parent[0] != conversation_id:
                    raise MessageNotFoundError(parent_id)
            previous = parent_id
            title = conversation.title
            for role, content, state, job_id, info in items:
                if role not in ROLES:
                    raise ConversationError(f"role {role!r} is not a message role; use one of "
                                            f"{', '.join(ROLES)}")
                cursor = conn.execute(
                    "INSERT INTO messages (conversation_id, parent_id, role, content, state, "
                    "created, job_id, info) VALUES (?,?,?,?,?,?,?,?)",
                    (conversation_id, previous, role, content, state, now, job_id,
                     _dump("info", info)))
                new_id = int(cursor.lastrowid or 0)
                if previous is None:
                    conn.execute("UPDATE conversations SET chosen_root_id = ? WHERE id = ?",
                                 (new_id, conversation_id))
                else:
                    conn.execute("UPDATE messages SET chosen_child_id = ? WHERE id = ?",
                                 (new_id, previous))
                if not title and role == "user" and content.strip():
                    title = _title(" ".join(content.split()))
                conn.execute("INSERT INTO conversation_search (rowid, title, content) "
                             "VALUES (?,?,?)", (new_id, title, truncate_text(content)))
                ids.append(new_id)
                previous = new_id
            conn.execute("UPDATE conversations SET title = ?, updated = ? WHERE id = ?",
                         (title, now, conversation_id))
            if title != conversation.title:
                conn.execute("UPDATE conversation_search SET title = ? WHERE rowid IN "
                             "(SELECT id FROM messages WHERE conversation_id = ?)",
                             (title, conversation_id))
        self.events.conversation_changed.emit(conversation_id)
        messages = [self.message(i) for i in ids]
        for message in messages:
            if message.job_id is not None and message.state == "pending":
                self.settle_job(message.job_id)  # a job that ended before its row existed
        return [self.message(i) for i in ids]

    # -- answers: settling what their jobs made ----------------------------------

    def _job_changed(self, job: Job) -> None:
        if job.is_finished:
            self.settle_job(job.id)

    def settle_pending(self, conversation_id: int) -> None:
        """Settle the conversation's pending answers whose jobs have ended (after a restart,
        or when another process ran them)."""
        rows = self._db.connection().execute(
            "SELECT m.job_id FROM messages m JOIN jobs j ON j.id = m.job_id "
            "WHERE m.conversation_id = ? AND m.state = 'pending' "
            "AND j.state IN ('done', 'failed', 'cancelled')", (conversation_id,)).fetchall()
        for row in rows:
            self.settle_job(int(row[0]))

    def settle_job(self, job_id: int) -> builtins.list[Message]:
        """Give the pending answers of a finished job their text, facts and lineage."""
        from genloom.core.project.errors import JobNotFoundError

        rows = self._db.connection().execute(
            "SELECT * FROM messages WHERE job_id = ? AND state = 'pending'", (job_id,)).fetchall()
        if not rows:
            return []
        try:
            job = self.project.jobs.get(job_id)
        except JobNotFoundError:
            return []
        if not job.is_finished:
            return []
        settled = []
        for row in rows:
            message = message_from_row(row)
            done = self._settle(message, job)
            if done is not None:
                settled.append(done)
        for message in settled:
            self.events.message_changed.emit(message)
            self.events.conversation_changed.emit(message.conversation_id)
        return settled

    def _settle(self, message: Message, job: Job) -> Message | None:
        asset = None
        if job.asset_ids:
            try:
                asset = self.project.get_asset(job.asset_ids[0])
            except LookupError:
                asset = None  # deleted already: the message keeps what it can
        content, info = message.content, dict(message.info)
        if asset is not None:
            content = read_text_file(self.project.asset_path(asset))
            info.update({k: asset.metadata[k] for k in INFO_KEYS if k in asset.metadata})
        state = {"done": "done", "failed": "failed"}.get(job.state, "cancelled")
        if state == "done" and asset is None:
            state = "failed"
        error = job.error if state != "done" else ""
        lineage = self._lineage(message) if asset is not None else []
        with self._db.transaction() as conn:
            updated = conn.execute(
                "UPDATE messages SET content = ?, state = ?, asset_id = ?, error = ?, info = ? "
                "WHERE id = ? AND state = 'pending'",
                (content, state, asset.id if asset else None, error, _dump("info", info),
                 message.id))
            if not updated.rowcount:
                return None  # settled by another thread meanwhile
            conn.execute("UPDATE conversation_search SET content = ? WHERE rowid = ?",
                         (truncate_text(content), message.id))
            conn.execute("UPDATE conversations SET updated = ? WHERE id = ?",
                         (time.time(), message.conversation_id))
            if asset is not None and lineage:
                _link_parents(conn, asset.id, lineage)
        return self.message(message.id)

    def _lineage(self, message: Message) -> builtins.list[int]:
        """The assets of the answers before ``message`` in its thread, and of the answer it
        continues: the answer's lineage."""
        path = self.thread_to(message.id)[:-1]
        parents = [m.asset_id for m in path if m.role == "assistant" and m.asset_id is not None]
        continued = message.info.get("continued_from")
        if isinstance(continued, int):
            try:
                source = self.message(continued).asset_id
            except MessageNotFoundError:
                source = None
            if source is not None and source not in parents:
                parents.append(source)
        return parents

    # -- search --------------------------------------------------------------------

    def search(self, query: str, limit: int = 50) -> builtins.list[SearchHit]:
        """Conversations whose title or messages contain every word of ``query`` (as a word
        or the start of one), each with its best matching message, best first."""
        match = fts_query(query)
        if not match:
            return []
        rows = self._db.connection().execute(
            "SELECT m.*, s.rank AS search_rank FROM conversation_search s "
            "JOIN messages m ON m.id = s.rowid WHERE conversation_search MATCH ? "
            "ORDER BY s.rank LIMIT ?", (match, int(limit) * 20)).fetchall()
        hits: builtins.list[SearchHit] = []
        seen: set[int] = set()
        for row in rows:
            message = message_from_row(row)
            if message.conversation_id in seen:
                continue
            seen.add(message.conversation_id)
            hits.append(SearchHit(self.get(message.conversation_id), message))
            if len(hits) >= limit:
                break
        return hits

    # -- helpers -------------------------------------------------------------------

    def _require(self, conn: sqlite3.Connection, conversation_id: int) -> Conversation:
        if not _is_row_id(conversation_id):
            raise ConversationNotFoundError(conversation_id)
        row = conn.execute("SELECT * FROM conversations WHERE id = ?",
                           (conversation_id,)).fetchone()
        if row is None:
            raise ConversationNotFoundError(conversation_id)
        return conversation_from_row(row)


def _path(messages: Sequence[Message], root_id: int | None) -> builtins.list[Message]:
    """The chosen path through the tree: from the chosen (else newest) first message, each
    time to the chosen (else newest) reply."""
    children: dict[int | None, builtins.list[Message]] = {}
    for message in messages:
        children.setdefault(message.parent_id, []).append(message)

    def pick(options: builtins.list[Message], chosen: int | None) -> Message:
        return next((m for m in options if m.id == chosen), options[-1])

    path: builtins.list[Message] = []
    options = children.get(None, [])
    chosen = root_id
    while options:
        current = pick(options, chosen)
        path.append(current)
        options = children.get(current.id, [])
        chosen = current.chosen_child_id
    return path


def _link_parents(conn: sqlite3.Connection, asset_id: int, parents: Sequence[int]) -> None:
    """Add lineage links after the ones the asset already has (existing ones are kept)."""
    row = conn.execute("SELECT coalesce(max(position) + 1, 0) FROM asset_parents "
                       "WHERE child_id = ?", (asset_id,)).fetchone()
    start = int(row[0])
    present = {int(p) for p in parents
               if conn.execute("SELECT 1 FROM assets WHERE id = ?", (p,)).fetchone()}
    conn.executemany(
        "INSERT OR IGNORE INTO asset_parents (child_id, parent_id, position) VALUES (?,?,?)",
        [(asset_id, parent, start + index)
         for index, parent in enumerate(p for p in parents if p in present and p != asset_id)])


def _title(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= TITLE_LENGTH else text[:TITLE_LENGTH - 1].rstrip() + "…"


def _dump(name: str, value: dict[str, Any]) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ConversationError(f"{name}: {value!r:.80} cannot be stored ({exc}); use plain "
                                "JSON values (text, numbers, true/false, lists, objects)") from None


def _is_row_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63
