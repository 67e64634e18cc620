"""Conversations: threads of messages (a tree with branches) whose answers are assets.

:class:`ConversationStore` (``project.conversations``) keeps them in the project database;
:class:`ChatTurns` makes the turns as jobs on an engine; :mod:`.export` writes them out;
:mod:`.code_blocks` finds code in answers and saves it as checked code assets. No Qt here:
the shell's chat view and ``genloom chat`` both present what this package answers.
"""

from __future__ import annotations

from genloom.core.conversations.code_blocks import CodeBlock, code_blocks, save_code_block
from genloom.core.conversations.errors import (
    ConversationError,
    ConversationNotFoundError,
    MessageNotFoundError,
)
from genloom.core.conversations.export import EXPORT_FORMATS, to_json, to_markdown
from genloom.core.conversations.model import Conversation, Message
from genloom.core.conversations.store import ConversationEvents, ConversationStore, SearchHit
from genloom.core.conversations.turns import (
    ChatTurns,
    chat_generators,
    context_usage,
    default_settings,
    is_chat_generator,
    settings_params,
    system_prompt_of,
    turn_params,
)

__all__ = [
    "EXPORT_FORMATS",
    "ChatTurns",
    "CodeBlock",
    "Conversation",
    "ConversationError",
    "ConversationEvents",
    "ConversationNotFoundError",
    "ConversationStore",
    "Message",
    "MessageNotFoundError",
    "SearchHit",
    "chat_generators",
    "code_blocks",
    "context_usage",
    "default_settings",
    "is_chat_generator",
    "save_code_block",
    "settings_params",
    "system_prompt_of",
    "to_json",
    "to_markdown",
    "turn_params",
]
