"""Function-completion benchmark for code models: pass@1, pass@k and parse rate.

For each task (``tasks.TASKS``: a signature and docstring, hidden tests) the code model
completes the prompt through the real ``code.complete`` generator (the plugin API, the
same code path as the app and the CLI), the completion is cut to the function body, and
the prompt, the body and the tests run in a fenced child process (``sandbox``).

- **parse rate**: the share of completions whose body is not empty and whose function
  parses with ``ast.parse``;
- **pass@1**: the share of tasks whose greedy completion (temperature 0) passes its tests;
- **pass@k** (with ``--samples N``): over N sampled completions per task (seeds 1..N),
  the unbiased estimate of the chance that at least one of k passes (Chen et al., 2021).

    python -m genloom_code.benchmark [--model FOLDER] [--samples 4] [--no-loop-stops]
        [--set NAME=VALUE] [--json results.json]

Prints a JSON summary and one markdown table row.
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from genloom.sdk.sandbox import network_isolation, run_program
from genloom_code.benchmark.tasks import TASKS, Task

#: Parameters that turn off code.complete's loop-stopping defaults, for comparison.
NO_LOOP_STOPS = {"stop_at_top_level": False, "no_repeat_ngram_size": 0,
                 "repetition_penalty": 1.0}


def function_body(completion: str, ended: bool = True) -> str:
    """The completion cut to the function's body: up to the first line that is not
    indented (the next top-level statement). A completion cut by the token limit
    (``ended`` False) loses its last, unfinished line."""
    lines = completion.splitlines(keepends=True)
    if not ended and lines and len(lines) > 1:
        lines = lines[:-1]
    body = []
    for line in lines:
        if line.strip() and not line[:1].isspace():
            break
        body.append(line)
    return "".join(body).rstrip() + "\n" if "".join(body).strip() else ""


def parses(task: Task, body: str) -> bool:
    """True when the body is not empty and the completed function parses."""
    if not body.strip():
        return False
    try:
        ast.parse(task.prompt + body)
    except (SyntaxError, ValueError):
        return False
    return True


def score(task: Task, completion: str, *, ended: bool = True,
          timeout: float = 10.0) -> dict[str, Any]:
    """Cut, parse and (when it parses) test one completion of ``task``."""
    body = function_body(completion, ended)
    result: dict[str, Any] = {"task": task.name, "parsed": parses(task, body),
                              "passed": False, "status": "not parsed", "body": body}
    if result["parsed"]:
        outcome = run_program(task.prompt + body + "\n\n" + task.tests, timeout=timeout)
        result.update(passed=outcome.passed, status=outcome.status, detail=outcome.detail)
    return result


def pass_at_k(n: int, correct: int, k: int) -> float:
    """Unbiased pass@k from ``n`` samples of which ``correct`` passed."""
    if n - correct < k:
        return 1.0
    return 1.0 - math.comb(n - correct, k) / math.comb(n, k)


Complete = Callable[[Task, int, dict[str, Any]], tuple[str, bool]]


def plugin_completer(model: Path | None = None) -> tuple[Complete, Callable[[], None], str]:
    """A function that completes a task through ``code.complete`` (the bundled code
    model, or the model folder ``model``), its cleanup, and the model's name."""
    from genloom.sdk import ModelRef, Request, RunState
    from genloom_code import plugin  # this plugin's own registrations, no app needed

    spec = next(s for s in plugin.genloom_register_generators() if s.id == "code.complete")
    bundled = {m.id: m for m in plugin.genloom_register_models()}
    ref = (ModelRef(id=str(model), path=str(model), source="user") if model
           else bundled[spec.default_model].to_ref())
    generator = spec.factory()
    generator.load(ref, "cpu", "float32")
    out_dir = Path(tempfile.mkdtemp(prefix="genloom-bench-out-"))

    def complete(task: Task, seed: int, overrides: dict[str, Any]) -> tuple[str, bool]:
        params = spec.validate_params({"prompt": task.prompt, **overrides})
        (out,) = generator.run(Request(spec.id, params, seed, model=ref,
                                       output_dir=out_dir), RunState())
        text = out.text
        completion = (text[len(task.prompt):] if text.startswith(task.prompt)
                      else out.metadata["completion"])
        return completion, out.metadata.get("stop_reason") != "max_tokens"

    return complete, generator.unload, ref.id


