"""docs/plugins.md cannot drift: its example plugin is assembled from the page, its test file
(from "Testing your plugin") runs with pytest on it, ``genloom plugin validate`` passes it, and
every hook, fixture and ConformanceReport field is documented."""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
EXAMPLE = re.compile(r"<!-- example: (?P<path>[\w./-]+) -->\n```\w*\n(?P<code>.*?)\n```", re.S)


def examples() -> dict[str, str]:
    """Each example file of the page: its blocks, in order, joined."""
    files: dict[str, list[str]] = {}
    for match in EXAMPLE.finditer(DOC):
        files.setdefault(match["path"], []).append(match["code"])
    return {path: "\n\n\n".join(blocks) + "\n" for path, blocks in files.items()}


@pytest.fixture
def example_folder(tmp_path: Path) -> Path:
    for relative, text in examples().items():
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return tmp_path


def test_the_page_holds_the_example_plugin_and_its_tests():
    assert set(examples()) == {"weave/__init__.py", "weave/genloom-plugin.toml",
                               "weave/models/basic/palette.json", "tests/test_weave.py"}


def test_the_documented_tests_pass_on_the_documented_plugin(example_folder, genloom_home):
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home)}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_weave.py"],
                            cwd=example_folder, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "5 passed" in result.stdout


def test_validate_passes_the_documented_plugin(example_folder):
    from genloom.testing.validate import validate_plugin

    report = validate_plugin(example_folder / "weave")
    assert report.ok, json.dumps(report.to_dict(), indent=1)
    assert "weave.draft: same seed, same bytes" in [c.name for c in report.checks]


def test_every_hook_is_documented_with_its_exact_signature_and_an_example():
    from genloom.sdk import hookspecs

    hooks = [name for name in dir(hookspecs) if name.startswith("genloom_")]
    for name in hooks:
        function = getattr(hookspecs, name)
        signature = str(inspect.signature(function)).replace("'", "")
        assert f"### {name}\n\n```python\ndef {name}{signature}\n```" in DOC, name
        section = DOC.split(f"### {name}\n", 1)[1].split("\n### ", 1)[0]
        assert f"def {name}(" in section.split("```", 2)[2], f"{name} has no working example"


def test_every_fixture_and_report_field_is_documented():
    from genloom.testing import ConformanceReport, pytest_plugin

    testing = DOC.split("## Testing your plugin", 1)[1]
    fixtures = [name for name, value in vars(pytest_plugin).items()
                if name.startswith("genloom_") and callable(value)]
    assert sorted(fixtures) == ["genloom_engine", "genloom_home", "genloom_plugins", "genloom_project"]
    for name in fixtures:
        assert f"| `{name}` |" in testing, name
    for field in dataclasses.fields(ConformanceReport):
        assert f"| `{field.name}` |" in testing, field.name
    assert "genloom.testing.check_generator(spec, params=None, *, inputs=None," in testing


def test_the_documented_parameter_error_format_is_the_real_one():
    from genloom.sdk import ParameterError

    assert str(ParameterError("width", 300, "is not a multiple of 8", "use 296 or 304")) == \
        "width: 300 is not a multiple of 8; use 296 or 304"
    assert "`width: 300 is not a multiple of 8; use 296 or 304`" in DOC
