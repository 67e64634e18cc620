"""Measure the bundled code model (or any code model folder) the way a user meets it.

Runs ``code.complete`` through the plugin on prompts that end where a user's cursor
usually is (after a ``def``/``class`` line and its newline), for several seeds, with token
healing on and off, and reports how many completions are empty (under 3 tokens) and how
many parse with ``ast.parse`` once cut to their last complete line (a completion stopped by
the token limit is usually cut mid-statement). Seed 0 is greedy, the others sample at
temperature 0.7, top-p 0.95.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None,
                        help="a model folder (default: the bundled stdlib-llama)")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=96)
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
    for healing in (False, True):
        empty = ok = total = 0
        for prompt in PROMPTS:
            for seed in range(args.seeds):
                sampling = ({"temperature": 0.0} if seed == 0
                            else {"temperature": 0.7, "top_p": 0.95, "top_k": 0})
                params = spec.validate_params({
                    "prompt": prompt, "max_new_tokens": args.max_new_tokens,
                    "repetition_penalty": 1.0, "token_healing": healing, **sampling})
                (out,) = generator.run(Request(spec.id, params, seed, model=ref,
                                               output_dir=out_dir), RunState())
                total += 1
                empty += out.metadata["generated_tokens"] < 3
                ok += parses(prompt, out.metadata["completion"],
                             out.metadata["stop_reason"] == "eos")
        print(f"token healing {'on ' if healing else 'off'}: {total} completions, "
              f"{empty} empty, {ok} parse ({ok / total:.0%})", flush=True)
    generator.unload()


if __name__ == "__main__":
    main()
