"""The records of a conversation: :class:`Conversation` and :class:`Message`."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MESSAGE_STATES", "ROLES", "Conversation", "Message", "conversation_from_row",
           "message_from_row"]

#: Who wrote a message.
ROLES: tuple[str, ...] = ("system", "user", "assistant")

#: An answer is pending while its job runs; it ends done, failed or cancelled (kept, partial).
MESSAGE_STATES: tuple[str, ...] = ("done", "pending", "failed", "cancelled")


@dataclass(frozen=True)
class Conversation:
    """A thread of messages, with the settings its turns are made with.

    ``settings`` holds ``generator`` (a chat generator's id), ``model`` (a model name
    as the model library resolves it, or ``None`` for the generator's default) and
    ``params`` (sampling and context settings; the thread's own parameters are never
    stored here). ``chosen_root_id`` is the first message of the branch shown.
    """

    id: int
    title: str
    created: float
    updated: float
    settings: dict[str, Any] = field(default_factory=dict)
    chosen_root_id: int | None = None


@dataclass(frozen=True)
class Message:
    """One message of a conversation's tree.

    ``parent_id`` is the message it follows (``None`` for a first message); siblings
    are the branches made by regenerating or editing. An assistant message made by a
    job has ``job_id`` and, once the job ends, ``asset_id`` (the answer as a text
    asset, with its recipe) and ``info``: ``seed``, ``prompt_tokens``,
    ``generated_tokens``, ``context_length``, ``dropped_messages``, ``stop_reason``,
    ``continued_from``. ``chosen_child_id`` is the reply the thread shows after it.
    """

    id: int
    conversation_id: int
    parent_id: int | None
    role: str
    content: str
    state: str
    created: float
    asset_id: int | None = None
    job_id: int | None = None
    error: str = ""
    info: dict[str, Any] = field(default_factory=dict)
    chosen_child_id: int | None = None

    @property
    def cut_off(self) -> bool:
        """True for an answer that stopped before it was finished (token limit or stop)."""
        return self.role == "assistant" and bool(self.content) and (
            self.state == "cancelled" or self.info.get("stop_reason") == "max_tokens")


def _loads(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def conversation_from_row(row: sqlite3.Row) -> Conversation:
    return Conversation(id=row["id"], title=row["title"], created=row["created"],
                        updated=row["updated"], settings=_loads(row["settings"]),
                        chosen_root_id=row["chosen_root_id"])


def message_from_row(row: sqlite3.Row) -> Message:
    return Message(id=row["id"], conversation_id=row["conversation_id"],
                   parent_id=row["parent_id"], role=row["role"], content=row["content"],
                   state=row["state"], created=row["created"], asset_id=row["asset_id"],
                   job_id=row["job_id"], error=row["error"], info=_loads(row["info"]),
                   chosen_child_id=row["chosen_child_id"])
