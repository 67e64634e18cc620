"""Exceptions a plugin raises or receives."""

from __future__ import annotations

from typing import Any


class GenloomError(Exception):
    """Base class of the errors Genloom reports to the user as a message."""


class ParameterError(GenloomError, ValueError):
    """A parameter value a generator cannot accept.

    The message names the parameter, shows the value and says how to fix it,
    for example ``steps: 500 is above the maximum of 150; choose 1 to 150``.
    """

    def __init__(self, param: str, value: Any, problem: str, fix: str = "") -> None:
        self.param = param
        self.value = value
        self.problem = problem
        self.fix = fix
        shown = _show(value)
        message = f"{param}: {shown} {problem}"
        if fix:
            message += f"; {fix}"
        super().__init__(message)


class InputError(GenloomError, ValueError):
    """An input asset (an image, an audio clip, ...) a generator cannot use."""


class CancelledError(GenloomError):
    """Raised by :meth:`RunState.raise_if_cancelled` when the user cancelled the job.

    A generator may also simply return early (with partial outputs) when
    ``state.cancelled`` is true; both are treated as a cancellation.
    """


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text