def run(complete: Complete, tasks: Iterable[Task] = TASKS, *, samples: int = 0,
        overrides: dict[str, Any] | None = None, temperature: float = 0.8,
        timeout: float = 10.0,
        progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Greedy pass@1 and parse rate, and pass@k over ``samples`` sampled seeds;
    ``progress`` gets one line per task."""
    overrides = dict(overrides or {})
    tasks = list(tasks)
    rows = []
    for task in tasks:
        completion, ended = complete(task, 0, {**overrides, "temperature": 0.0})
        greedy = score(task, completion, ended=ended, timeout=timeout)
        sampled = []
        for seed in range(1, samples + 1):
            completion, ended = complete(task, seed, {
                **overrides, "temperature": temperature, "top_p": 0.95})
            sampled.append(score(task, completion, ended=ended, timeout=timeout))
        rows.append({**greedy, "samples": [
            {k: s[k] for k in ("parsed", "passed", "status")} for s in sampled]})
        if progress is not None:
            progress(f"{len(rows)}/{len(tasks)} {task.name}: {greedy['status']}")
    n = len(rows)
    summary: dict[str, Any] = {
        "tasks": n, "pass@1": sum(r["passed"] for r in rows) / n,
        "parse_rate": sum(r["parsed"] for r in rows) / n,
        "passed": [r["task"] for r in rows if r["passed"]],
        "timeouts": sum(r["status"] == "timeout" for r in rows),
        "overrides": overrides,
        "network_isolation": bool(network_isolation()),
    }
    if samples:
        for k in sorted({1, min(samples, 2), samples}):
            summary[f"sampled_pass@{k}"] = sum(
                pass_at_k(samples, sum(s["passed"] for s in r["samples"]), k)
                for r in rows) / n
        summary["sampled_parse_rate"] = sum(
            s["parsed"] for r in rows for s in r["samples"]) / (n * samples)
        summary["temperature"] = temperature
    summary["results"] = rows
    return summary


def markdown_row(label: str, summary: dict[str, Any]) -> str:
    """One row of the card's table: label, pass@1, parse rate (and pass@k if sampled)."""
    cells = [label, f"{summary['pass@1']:.1%} ({len(summary['passed'])}/{summary['tasks']})",
             f"{summary['parse_rate']:.1%}"]
    sampled = sorted(k for k in summary if k.startswith("sampled_pass@"))
    cells += [f"{k.removeprefix('sampled_')} {summary[k]:.1%}" for k in sampled]
    return "| " + " | ".join(cells) + " |"


def _value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None,
                        help="a code model folder (default: the bundled code model)")
    parser.add_argument("--samples", type=int, default=0,
                        help="sampled completions per task for pass@k (0: greedy only)")
    parser.add_argument("--no-loop-stops", action="store_true",
                        help="turn off the block stop, n-gram rule and repetition penalty")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a code.complete parameter (repeatable)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds each task's tests may run")
    parser.add_argument("--json", type=Path, default=None, help="write the full results here")
    parser.add_argument("--label", default=None, help="the markdown row's label")
    args = parser.parse_args(argv)
    os.environ.setdefault("GENLOOM_HOME", tempfile.mkdtemp(prefix="genloom-bench-home-"))
    overrides = dict(NO_LOOP_STOPS) if args.no_loop_stops else {}
    overrides.update({name: _value(value) for name, _, value in
                      (item.partition("=") for item in args.set)})
    complete, unload, model_id = plugin_completer(args.model)
    start = time.time()
    try:
        summary = run(complete, samples=args.samples, overrides=overrides,
                      timeout=args.timeout,
                      progress=lambda line: print(line, file=sys.stderr, flush=True))
    finally:
        unload()
    summary["model"] = model_id
    summary["seconds"] = round(time.time() - start, 1)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1) + "\n")
    short = {k: v for k, v in summary.items() if k != "results"}
    print(json.dumps(short, indent=1))
    label = args.label or (Path(model_id).name + (" (loop stops off)" if args.no_loop_stops
                                                   else ""))
    print(markdown_row(label, summary))
