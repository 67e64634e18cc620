"""Entry module of the built-in code plugin: cheap to import, plain data only.

Generators ``code.complete`` (continue code) and ``code.infill`` (fill in the middle
between a prefix and a suffix) run transformers causal LMs: the bundled
``code.stdlib-llama`` (trained on the Python standard library and permissive PyPI code,
with FIM) or a user's
code model (StarCoder2, Qwen2.5-Coder...). Python output is checked with ``ast.parse``.
The language-model machinery is the SDK's ``genloom.sdk.lm`` (not the text plugin: a
plugin never reaches into another plugin's modules).
"""

from __future__ import annotations

from pathlib import Path

from genloom.sdk import (
    BoolParam,
    BundledModel,
    ChoiceParam,
    GeneratorSpec,
    InputSpec,
    StringParam,
    hookimpl,
)
from genloom.sdk.lm.model_folder import MODEL_KIND
from genloom.sdk.lm.params import TOKEN_HEALING, sampling_params
from genloom_code.checks import LANGUAGES

MODELS_DIR = Path(__file__).resolve().parent / "models"
BUNDLED_ID = "code.stdlib-llama"
DEVICES = ("cuda", "mps", "cpu")

LANGUAGE = ChoiceParam(
    "language", "python", choices=LANGUAGES,
    description="The programming language: sets the file type and highlighting; Python "
                "output is checked for syntax errors.")


STOP_AT_TOP_LEVEL = BoolParam(
    "stop_at_top_level", True, title="Stop at the end of the block", advanced=True,
    description="When the code ends inside a block (a def, class, if...), stop where the "
                "completion returns to the first column: the block is finished and the model "
                "does not go on writing unrelated code (or repeating itself) until the token limit.")


def _complete() -> object:
    from genloom_code.code_generators import CodeCompletionGenerator

    return CodeCompletionGenerator()


def _check() -> object:
    from genloom_code.check_generator import CheckGenerator

    return CheckGenerator()


def _infill() -> object:
    from genloom_code.code_generators import InfillGenerator

    return InfillGenerator()


@hookimpl
def genloom_register_generators() -> list[GeneratorSpec]:
    # Loops (one line written over and over) are stopped by never repeating an 8-token run and
    # by ending a completion with its block: measured with tools/eval_code_completions.py.
    code_sampling = sampling_params(max_new_tokens=128, temperature=0.2, no_repeat_ngram_size=8)
    return [
        GeneratorSpec(
            id="code.complete", modality="code", title="Code completion",
            description="Continues code with a language model, streaming as it writes.",
            factory=_complete,
            params=(StringParam("prompt", "", multiline=True, role="prompt", min_length=1,
                                max_length=100_000, title="Code",
                                description="The code to continue (for example a function "
                                            "signature and docstring)."),
                    LANGUAGE, *code_sampling, TOKEN_HEALING, STOP_AT_TOP_LEVEL),
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
        GeneratorSpec(
            id="code.check", modality="code", title="Save and check code",
            description="Stores code (such as a block from a chat answer) as a code asset "
                        "and checks that it parses (Python).",
            factory=_check,
            params=(StringParam("code", "", multiline=True, role="prompt", min_length=1,
                                max_length=1_000_000, title="Code",
                                description="The code to store and check."),
                    LANGUAGE),
            inputs=(InputSpec("source", "text", title="Made from", required=False,
                              description="The text (a chat answer) the code comes from; "
                                          "it becomes the code's parent in the lineage."),),
            uses_seed=False, devices=("cpu",),
        ),
    ]


@hookimpl
def genloom_register_models() -> list[BundledModel]:
    return [BundledModel(
        id=BUNDLED_ID, kind=MODEL_KIND, path=MODELS_DIR / "stdlib-llama",
        title="Stdlib Llama (5M, bundled)", architecture="LlamaForCausalLM",
        licence="Trained on the Python standard library (PSF License) and permissively licensed "
                "PyPI packages (MIT, BSD, Apache-2.0, PSF, ISC); see MODEL_CARD.md",
        description="A tiny Llama-style code model trained on CPython's standard library, then "
                    "on the documented functions of it and of 109 permissive PyPI packages, "
                    "with fill-in-the-middle examples.",
    )]
