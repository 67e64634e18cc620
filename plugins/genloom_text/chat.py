"""Chat prompts: the conversation parameter and the model's own chat template."""

from __future__ import annotations

import json
from typing import Any

from genloom.sdk import ParameterError

ROLES = ("system", "user", "assistant")

#: What to do when the conversation and the answer's token budget do not fit the model's
#: context: refuse the request, or leave out the oldest turns (never the system prompt, never
#: the new message) until it fits.
OVERFLOW_CHOICES = ("refuse", "drop_oldest")

#: Used only for models whose tokenizer has no chat template of its own.
FALLBACK_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'system' %}{{ m['content'] }}\n\n"
    "{% elif m['role'] == 'user' %}User: {{ m['content'] }}\n"
    "{% else %}Assistant: {{ m['content'] }}\n{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}"
)


def parse_conversation(text: str) -> list[dict[str, str]]:
    """The earlier turns: a JSON list of ``{"role": "user"|"assistant", "content": ...}``."""
    if not text.strip():
        return []
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ParameterError("conversation", text[:80], f"is not valid JSON ({exc.msg})",
                             'give a JSON list like [{"role": "user", "content": "Hi"}, '
                             '{"role": "assistant", "content": "Hello!"}]') from None
    if not isinstance(data, list) or not all(
            isinstance(m, dict) and m.get("role") in ROLES and isinstance(m.get("content"), str)
            for m in data):
        raise ParameterError("conversation", text[:80],
                             "is not a list of {role, content} messages",
                             f"give a JSON list whose items have a role ({', '.join(ROLES)}) "
                             "and a content string")
    return [{"role": m["role"], "content": m["content"]} for m in data]


def build_messages(system_prompt: str, conversation: str, message: str) -> list[dict[str, str]]:
    """System prompt (if any), the earlier turns, then the new user message."""
    messages = []
    if system_prompt.strip():
        messages.append({"role": "system", "content": system_prompt})
    messages.extend(parse_conversation(conversation))
    messages.append({"role": "user", "content": message})
    return messages


def render_chat(tokenizer: Any, messages: list[dict[str, str]]) -> tuple[str, str]:
    """The prompt text for ``messages`` and which template made it (``model``/``fallback``)."""
    own = getattr(tokenizer, "chat_template", None)
    if isinstance(own, dict):  # several named templates: the default one is for chat
        own = own.get("default") or next(iter(own.values()), None)
    template = own or FALLBACK_TEMPLATE
    try:
        text = tokenizer.apply_chat_template(messages, tokenize=False,
                                             add_generation_prompt=True,
                                             chat_template=template)
    except Exception as exc:  # jinja raises its own errors, e.g. "roles must alternate"
        raise ParameterError("conversation", f"<{len(messages)} messages>",
                             f"was refused by the model's chat template: {exc}",
                             "follow the order the model expects (usually system, then "
                             "alternating user and assistant)") from exc
    return text, "model" if own else "fallback"


def drop_oldest_turn(messages: list[dict[str, str]]) -> int:
    """Remove the oldest turn after the system prompt in place: a user message with the
    assistant answer after it (an answer on its own if the thread starts with one). The last
    message, the one being answered, is never removed. Returns how many messages went."""
    first = next((i for i, m in enumerate(messages) if m["role"] != "system"), len(messages))
    if first >= len(messages) - 1:
        return 0
    removed = 1
    del messages[first]
    if messages[first]["role"] == "assistant" and first < len(messages) - 1:
        del messages[first]
        removed += 1
    return removed
