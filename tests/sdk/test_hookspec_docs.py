"""Every hook is documented: a docstring in the spec, and its exact signature in docs/plugins.md."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from genloom.sdk import hookspecs

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
HOOKS = [name for name, obj in vars(hookspecs).items() if name.startswith("genloom_") and callable(obj)]


def signature_line(name: str) -> str:
    """``def name(arg: Type) -> Return`` exactly as the spec declares it."""
    func = getattr(hookspecs, name)
    sig = inspect.signature(func)
    params = ", ".join(f"{p.name}: {p.annotation}" if p.annotation is not p.empty else p.name
                       for p in sig.parameters.values())
    return f"def {name}({params}) -> {sig.return_annotation}"


def test_there_are_hooks_to_document():
    assert {"genloom_register_generators", "genloom_register_models", "genloom_identify_model"} <= set(HOOKS)


@pytest.mark.parametrize("name", HOOKS)
def test_hook_has_a_complete_docstring(name):
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert ":returns:" in doc, f"{name}: say what the return value means"
    assert "Since API version" in doc, f"{name}: say which API version added it"
    for param in inspect.signature(getattr(hookspecs, name)).parameters:
        assert f":param {param}:" in doc, f"{name}: document parameter {param}"


@pytest.mark.parametrize("name", HOOKS)
def test_hook_signature_appears_in_the_plugin_guide(name):
    assert signature_line(name) in DOC.read_text(encoding="utf-8"), (
        f"docs/plugins.md must show `{signature_line(name)}`"
    )
