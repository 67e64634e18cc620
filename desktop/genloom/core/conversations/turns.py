"""Conversation turns as jobs: send, regenerate, edit, continue, stop.

A turn is a job of a chat generator (:func:`is_chat_generator`) whose request carries the
thread: the message being answered (``prompt``), the system prompt in force
(``system_prompt``) and the turns before it (``conversation``, JSON), plus the thread's
settings (sampling, ``context_overflow``). The engine owns the seed (drawn at submit when
the thread does not fix one; regenerating always draws a new one), so the answer's recipe
re-runs to the same text. What did not fit the model's context is decided in the worker with
the model's own tokenizer and recorded on the answer (``info["dropped_messages"]``), or the
job is refused and the answer shows why.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from genloom.core.conversations.errors import ConversationError
from genloom.core.conversations.model import Conversation, Message

if TYPE_CHECKING:
    from genloom.core.conversations.store import ConversationStore
    from genloom.core.jobs.engine import Engine
    from genloom.sdk.spec import GeneratorSpec

__all__ = ["THREAD_PARAMS", "ChatTurns", "chat_generators", "context_usage", "default_settings",
           "is_chat_generator", "settings_params", "system_prompt_of", "turn_params"]

#: The parameters a chat generator takes the thread in; core sets them for every turn.
THREAD_PARAMS = ("prompt", "system_prompt", "conversation")
#: Optional thread parameters: the answer so far (continue a cut-off answer).
CONTINUE_PARAM = "answer_prefix"


def is_chat_generator(spec: GeneratorSpec) -> bool:
    """A generator takes a conversation when it has the thread parameters."""
    names = {param.name for param in spec.params}
    return set(THREAD_PARAMS) <= names


def chat_generators(specs: Iterable[GeneratorSpec]) -> list[GeneratorSpec]:
    """The chat generators, ordered by title (the first is the default)."""
    return sorted((s for s in specs if is_chat_generator(s)), key=lambda s: (s.title.lower(), s.id))


def settings_params(spec: GeneratorSpec) -> list[Any]:
    """The parameters of ``spec`` a thread's settings hold (all but the thread's own)."""
    return [p for p in spec.params if p.name not in (*THREAD_PARAMS, CONTINUE_PARAM)]


def default_settings(specs: Iterable[GeneratorSpec]) -> dict[str, Any]:
    """Settings for a new conversation: the first chat generator with its default model."""
    found = chat_generators(specs)
    if not found:
        raise ConversationError("no chat generator is installed (the text plugin provides "
                                "text.chat); enable it in the plugin list")
    return {"generator": found[0].id, "model": None, "params": {}}


def system_prompt_of(history: Sequence[Message]) -> str:
    """The system prompt in force after ``history``: its latest system message."""
    for message in reversed(history):
        if message.role == "system":
            return message.content
    return ""


def turn_params(conversation: Conversation, spec: GeneratorSpec, history: Sequence[Message],
                message: str, answer_prefix: str = "") -> dict[str, Any]:
    """The request parameters of a turn answering ``message`` after ``history``."""
    allowed = {p.name for p in settings_params(spec)}
    stored = conversation.settings.get("params") or {}
    params = {k: v for k, v in stored.items() if k in allowed}
    turns = [{"role": m.role, "content": m.content} for m in history
             if m.role in ("user", "assistant") and m.state != "pending"
             and not (m.role == "assistant" and m.state == "failed")]
    params.update(prompt=message, system_prompt=system_prompt_of(history),
                  conversation=json.dumps(turns, ensure_ascii=False) if turns else "")
    if answer_prefix:
        if CONTINUE_PARAM not in {p.name for p in spec.params}:
            raise ConversationError(f"{spec.id} cannot continue an answer (it has no "
                                    f"{CONTINUE_PARAM} parameter); regenerate it instead")
        params[CONTINUE_PARAM] = answer_prefix
    return params


def context_usage(thread: Sequence[Message]) -> tuple[int, int] | None:
    """Tokens the thread takes and the model's context, as the last answer's job counted them
    with the model's tokenizer (prompt and answer), or None before any answer."""
    for message in reversed(thread):
        info = message.info
        if message.role == "assistant" and "prompt_tokens" in info:
            used = int(info.get("prompt_tokens", 0)) + int(info.get("generated_tokens", 0))
            return used, int(info.get("context_length", 0))
    return None


