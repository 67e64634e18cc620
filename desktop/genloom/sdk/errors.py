"""Exceptions a plugin raises or receives, and the remedy a front end phrases."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: The remedies an error can name; each front end phrases every one (see :func:`explain`).
REMEDY_ACTIONS = ("give_input", "create_project", "check_project", "list_assets", "list_jobs",
                  "list_generators", "list_plugins", "list_conversations", "enable_plugin", "list_models")


@dataclass(frozen=True)
class Remedy:
    """What the user can do about an error, named rather than spelled out.

    The message of an error says what was wrong, shows the value and says what would fix
    it; *how* to do that differs between the command line (``--input image=ASSET_ID``),
    the app (a slot in the form) and an API, so the error names the action and each
    front end words it (:func:`explain`). ``action`` is one of :data:`REMEDY_ACTIONS`;
    ``subject`` is what it applies to (an input role, a folder).
    """

    action: str
    subject: str = ""

    def __post_init__(self) -> None:
        if self.action not in REMEDY_ACTIONS:
            raise ValueError(f"remedy {self.action!r} is not one of {', '.join(REMEDY_ACTIONS)}")


class GenloomError(Exception):
    """Base class of the errors Genloom reports to the user as a message.

    ``remedy`` (optional, since SDK 1.2) names what the user can do; the message itself
    never spells out one front end's syntax.
    """

    #: How to act on the error, for the front end to phrase; None when the message says it all.
    remedy: Remedy | None = None

    def __init__(self, *args: object, remedy: Remedy | None = None) -> None:
        super().__init__(*args)
        if remedy is not None:
            self.remedy = remedy


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


#: A front end's wording of each remedy: a sentence, with ``{subject}`` where it goes.
Phrasebook = Mapping[str, str]


def explain(exc: BaseException, phrases: Phrasebook, fallback: Callable[[BaseException], str] = str) -> str:
    """``exc``'s message, followed by its remedy in the words of one front end.

    A front end passes its phrasebook (one sentence per :data:`REMEDY_ACTIONS` entry);
    an error without a remedy, or one the phrasebook lacks, is its message alone.
    """
    message = fallback(exc)
    remedy = getattr(exc, "remedy", None)
    if not isinstance(remedy, Remedy) or remedy.action not in phrases:
        return message
    how = phrases[remedy.action].format(subject=remedy.subject)
    return f"{message.rstrip('. ')}. {how}"
