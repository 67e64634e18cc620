"""Checking generated code: Python is parsed with ``ast``; other languages are not checked."""

from __future__ import annotations

import ast
import warnings
from typing import Any

#: File suffix per language (the app picks the highlighter from the language).
SUFFIXES: dict[str, str] = {
    "python": ".py", "javascript": ".js", "typescript": ".ts", "c": ".c", "cpp": ".cpp",
    "rust": ".rs", "go": ".go", "java": ".java", "shell": ".sh", "sql": ".sql",
    "html": ".html", "css": ".css", "other": ".txt",
}
LANGUAGES: tuple[str, ...] = tuple(SUFFIXES)


def check_code(code: str, language: str) -> dict[str, Any]:
    """Metadata about whether ``code`` parses.

    Python: ``{"syntax": "ok"}`` or ``{"syntax": "error", "syntax_error": {"line", "column",
    "message", "text"}, "check_message": "..."}``. Other languages: ``{"syntax":
    "unchecked"}``.
    """
    if language != "python":
        return {"syntax": "unchecked"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)  # e.g. invalid escapes in strings
            ast.parse(code)
    except SyntaxError as exc:
        line = exc.lineno or 0
        message = exc.msg or "invalid syntax"
        return {
            "syntax": "error",
            "syntax_error": {"line": line, "column": exc.offset or 0, "message": message,
                             "text": (exc.text or "").rstrip("\n")},
            "check_message": f"Python syntax error at line {line}: {message}",
        }
    return {"syntax": "ok"}