class ChatTurns:
    """Makes the turns of the project's conversations on an engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store: ConversationStore = engine.project.conversations

    def generator(self, conversation: Conversation) -> GeneratorSpec:
        """The conversation's chat generator (refused clearly when it is not one)."""
        wanted = conversation.settings.get("generator") or default_settings(
            self.engine.plugins.generators.values())["generator"]
        spec = self.engine.plugins.generator(str(wanted))
        if not is_chat_generator(spec):
            raise ConversationError(f"{spec.id} is not a chat generator (it takes no "
                                    "conversation); choose one of " + ", ".join(
                                        s.id for s in chat_generators(
                                            self.engine.plugins.generators.values())))
        return spec

    def send(self, conversation_id: int, text: str) -> Message:
        """Answer ``text`` as the next user message; returns the pending answer."""
        conversation = self.store.get(conversation_id)
        thread = self.store.thread(conversation_id)
        job = self._submit(conversation, thread, text)
        _user, answer = self.store.add_messages(
            conversation_id, thread[-1].id if thread else None,
            [("user", text, "done", None, {}), ("assistant", "", "pending", job.id,
                                                 {"seed": job.seed})])
        return answer

    def regenerate(self, message_id: int) -> Message:
        """A new answer (with a new seed) beside ``message_id``; returns it, pending."""
        message = self.store.message(message_id)
        if message.role != "assistant" or message.parent_id is None:
            raise ConversationError(f"message {message_id} is a {message.role} message; only "
                                    "an answer can be regenerated (edit a user message instead)")
        path = self.store.thread_to(message.parent_id)
        conversation = self.store.get(message.conversation_id)
        job = self._submit(conversation, path[:-1], path[-1].content, new_seed=True)
        return self.store.add_message(message.conversation_id, message.parent_id, "assistant",
                                      "", state="pending", job_id=job.id,
                                      info={"seed": job.seed, "regenerated_from": message.id})

    def edit(self, message_id: int, text: str) -> Message:
        """A new version of a user (or system) message beside the old one, on a new branch.

        A user message gets a new answer (returned, pending); a system message is only
        replaced (returned)."""
        message = self.store.message(message_id)
        path = self.store.thread_to(message_id)[:-1]
        if message.role == "system":
            return self.store.add_message(message.conversation_id, message.parent_id, "system",
                                          text, info={"edited_from": message.id})
        if message.role != "user":
            raise ConversationError(f"message {message_id} is an answer; regenerate or continue "
                                    "it, or edit the user message before it")
        conversation = self.store.get(message.conversation_id)
        job = self._submit(conversation, path, text)
        _user, answer = self.store.add_messages(
            message.conversation_id, message.parent_id,
            [("user", text, "done", None, {"edited_from": message.id}),
             ("assistant", "", "pending", job.id, {"seed": job.seed})])
        return answer

    def continue_answer(self, message_id: int) -> Message:
        """Continue an answer that was cut off: a new version of it (beside it) that starts
        with its text and goes on; returns it, pending."""
        message = self.store.message(message_id)
        if message.role != "assistant" or message.parent_id is None or not message.content:
            raise ConversationError(f"message {message_id} is not an answer with text to "
                                    "continue")
        path = self.store.thread_to(message.parent_id)
        conversation = self.store.get(message.conversation_id)
        job = self._submit(conversation, path[:-1], path[-1].content,
                           answer_prefix=message.content)
        return self.store.add_message(message.conversation_id, message.parent_id, "assistant",
                                      "", state="pending", job_id=job.id,
                                      info={"seed": job.seed, "continued_from": message.id})

    def set_system_prompt(self, conversation_id: int, text: str) -> Message | None:
        """Make ``text`` the system prompt from here on (a system message at the end of the
        thread; the first message when the thread is empty). None when it is unchanged."""
        thread = self.store.thread(conversation_id)
        if system_prompt_of(thread) == text:
            return None
        if thread and thread[-1].role == "system":  # replace a system prompt no turn used yet
            return self.store.add_message(conversation_id, thread[-1].parent_id, "system", text,
                                          info={"edited_from": thread[-1].id})
        return self.store.add_message(conversation_id, thread[-1].id if thread else None,
                                      "system", text)

    def stop(self, message_id: int) -> None:
        """Stop the job making a pending answer (the text so far is kept, marked cancelled)."""
        message = self.store.message(message_id)
        if message.state != "pending" or message.job_id is None:
            raise ConversationError(f"message {message_id} is not being written")
        self.engine.cancel(message.job_id)

    def _submit(self, conversation: Conversation, history: Sequence[Message], text: str, *,
                answer_prefix: str = "", new_seed: bool = False) -> Any:
        if not text.strip():
            raise ConversationError("the message is empty; write something to send")
        spec = self.generator(conversation)
        params = turn_params(conversation, spec, history, text, answer_prefix)
        seed = None if new_seed else conversation.settings.get("seed")
        (job,) = self.engine.submit(spec.id, params, seed=seed,
                                    model=conversation.settings.get("model") or None)
        return job
