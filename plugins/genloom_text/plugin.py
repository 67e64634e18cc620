"""Entry module of the built-in text plugin: cheap to import, plain data only.

Generators ``text.complete`` and ``text.chat`` run transformers causal language models:
the bundled ``text.fortune-llama`` (trained on Debian's fortunes) or any model folder the
user has in safetensors (Llama, Qwen, Mistral, Phi, Gemma, GPT-2...).
"""

from __future__ import annotations

from pathlib import Path

from genloom.sdk import (
    BundledModel,
    ChoiceParam,
    GeneratorSpec,
    ModelMatch,
    StringParam,
    hookimpl,
)
from genloom.sdk.lm.model_folder import MODEL_KIND
from genloom.sdk.lm.params import TOKEN_HEALING, sampling_params
from genloom_text.chat import OVERFLOW_CHOICES
from genloom_text.identify import identify_text_model

MODELS_DIR = Path(__file__).resolve().parent / "models"
BUNDLED_ID = "text.fortune-llama"
DEVICES = ("cuda", "mps", "cpu")


def _completion() -> object:
    from genloom_text.text_generators import CompletionGenerator

    return CompletionGenerator()


def _chat() -> object:
    from genloom_text.text_generators import ChatGenerator

    return ChatGenerator()


PROMPT = StringParam(
    "prompt", "", multiline=True, role="prompt", max_length=100_000,
    description="The text to continue. Leave it empty to let the model start on its own.")


@hookimpl
def genloom_register_generators() -> list[GeneratorSpec]:
    return [
        GeneratorSpec(
            id="text.complete", modality="text", title="Text completion",
            description="Continues a prompt with a language model, streaming as it writes.",
            factory=_completion, params=(PROMPT, *sampling_params(), TOKEN_HEALING),
            model_kinds=(MODEL_KIND,), default_model=BUNDLED_ID, devices=DEVICES,
        ),
        GeneratorSpec(
            id="text.chat", modality="text", title="Chat",
            description="Answers a message in a conversation, using the model's chat template.",
            factory=_chat,
            params=(
                StringParam("prompt", "", multiline=True, role="prompt", min_length=1,
                            max_length=100_000, title="Message",
                            description="Your message to the model."),
                StringParam("system_prompt", "", multiline=True, role="system_prompt",
                            description="Instructions that frame the whole conversation "
                                        "(optional)."),
                StringParam("conversation", "", multiline=True,
                            description='Earlier turns as JSON: [{"role": "user", "content": '
                                        '"..."}, {"role": "assistant", "content": "..."}] '
                                        "(optional).", advanced=True),
                ChoiceParam("context_overflow", "refuse", choices=OVERFLOW_CHOICES,
                            title="When the conversation is too long",
                            description="What happens when the conversation and the answer "
                                        "do not fit the model's context (counted with the "
                                        "model's tokenizer): refuse, or leave out the oldest "
                                        "turns (the system prompt and the new message stay).",
                            advanced=True),
                StringParam("answer_prefix", "", multiline=True, max_length=100_000,
                            title="Answer so far",
                            description="The start of the answer, to continue an answer that "
                                        "was cut off; the output is the whole answer "
                                        "(optional).", advanced=True),
                *sampling_params(max_new_tokens=200),
            ),
            model_kinds=(MODEL_KIND,), default_model=BUNDLED_ID, devices=DEVICES,
        ),
    ]


@hookimpl
def genloom_register_models() -> list[BundledModel]:
    return [BundledModel(
        id=BUNDLED_ID, kind=MODEL_KIND, path=MODELS_DIR / "fortune-llama",
        title="Fortune Llama (4M, bundled)", architecture="LlamaForCausalLM",
        licence="Trained on Debian fortunes (fortune-mod BSD-style licence); see MODEL_CARD.md",
        description="A tiny Llama-style model trained on Debian's fortune cookies: "
                    "short witty sayings. Small enough to run anywhere.",
    )]


@hookimpl
def genloom_identify_model(path: Path) -> ModelMatch | None:
    return identify_text_model(path)
