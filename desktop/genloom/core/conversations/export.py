"""A conversation written out: Markdown (the thread shown) and JSON (every branch)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genloom.core.conversations.model import Message

if TYPE_CHECKING:
    from genloom.core.conversations.store import ConversationStore

__all__ = ["EXPORT_FORMATS", "export_text", "format_for", "to_json", "to_markdown",
           "write_export"]

EXPORT_FORMATS = ("markdown", "json")

_HEADINGS = {"system": "System", "user": "User", "assistant": "Assistant"}


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


def to_markdown(store: ConversationStore, conversation_id: int) -> str:
    """The chosen thread as Markdown: a heading per message, an answer's facts under it."""
    conversation = store.get(conversation_id)
    lines = [f"# {conversation.title or 'Conversation'}", "",
             f"_Exported from Genloom; started {_when(conversation.created)}._", ""]
    for message in store.thread(conversation_id):
        lines += [f"## {_HEADINGS[message.role]}", ""]
        lines += [message.content.rstrip() or "_(no text)_", ""]
        facts = _facts(message)
        if facts:
            lines += [f"<sub>{facts}</sub>", ""]
    return "\n".join(lines).rstrip() + "\n"


def _facts(message: Message) -> str:
    if message.role != "assistant":
        return ""
    info = message.info
    parts = []
    if message.asset_id is not None:
        parts.append(f"asset {message.asset_id}")
    if "seed" in info:
        parts.append(f"seed {info['seed']}")
    if info.get("dropped_messages"):
        parts.append(f"{info['dropped_messages']} earlier messages left out to fit the context")
    if message.state in ("failed", "cancelled"):
        parts.append(message.state + (f": {message.error}" if message.error else ""))
    return " · ".join(parts)


def to_json(store: ConversationStore, conversation_id: int) -> dict[str, Any]:
    """The conversation as data: its settings, the chosen thread (ids) and every message
    with its parent (the whole tree)."""
    conversation = store.get(conversation_id)
    return {
        "format": "genloom-conversation", "version": 1,
        "id": conversation.id, "title": conversation.title,
        "created": conversation.created, "updated": conversation.updated,
        "settings": conversation.settings,
        "thread": [m.id for m in store.thread(conversation_id)],
        "messages": [message_dict(m) for m in store.messages(conversation_id)],
    }


def message_dict(message: Message) -> dict[str, Any]:
    """A message as plain data (the CLI's ``--json``, the JSON export)."""
    return {"id": message.id, "parent_id": message.parent_id, "role": message.role,
            "content": message.content, "state": message.state, "created": message.created,
            "asset_id": message.asset_id, "job_id": message.job_id, "error": message.error,
            "info": message.info}


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def export_text(store: ConversationStore, conversation_id: int, format: str) -> str:
    """The conversation as ``markdown`` or ``json`` text."""
    if format == "json":
        return dumps(to_json(store, conversation_id))
    if format == "markdown":
        return to_markdown(store, conversation_id)
    raise ValueError(f"format: {format!r} is not an export format; use markdown or json")


def format_for(path: Path) -> str:
    """The export format a file name asks for: ``.json`` is JSON, anything else Markdown."""
    return "json" if path.suffix.lower() == ".json" else "markdown"


def write_export(store: ConversationStore, conversation_id: int, path: Path,
                 format: str | None = None) -> Path:
    """Write the conversation to ``path`` (the user's choice, outside the project) atomically:
    a temporary file beside it, fsynced, then renamed; a failed write leaves no half file."""
    text = export_text(store, conversation_id, format or format_for(path))
    target = Path(path).expanduser().absolute()
    temp = target.with_name(f".{target.name}.genloom-tmp")
    try:
        with open(temp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target
