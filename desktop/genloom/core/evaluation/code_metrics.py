"""Code metrics: parse rate (ast), linter findings (ruff) and test pass rate.

The code is never run in this process: a code asset may come from a model or from a
project someone else made, so its tests run fenced in by :mod:`genloom.sdk.sandbox` (a
child Python with an audit hook, resource limits, no network where the OS allows, a
timeout); ruff runs as ``python -m ruff`` (it reads the files, it does not run them).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from genloom.core.evaluation.text_metrics import read_text
from genloom.sdk.errors import InputError
from genloom.sdk.metrics import MetricAsset, MetricContext

if TYPE_CHECKING:
    from genloom.sdk.sandbox import Outcome

__all__ = ["TEST_TIMEOUT_S", "lint_findings", "parses", "prompt_tests", "test_pass_rate"]

#: How long one asset's tests may run before they count as failed.
TEST_TIMEOUT_S = 10.0
_LINT_TIMEOUT_S = 60.0

_ASSERT = re.compile(r"^\s*assert\s.+$", re.MULTILINE)
_DOCSTRING_END = re.compile(r"^\s*(?:\"\"\"|\'\'\')\s*$", re.MULTILINE)

# Runs fenced in: the code, then each test, counting what passes. Plain text in (files in
# the working folder), JSON out.
_HARNESS = r'''
import doctest, json
code = open("candidate.py", encoding="utf-8").read()
tests = json.load(open("tests.json", encoding="utf-8"))
passed = total = 0
scope = {"__name__": "genloom_eval_candidate"}
try:
    exec(compile(code, "candidate.py", "exec"), scope)
    loaded = True
except BaseException:
    loaded = False
for kind, text in tests:
    if kind == "assert":
        total += 1
        if loaded:
            try:
                exec(compile(text, "test", "exec"), dict(scope))
                passed += 1
            except BaseException:
                pass
    else:
        test = doctest.DocTestParser().get_doctest(text, dict(scope), "prompt", None, 0)
        total += len(test.examples)
        if loaded and test.examples:
            runner = doctest.DocTestRunner(verbose=False, optionflags=doctest.ELLIPSIS)
            result = runner.run(test, out=lambda s: None)
            passed += result.attempted - result.failed
print(json.dumps({"passed": passed, "total": total}))
'''


def parses(asset: MetricAsset, context: MetricContext) -> float:
    """1 when the file is Python that parses, 0 when it does not."""
    try:
        ast.parse(read_text(asset.path))
    except (SyntaxError, ValueError):
        return 0.0
    return 1.0


def lint_findings(asset: MetricAsset, context: MetricContext) -> float:
    """How many findings ruff's default rules report for the file.

    The first call lints every Python file of the evaluation in one ruff process (a
    process per file would cost more than the linting) and keeps the counts.
    """
    counts: dict[str, int] = context.cache.setdefault("ruff-findings", {})
    key = str(asset.path)
    if key not in counts:
        batch = {str(a.path) for a in context.assets if a.path.suffix.lower() == ".py"} - set(counts)
        batch.add(key)
        found = _ruff(sorted(batch), context)
        counts.update({path: 0 for path in batch})
        for finding in found:
            name = str(finding.get("filename", ""))
            if name in counts:
                counts[name] += 1
    return float(counts[key])


def _ruff(paths: list[str], context: MetricContext) -> list[dict[str, object]]:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--exit-zero",
             "--output-format", "json", *paths],
            capture_output=True, text=True, timeout=_LINT_TIMEOUT_S, cwd=context.scratch)
    except subprocess.TimeoutExpired:
        raise InputError(f"ruff took longer than {_LINT_TIMEOUT_S:g} s on the files") from None
    if done.returncode != 0:
        raise InputError(f"ruff could not check the files: {done.stderr.strip()[-300:]}"
                         if "No module named ruff" not in done.stderr else
                         "ruff is not installed in Genloom's Python; install it (pip install ruff)")
    found = json.loads(done.stdout or "[]")
    return [f for f in found if isinstance(f, dict)]


def prompt_tests(prompt: str) -> list[tuple[str, str]]:
    """The tests a prompt carries: doctest examples (``>>>``) and ``assert`` lines."""
    tests: list[tuple[str, str]] = []
    if ">>>" in prompt:
        # The assert lines are tests of their own, not the expected output of an example;
        # a line that only closes a docstring ends an example's expected output (doctest
        # reads a docstring's text, here the whole prompt is read).
        tests.append(("doctest", _DOCSTRING_END.sub("", _ASSERT.sub("", prompt))))
    tests += [("assert", line.strip()) for line in _ASSERT.findall(prompt)
              if not line.lstrip().startswith(">>>")]
    return tests


def test_pass_rate(asset: MetricAsset, context: MetricContext) -> float | None:
    """Share of the prompt's tests the code passes (None: the prompt carries no tests).

    The first call runs the tests of every Python asset of the evaluation whose prompt
    carries tests, fenced in, in one batch (:func:`genloom.sdk.sandbox.run_programs`:
    one interpreter start, a process per asset) and keeps the rates.
    """
    tests = prompt_tests(asset.prompt)
    if not tests:
        return None
    rates: dict[tuple[str, str], float | None] = context.cache.setdefault("test-pass-rates", {})
    key = (str(asset.path), asset.prompt)
    if key not in rates:
        batch = {key: (asset.path, tests)}
        for other in context.assets:
            other_key = (str(other.path), other.prompt)
            if other.path.suffix.lower() == ".py" and other_key not in rates and other_key not in batch:
                other_tests = prompt_tests(other.prompt)
                if other_tests:
                    batch[other_key] = (other.path, other_tests)
        rates.update(zip(batch, _run_tests(list(batch.values()), context), strict=True))
    return rates[key]


def _run_tests(batch: list[tuple[Path, list[tuple[str, str]]]], context: MetricContext) -> list[float | None]:
    """Each file's pass rate on its tests, all in one fenced batch."""
    from genloom.sdk.sandbox import run_programs

    outcomes = run_programs(
        [(_HARNESS, {"candidate.py": read_text(path), "tests.json": json.dumps(tests)}) for path, tests in batch],
        timeout=TEST_TIMEOUT_S, parent=Path(context.scratch))
    return [_rate(outcome) for outcome in outcomes]


def _rate(outcome: Outcome) -> float | None:
    """The pass rate the harness reported (None: it found no test to run); 0 for a
    candidate that hung, ended the child (os._exit, a signal, the memory limit) or
    printed over the report."""
    if not outcome.passed:
        return 0.0
    try:
        result = json.loads(outcome.stdout.strip().splitlines()[-1])
        passed, total = int(result["passed"]), int(result["total"])
    except (IndexError, ValueError, TypeError, KeyError):
        return 0.0
    return min(passed, total) / total if total else None
