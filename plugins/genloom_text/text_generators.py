"""The text plugin's generators: completion and chat."""

from __future__ import annotations

from typing import Any

from genloom.sdk import Output, Request, RunState
from genloom_lm.generator import LanguageModelGenerator, Prompt
from genloom_text.chat import build_messages, render_chat


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
        params = request.params
        messages = build_messages(params["system_prompt"], params["conversation"],
                                  params["prompt"])
        text, template = render_chat(self.tokenizer, messages)
        # The template already wrote any start token the model wants.
        return Prompt(text, self.encode(text, add_special_tokens=False),
                      {"mode": "chat", "chat_template": template, "messages": len(messages)})

    def finish(self, request: Request, prompt: Prompt, generated: str,
               metadata: dict[str, Any], partial: bool, state: RunState) -> Output:
        return Output(kind="text", text=generated, metadata=metadata, partial=partial)
