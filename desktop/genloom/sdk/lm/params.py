"""Parameters shared by every language-model generator (text and code plugins)."""

from __future__ import annotations

from genloom.sdk import BoolParam, ChoiceParam, FloatParam, IntParam, Param, StringParam

BACKENDS = ("torch", "onnx")


def sampling_params(max_new_tokens: int = 100, temperature: float = 0.8,
                    no_repeat_ngram_size: int = 0) -> tuple[Param, ...]:
    """Max tokens, temperature, top-p, top-k, repetition penalty, stops, backend.

    How many texts to make is not a parameter: Genloom's count asks for them,
    each with its own seed (one owner of "how many").
    """
    return (
        IntParam("max_new_tokens", max_new_tokens, minimum=1, maximum=4096,
                 title="Max new tokens",
                 description="The most tokens to generate (a token is about 3/4 of a word)."),
        FloatParam("temperature", temperature, minimum=0.0, maximum=5.0, step=0.05,
                   description="Randomness: 0 always picks the most likely token (greedy); "
                               "higher values give more varied text."),
        FloatParam("top_p", 0.95, minimum=0.01, maximum=1.0, step=0.01, title="Top-p",
                   description="Sample only from the most likely tokens whose probabilities "
                               "add up to this (nucleus sampling); 1 turns it off.",
                   advanced=True),
        IntParam("top_k", 50, minimum=0, maximum=100_000, title="Top-k",
                 description="Sample only from this many most likely tokens; 0 turns it off.",
                 advanced=True),
        FloatParam("repetition_penalty", 1.1, minimum=1.0, maximum=3.0, step=0.05,
                   description="Above 1, makes tokens already in the text less likely "
                               "(1 turns it off).", advanced=True),
        IntParam("no_repeat_ngram_size", no_repeat_ngram_size, minimum=0, maximum=64,
                 title="No repeat n-gram size",
                 description="Never write a run of this many tokens a second time (stops loops "
                             "such as one line written over and over); 0 turns it off.",
                 advanced=True),
        StringParam("stop", "", multiline=True, title="Stop sequences",
                    description="Stop when any of these appears (one per line; \\n means a "
                                "newline). The stop sequence is not included in the output.",
                    advanced=True),
        ChoiceParam("backend", "torch", choices=BACKENDS,
                    description="Run with PyTorch, or with ONNX Runtime (needs the model's "
                                "onnx/model.onnx export; the bundled models have one).",
                    advanced=True),
    )


TOKEN_HEALING = BoolParam(
    "token_healing", True, title="Token healing",
    description="Let the model rewrite how the prompt's last token ends (for example a "
                "newline before indentation, or a trailing space), which avoids empty or "
                "broken continuations; the output still starts with the prompt exactly.",
    advanced=True)
