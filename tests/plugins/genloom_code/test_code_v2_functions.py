"""Code v2's CPU preset: every short documented function of the corpus becomes a document of
its own, and none named like a benchmark task (so the benchmark does not grade what the
model saw)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = (Path(__file__).resolve().parents[3] / "plugins" / "genloom_code" / "training"
          / "train_code_v2.py")

SOURCE = '''
import os


def join_words(words, sep=" "):
    """Return the words joined by sep."""
    return sep.join(words)


@decorated
def add(a, b):
    """Named like a benchmark task."""
    return a + b


def test_something():
    """A test."""
    assert True


def undocumented(x):
    return x


def only_a_docstring():
    """Nothing after it."""


def long_body(x):
    """Too long to be a completion task."""
''' + "".join(f"    x += {i}\n" for i in range(20)) + '''    return x


class Box:
    def size(self):
        """The number of items."""
        return len(self.items)
'''


@pytest.fixture(scope="module")
def script() -> ModuleType:
    pytest.importorskip("transformers")
    spec = importlib.util.spec_from_file_location("train_code_v2", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_code_v2"] = module
    spec.loader.exec_module(module)
    return module


def test_short_documented_functions_become_documents(script):
    docs = script.function_documents([SOURCE, SOURCE, "def broken(:\n"], script.benchmark_names())
    assert docs == [
        'def join_words(words, sep=" "):\n    """Return the words joined by sep."""\n    return sep.join(words)\n',
        'def size(self):\n    """The number of items."""\n    return len(self.items)\n',
    ]


def test_the_benchmark_task_names_are_read_from_its_tasks(script):
    names = script.benchmark_names()
    assert {"add", "fibonacci", "is_palindrome"} <= names and len(names) == 40
