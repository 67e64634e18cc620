"""Errors say what was wrong and what would fix it; each front end words how (genloom.sdk.errors.Remedy)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from genloom.cli.remedies import CLI_PHRASES
from genloom.core.plugins import UnknownGeneratorError
from genloom.sdk.errors import REMEDY_ACTIONS, GenloomError, InputError, Remedy, explain

ROOT = Path(__file__).resolve().parents[2]
# Front-end syntax still written into messages here, to be converted by the owners of these
# modules (the model library's consent and folder messages).
NOT_YET_CONVERTED = {"desktop/genloom/core/models", "desktop/genloom/sdk/formats.py"}


def test_the_cli_words_every_remedy():
    assert set(CLI_PHRASES) == set(REMEDY_ACTIONS)


def test_the_api_words_every_remedy_without_cli_syntax():
    from genloom.api.phrases import API_PHRASES

    assert set(API_PHRASES) == set(REMEDY_ACTIONS)
    for action, phrase in API_PHRASES.items():
        worded = phrase.format(subject="image")
        assert "--" not in worded and "`genloom" not in worded, action


def test_explain_appends_the_front_ends_wording_and_leaves_other_errors_alone():
    exc = InputError("gltest_basic.invert needs a image asset as 'image'; none was given",
                     remedy=Remedy("give_input", "image"))
    assert explain(exc, CLI_PHRASES) == ("gltest_basic.invert needs a image asset as 'image'; none was "
                                         "given. Give one with --input image=ASSET_ID.")
    assert explain(exc, {}) == str(exc)
    assert explain(GenloomError("plain"), CLI_PHRASES) == "plain"
    assert explain(ValueError("not ours"), CLI_PHRASES) == "not ours"


def test_an_unknown_remedy_is_refused():
    with pytest.raises(ValueError, match="remedy 'reboot' is not one of give_input"):
        Remedy("reboot")


def test_a_missing_input_at_submit_names_the_role_and_the_cli_says_how(fixture_plugins, genloom_engine):
    engine = genloom_engine(fixture_plugins)
    with pytest.raises(InputError) as caught:
        engine.submit("gltest_basic.invert", {})
    assert caught.value.remedy == Remedy("give_input", "image")
    assert "--input" not in str(caught.value)
    assert "--input image=ASSET_ID" in explain(caught.value, CLI_PHRASES)


def test_an_unknown_generator_points_at_the_plugin_list_when_plugins_failed(fixture_plugins):
    with pytest.raises(UnknownGeneratorError) as caught:
        fixture_plugins.generator("gltest_basic.ech")  # the fixture set has plugins that fail on purpose
    assert "gltest_basic.echo" in str(caught.value) and "`genloom" not in str(caught.value)
    assert caught.value.remedy == Remedy("list_plugins")
    assert "`genloom plugins` shows which plugins failed and why" in explain(caught.value, CLI_PHRASES)


def _messages(path: Path) -> list[tuple[int, str]]:
    """The string constants of a module that end up in an exception or a job's error."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) or (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "_fail"):
            for child in ast.walk(node):
                if isinstance(child, ast.Constant) and isinstance(child.value, str):
                    found.append((child.lineno, child.value))
    return found


def test_core_sdk_and_plugins_raise_no_front_end_syntax():
    """Messages raised below the front ends reach the app verbatim: no `genloom ...` commands, no --flags."""
    offenders = []
    for base in ("desktop/genloom/core", "desktop/genloom/sdk", "plugins"):
        for path in sorted((ROOT / base).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/training/" in relative or any(relative.startswith(p) for p in NOT_YET_CONVERTED):
                continue  # training scripts are command-line programs
            for line, text in _messages(path):
                if "`genloom " in text or "--input" in text:
                    offenders.append(f"{relative}:{line}: {text[:80]}")
    assert offenders == []
