"""Errors of conversations, each a message for the user."""

from __future__ import annotations

from genloom.core.project.errors import ProjectError
from genloom.sdk.errors import Remedy

__all__ = ["ConversationError", "ConversationNotFoundError", "MessageNotFoundError"]


class ConversationError(ProjectError):
    """A conversation action that cannot be done as asked (the message says why and how)."""


class ConversationNotFoundError(ConversationError, LookupError):
    """No conversation with this id in the project."""

    def __init__(self, conversation_id: object) -> None:
        self.conversation_id = conversation_id
        super().__init__(f"there is no conversation {conversation_id!r} in this project",
                         remedy=Remedy("list_conversations"))


class MessageNotFoundError(ConversationError, LookupError):
    """No message with this id (in the conversation asked about)."""

    def __init__(self, message_id: object) -> None:
        self.message_id = message_id
        super().__init__(f"there is no message {message_id!r} in this conversation; the thread "
                         "shows each message's id")
