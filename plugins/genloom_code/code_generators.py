"""The code plugin's generators: completion and fill-in-the-middle, with a syntax check.

They build on genloom.sdk.lm's language-model generator (model loading, backends,
streaming, cancel); what is theirs is the prompt, the language and the check.
"""

from __future__ import annotations

from typing import Any

from genloom.sdk import Output, ParameterError, Request, RunState
from genloom.sdk.lm.generator import LanguageModelGenerator, Prompt
from genloom_code.checks import SUFFIXES, check_code
from genloom_code.fim import require_fim


class _CodeGenerator(LanguageModelGenerator):
    kind = "code"

    def code_output(self, request: Request, code: str, metadata: dict[str, Any],
                    partial: bool, state: RunState) -> Output:
        """The output with its language, suffix and syntax check; the check's message
        (a syntax error with its line) is also the last progress message."""
        language = request.params["language"]
        check = check_code(code, language)
        if "check_message" in check:
            generated = int(metadata.get("generated_tokens", 0))
            state.progress(generated, request.params["max_new_tokens"],
                           check["check_message"])
        return Output(kind="code", text=code, suffix=SUFFIXES[language],
                      metadata={**metadata, "language": language, **check}, partial=partial)


class CodeCompletionGenerator(_CodeGenerator):
    """Continues the code; the output is the code with its continuation."""

    def prompt(self, request: Request) -> Prompt:
        return self.completion_prompt(request, {"mode": "completion"})

    def stops_at_top_level(self, request: Request) -> bool:
        """With ``stop_at_top_level`` on and the prompt ending inside a block (its last line
        indented or ending with ':'), the completion ends where the block does, instead of
        the model going on to write unrelated code until the token limit."""
        return bool(request.params.get("stop_at_top_level")) and inside_block(request.params["prompt"])

    def finish(self, request: Request, prompt: Prompt, generated: str,
               metadata: dict[str, Any], partial: bool, state: RunState) -> Output:
        return self.code_output(request, prompt.text + generated,
                                {**metadata, "completion": generated}, partial, state)


class InfillGenerator(_CodeGenerator):
    """Writes the middle between a prefix and a suffix (models with FIM tokens); the output
    is the whole code: prefix, middle, suffix."""

    def prompt(self, request: Request) -> Prompt:
        before, after = request.params["prompt"], request.params["suffix"]
        if not before and not after:
            raise ParameterError("prompt", before, "and suffix are both empty",
                                 "give the code before and/or after the gap")
        model = self.model_ref.id if self.model_ref else "?"
        style = require_fim(self.tokenizer, model)
        text = style.prompt(before, after)
        return Prompt(text, self.encode(text, add_special_tokens=False),
                      {"mode": "fill-in-the-middle", "fim_tokens": style.prefix})

    def finish(self, request: Request, prompt: Prompt, generated: str,
               metadata: dict[str, Any], partial: bool, state: RunState) -> Output:
        code = request.params["prompt"] + generated + request.params["suffix"]
        return self.code_output(request, code, {**metadata, "middle": generated},
                                partial, state)

    def _eos_ids(self) -> list[int]:
        """End of sequence, and any FIM marker: the middle is over when the model writes one."""
        ids = super()._eos_ids()
        for token in ("<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<file_sep>",
                      "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|file_sep|>",
                      "<|endoftext|>", "<|fim_pad|>"):
            token_id = self.tokenizer.get_vocab().get(token)
            if token_id is not None and token_id not in ids:
                ids.append(token_id)
        return ids


def inside_block(code: str) -> bool:
    """True when ``code``'s last non-blank line is indented or opens a block (ends with ':')."""
    lines = [line for line in code.splitlines() if line.strip()]
    if not lines:
        return False
    last = lines[-1]
    return last[:1] in (" ", "\t") or last.rstrip().endswith(":")
