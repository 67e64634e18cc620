"""Measure the bundled code model (or any code model folder) the way a user meets it.

Runs ``code.complete`` through the plugin on prompts that end where a user's cursor
usually is (after a ``def``/``class`` line and its newline), for several seeds, with token
healing on and off, and reports how many completions are empty (under 3 tokens) and how
many parse with ``ast.parse`` once cut to their last complete line (a completion stopped by
the token limit is usually cut mid-statement). Seed 0 is greedy, the others sample at
temperature 0.7, top-p 0.95, with the repetition penalty off.

It also counts loops (a line, or a pair of lines, written three times in a row) and
completions that ran to the token limit, and runs once more with the generator's own
defaults (only the seed varies), which is what a user gets.

    python tools/eval_code_completions.py [--model FOLDER] [--seeds 4]
"""

from __future__ import annotations

import argparse
import ast
import os
import tempfile
from pathlib import Path

PROMPTS = [
    "def fibonacci(n):\n", "import os\n\n\ndef list_python_files(path):\n",
    "class Stack:\n    def __init__(self):\n", "def read_config(path):\n",
    "import json\n\n\ndef load(path):\n", "def parse(text):\n", "def is_prime(n):\n    ",
    "class Point:\n",
]


def parses(prompt: str, completion: str, ended: bool) -> bool:
    text = prompt + completion
    if not ended:  # keep whole lines only, and whole blocks when there is a blank line
        cut = completion.rfind("\n\n")
        cut = cut if cut >= 0 else completion.rfind("\n")
        text = prompt + (completion[:cut] if cut >= 0 else "")
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def loops(completion: str) -> bool:
    """True when a non-blank line, or a pair of them, repeats three times in a row."""
    lines = [line.strip() for line in completion.splitlines() if line.strip()]
    for period in (1, 2):
        for i in range(len(lines) - 3 * period + 1):
            if lines[i:i + period] == lines[i + period:i + 2 * period] == lines[i + 2 * period:i + 3 * period]:
                return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None,
                        help="a model folder (default: the bundled stdlib-llama)")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--defaults-only", action="store_true", help="only the generator-defaults run")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=INT",
                        help="override a whole-number parameter in every run (e.g. no_repeat_ngram_size=0)")
    args = parser.parse_args()
    os.environ.setdefault("GENLOOM_HOME", tempfile.mkdtemp(prefix="genloom-eval-"))

    from genloom.sdk import ModelRef, Request, RunState
    from genloom.testing.conformance import isolated_plugins

    plugins = isolated_plugins(modules=["genloom_code.plugin"])
    spec = plugins.generator("code.complete")
    ref = (ModelRef(id=str(args.model), path=str(args.model), source="user") if args.model
           else plugins.models[spec.default_model].to_ref())
    generator = spec.factory()
    generator.load(ref, "cpu", "float32")
    out_dir = Path(tempfile.mkdtemp(prefix="genloom-eval-out-"))
    runs = [(f"token healing {'on ' if healing else 'off'}", {
        "max_new_tokens": args.max_new_tokens, "repetition_penalty": 1.0, "token_healing": healing})
        for healing in (False, True)]
    runs.append(("generator defaults", {}))
    if args.defaults_only:
        runs = runs[-1:]
    extra = {name: int(value) for name, _, value in (item.partition("=") for item in args.set)}
    for label, overrides in runs:
        empty = ok = total = looped = at_limit = 0
        for prompt in PROMPTS:
            for seed in range(args.seeds):
                sampling = ({} if not overrides else {"temperature": 0.0} if seed == 0
                            else {"temperature": 0.7, "top_p": 0.95, "top_k": 0})
                params = spec.validate_params({"prompt": prompt, **overrides, **sampling, **extra})
                (out,) = generator.run(Request(spec.id, params, seed, model=ref,
                                               output_dir=out_dir), RunState())
                total += 1
                completion = out.metadata["completion"]
                empty += out.metadata["generated_tokens"] < 3
                ok += parses(prompt, completion, out.metadata["stop_reason"] != "max_tokens")
                looped += loops(completion)
                at_limit += out.metadata["stop_reason"] == "max_tokens"
        print(f"{label}: {total} completions, {empty} empty, {ok} parse ({ok / total:.0%}), "
              f"{looped} loop, {at_limit} ran to the token limit", flush=True)
    generator.unload()


if __name__ == "__main__":
    main()
