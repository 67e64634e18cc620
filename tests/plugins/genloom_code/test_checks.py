"""The syntax check of generated code."""

from __future__ import annotations

from genloom_code.checks import check_code


def test_valid_python_passes():
    assert check_code("def f(x):\n    return x + 1\n", "python") == {"syntax": "ok"}


def test_broken_python_is_flagged_with_its_line():
    snippet = "import os\n\ndef f(x):\n    return (x +\n\nprint('after')\n"
    result = check_code(snippet, "python")
    assert result["syntax"] == "error"
    assert result["syntax_error"]["line"] == 4
    assert result["check_message"].startswith("Python syntax error at line 4: ")
    assert "never closed" in result["syntax_error"]["message"]


def test_indentation_error_reports_the_offending_line():
    result = check_code("def f():\nreturn 1\n", "python")
    assert result["syntax_error"]["line"] == 2
    assert "indent" in result["syntax_error"]["message"]


def test_other_languages_are_not_checked():
    assert check_code("int main( {", "c") == {"syntax": "unchecked"}
