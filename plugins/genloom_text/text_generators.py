"""The text plugin's generators: completion and chat."""

from __future__ import annotations

from typing import Any

from genloom.sdk import Output, ParameterError, Request, RunState
from genloom.sdk.lm.generator import LanguageModelGenerator, Prompt
from genloom.sdk.lm.settings import context_length
from genloom_text.chat import build_messages, drop_oldest_turn, render_chat


class CompletionGenerator(LanguageModelGenerator):
    """Continues the prompt; the output is the prompt followed by its continuation."""

    def prompt(self, request: Request) -> Prompt:
        return self.completion_prompt(request, {"mode": "completion"})

    def finish(self, request: Request, prompt: Prompt, generated: str,
               metadata: dict[str, Any], partial: bool, state: RunState) -> Output:
        metadata = {**metadata, "completion": generated}
        return Output(kind="text", text=prompt.text + generated, metadata=metadata,
                      partial=partial)


class ChatGenerator(LanguageModelGenerator):
    """Answers the message, after the system prompt and the earlier conversation, with the
    model's own chat template (a plain User/Assistant layout for models without one)."""

    def prompt(self, request: Request) -> Prompt:
        """The rendered conversation, fitted to the model's context with exact token counts
        from the model's own tokenizer: refused, or with the oldest turns left out
        (``context_overflow``), never cut silently."""
        params = request.params
        messages = build_messages(params["system_prompt"], params["conversation"],
                                  params["prompt"])
        prefix = params.get("answer_prefix", "")
        policy = params.get("context_overflow", "refuse")
        budget = params["max_new_tokens"]
        context = context_length(self.folder.config if self.folder else {})
        given = len(messages)
        dropped = 0
        while True:
            text, template = render_chat(self.tokenizer, messages)
            text += prefix  # continuing an answer: the model goes on from where it stopped
            # The template already wrote any start token the model wants.
            ids = self.encode(text, add_special_tokens=False)
            if context is None or len(ids) + budget <= context:
                break
            if not any(m["role"] != "system" for m in messages[:-1]):
                if dropped:
                    raise ParameterError(
                        "prompt", f"<{len(ids)} tokens>",
                        f"does not fit the model's context of {context} tokens with "
                        f"max_new_tokens {budget} even with every earlier turn left out",
                        "shorten the message or the system prompt, or lower max_new_tokens")
                break  # only the new message: the context check names max_new_tokens
            if policy != "drop_oldest":
                raise ParameterError(
                    "context_overflow", policy,
                    f"the conversation is {len(ids)} tokens and the answer may take "
                    f"{budget} more, over the model's context of {context} tokens",
                    "choose drop_oldest to leave out the oldest turns, lower max_new_tokens, "
                    "or start a new conversation")
            dropped += drop_oldest_turn(messages)
        return Prompt(text, ids, {"mode": "chat", "chat_template": template,
                                  "messages": given - dropped, "dropped_messages": dropped,
                                  "context_length": context or 0,
                                  "context_overflow": policy})

    def finish(self, request: Request, prompt: Prompt, generated: str,
               metadata: dict[str, Any], partial: bool, state: RunState) -> Output:
        prefix = request.params.get("answer_prefix", "")
        if prefix:  # a continued answer: the output is the whole answer
            metadata = {**metadata, "continued_chars": len(prefix)}
        return Output(kind="text", text=prefix + generated, metadata=metadata, partial=partial)
