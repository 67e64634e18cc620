"""Entry module of the built-in code plugin: cheap to import, plain data only.

Generators ``code.complete`` (continue code) and ``code.infill`` (fill in the middle
between a prefix and a suffix) run transformers causal LMs: the bundled
``code.stdlib-llama`` (trained on the Python standard library, with FIM) or a user's
code model (StarCoder2, Qwen2.5-Coder...). Python output is checked with ``ast.parse``.
The language-model machinery is the text plugin's (``genloom_text``), shipped alongside.
"""

from __future__ import annotations

from pathlib import Path

from genloom.sdk import BundledModel, ChoiceParam, GeneratorSpec, StringParam, hookimpl
from genloom_code.checks import LANGUAGES
from genloom_text.model_folder import MODEL_KIND
from genloom_text.params import TOKEN_HEALING, sampling_params

MODELS_DIR = Path(__file__).resolve().parent / "models"
BUNDLED_ID = "code.stdlib-llama"
DEVICES = ("cuda", "mps", "cpu")

LANGUAGE = ChoiceParam(
    "language", "python", choices=LANGUAGES,
    description="The programming language: sets the file type and highlighting; Python "
                "output is checked for syntax errors.")


def _complete() -> object:
    from genloom_code.code_generators import CodeCompletionGenerator

    return CodeCompletionGenerator()


def _infill() -> object:
    from genloom_code.code_generators import InfillGenerator

    return InfillGenerator()


@hookimpl
def genloom_register_generators() -> list[GeneratorSpec]:
    code_sampling = sampling_params(max_new_tokens=128, temperature=0.2)
    return [
        GeneratorSpec(
            id="code.complete", modality="code", title="Code completion",
            description="Continues code with a language model, streaming as it writes.",
            factory=_complete,
            params=(StringParam("prompt", "", multiline=True, role="prompt", min_length=1,
                                max_length=100_000, title="Code",
                                description="The code to continue (for example a function "
                                            "signature and docstring)."),
                    LANGUAGE, *code_sampling, TOKEN_HEALING),
            model_kinds=(MODEL_KIND,), default_model=BUNDLED_ID, devices=DEVICES,
        ),
        GeneratorSpec(
            id="code.infill", modality="code", title="Fill in the middle",
            description="Writes the code that belongs between a prefix and a suffix "
                        "(models trained with fill-in-the-middle tokens).",
            factory=_infill,
            params=(StringParam("prompt", "", multiline=True, role="prompt",
                                max_length=100_000, title="Code before",
                                description="The code before the gap."),
                    StringParam("suffix", "", multiline=True, max_length=100_000,
                                title="Code after", role="code",
                                description="The code after the gap."),
                    LANGUAGE, *code_sampling),
            model_kinds=(MODEL_KIND,), default_model=BUNDLED_ID, devices=DEVICES,
        ),
    ]


@hookimpl
def genloom_register_models() -> list[BundledModel]:
    return [BundledModel(
        id=BUNDLED_ID, kind=MODEL_KIND, path=MODELS_DIR / "stdlib-llama",
        title="Stdlib Llama (5M, bundled)", architecture="LlamaForCausalLM",
        licence="Trained on the Python standard library (PSF License); see MODEL_CARD.md",
        description="A tiny Llama-style code model trained on CPython's standard library "
                    "with fill-in-the-middle examples.",
    )]
