"""The function-completion benchmark's runner: cutting, parsing, scoring through the fence,
the scores; and one run through the real code.complete generator on a tiny model."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from genloom.sdk import ModelRef, Request, RunState
from genloom_code.benchmark import runner
from genloom_code.benchmark.tasks import TASKS, Task

TASK = {t.name: t for t in TASKS}


def test_tasks_are_well_formed() -> None:
    assert len(TASKS) >= 40
    assert len({t.name for t in TASKS}) == len(TASKS)
    for task in TASKS:
        ast.parse(task.prompt + "    pass\n")  # a prompt is a function without a body
        ast.parse(task.tests)
        assert task.prompt.endswith('"""\n') and f"def {task.name}(" in task.prompt


def test_function_body_stops_at_the_next_top_level_line() -> None:
    completion = "    return a + b\n\n\ndef other():\n    pass\n"
    assert runner.function_body(completion) == "    return a + b\n"
    # cut by the token limit: the unfinished last line goes
    assert runner.function_body("    x = 1\n    return x +", ended=False) == "    x = 1\n"
    assert runner.function_body("print('top level')\n") == ""


def test_correct_completion_passes() -> None:
    result = runner.score(TASK["add"], "    return a + b\n\n\nprint('next')\n")
    assert result["parsed"] and result["passed"], result
    result = runner.score(TASK["read_lines"], "    with open(path) as fh:\n"
                          "        return fh.read().splitlines()\n")
    assert result["passed"], result


def test_wrong_completion_fails() -> None:
    result = runner.score(TASK["add"], "    return a - b\n")
    assert result["parsed"] and not result["passed"]
    assert result["status"] == "failed" and "AssertionError" in result["detail"]


def test_syntax_error_is_not_parsed_and_not_run() -> None:
    result = runner.score(TASK["add"], "    return (a +\n")
    assert not result["parsed"] and not result["passed"]
    assert result["status"] == "not parsed"
    assert not runner.score(TASK["add"], "")["parsed"]  # an empty body is not a completion


def test_infinite_loop_times_out() -> None:
    result = runner.score(TASK["add"], "    while True:\n        pass\n", timeout=2)
    assert result["status"] == "timeout" and not result["passed"]


def test_exit_zero_is_not_a_pass() -> None:
    result = runner.score(TASK["add"], "    import os\n    os._exit(0)\n")
    assert result["parsed"] and not result["passed"]


def test_completion_cannot_write_outside_its_folder(tmp_path: Path) -> None:
    """The benchmark scores completions through the fence (tests/core/test_sandbox.py
    tests the fence itself)."""
    target = tmp_path / "escaped.txt"
    body = f"    open({str(target)!r}, 'w').write('x')\n    return a + b\n"
    result = runner.score(TASK["add"], body)
    assert result["parsed"] and not result["passed"]
    assert "sandbox" in result["detail"]
    assert not target.exists()


def test_pass_at_k() -> None:
    assert runner.pass_at_k(4, 0, 1) == 0.0
    assert runner.pass_at_k(4, 4, 2) == 1.0
    assert runner.pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert runner.pass_at_k(4, 1, 2) == pytest.approx(0.5)


def test_run_scores_a_fixed_set_of_completions() -> None:
    answers = {"add": "    return a + b\n", "gcd": "    return a\n",
               "clamp": "    return max(low, min(value, high))\n", "factorial": "    return (\n"}
    tasks = [TASK[name] for name in answers]

    def complete(task: Task, seed: int, overrides: dict[str, Any]) -> tuple[str, bool]:
        return answers[task.name], True

    summary = runner.run(complete, tasks, samples=2)
    assert summary["pass@1"] == 0.5 and summary["parse_rate"] == 0.75
    assert sorted(summary["passed"]) == ["add", "clamp"]
    assert summary["sampled_pass@2"] == 0.5
    assert "| greedy | 50.0% (2/4) | 75.0% |" in runner.markdown_row("greedy", summary)


def test_completions_come_from_code_complete(tiny_fim_llama: ModelRef, code_plugins: Any,
                                             tmp_path: Path) -> None:
    """The completer runs the real generator; what it returns is what code.complete wrote
    after the prompt, and the loop-stop overrides reach the generator."""
    complete, unload, model_id = runner.plugin_completer(Path(tiny_fim_llama.path))
    try:
        summary = runner.run(complete, TASKS[:2], overrides={"max_new_tokens": 8})
        completion, _ended = complete(TASKS[0], 0, {"max_new_tokens": 8, "temperature": 0.0,
                                                    **runner.NO_LOOP_STOPS})
    finally:
        unload()
    assert model_id == tiny_fim_llama.path
    assert summary["tasks"] == 2 and 0.0 <= summary["parse_rate"] <= 1.0
    spec = code_plugins.generator("code.complete")
    generator = spec.factory()
    generator.load(tiny_fim_llama, "cpu", "float32")
    try:
        params = spec.validate_params({"prompt": TASKS[0].prompt, "max_new_tokens": 8,
                                       "temperature": 0.0, **runner.NO_LOOP_STOPS})
        (out,) = generator.run(Request(spec.id, params, 0, model=tiny_fim_llama,
                                       output_dir=tmp_path), RunState())
    finally:
        generator.unload()
    assert out.text == TASKS[0].prompt + completion
    json.dumps(summary)  # the summary is plain JSON
