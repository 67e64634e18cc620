"""Typed generator parameters: what the form shows and what validation enforces.

Each parameter validates a value strictly: a wrong type or an out-of-range value
raises :class:`~genloom.sdk.errors.ParameterError` naming the parameter, the
value and the allowed range. Nothing is silently clamped or rounded. Text from
a command line or a settings file is turned into a value with :meth:`Param.parse`
first, which is parsing, not correction.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from genloom.sdk.errors import ParameterError

__all__ = [
    "BoolParam",
    "ChoiceParam",
    "FloatParam",
    "IntParam",
    "Param",
    "StringParam",
    "param_from_dict",
]


@dataclass(frozen=True)
class Param:
    """Base of all parameter types.

    ``name`` is the key in a request's ``params``; ``title`` and ``description``
    are what the form shows (the description becomes the tooltip).
    """

    name: str
    default: Any = None
    title: str = ""
    description: str = ""
    #: Shown in an "advanced" section of the form rather than at the top.
    advanced: bool = False

    type: ClassVar[str] = "any"

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").isalnum() or self.name[0].isdigit():
            raise ValueError(
                f"parameter name {self.name!r} must be a Python-style identifier "
                "(letters, digits and underscores, not starting with a digit)"
            )
        if not self.title:
            object.__setattr__(self, "title", self.name.replace("_", " ").capitalize())
        if self.default is not None and not self._empty_default_allowed():
            self.validate(self.default)

    def _empty_default_allowed(self) -> bool:
        return False

    def validate(self, value: Any) -> Any:
        """Return ``value`` if it is acceptable, else raise ParameterError."""
        return value

    def parse(self, text: str) -> Any:
        """Turn command-line text into a value and validate it."""
        return self.validate(text)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (the CLI's ``--json`` output, the worker protocol)."""
        data = asdict(self)
        data["type"] = self.type
        return data

    def _error(self, value: Any, problem: str, fix: str = "") -> ParameterError:
        return ParameterError(self.name, value, problem, fix)


@dataclass(frozen=True)
class IntParam(Param):
    """A whole number within ``[minimum, maximum]`` (either bound optional).

    ``special_value`` (since API 1.2) is what the form shows instead of the
    minimum when the minimum means something other than its number, such as
    ``"Model default"`` for a width of 0 that means the model's own size.
    """

    default: int | None = 0
    minimum: int | None = None
    maximum: int | None = None
    step: int = 1
    special_value: str = ""

    type: ClassVar[str] = "int"

    def validate(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer() and math.isfinite(value):
                raise self._error(value, "is a float", f"give a whole number such as {int(value)}")
            raise self._error(value, f"is not a whole number ({type(value).__name__})",
                              f"give a whole number{_range_text(self.minimum, self.maximum)}")
        _check_range(self, value)
        return value

    def parse(self, text: str) -> int:
        try:
            value = int(text.strip(), 10)
        except (ValueError, AttributeError):
            raise self._error(text, "is not a whole number",
                              f"give a whole number{_range_text(self.minimum, self.maximum)}") from None
        return self.validate(value)


@dataclass(frozen=True)
class FloatParam(Param):
    """A finite real number within ``[minimum, maximum]`` (either bound optional)."""

    default: float | None = 0.0
    minimum: float | None = None
    maximum: float | None = None
    step: float = 0.1

    type: ClassVar[str] = "float"

    def validate(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._error(value, f"is not a number ({type(value).__name__})",
                              f"give a number{_range_text(self.minimum, self.maximum)}")
        try:
            value = float(value)
        except OverflowError:  # an int with hundreds of digits
            raise self._error(f"{str(value)[:20]}... ({len(str(value))} digits)",
                              "is too large to be a number here",
                              f"give a number{_range_text(self.minimum, self.maximum)}") from None
        if not math.isfinite(value):
            raise self._error(value, "is not a finite number",
                              f"give a number{_range_text(self.minimum, self.maximum)}")
        _check_range(self, value)
        return value

    def parse(self, text: str) -> float:
        try:
            value = float(text.strip())
        except (ValueError, AttributeError):
            raise self._error(text, "is not a number",
                              f"give a number{_range_text(self.minimum, self.maximum)}") from None
        return self.validate(value)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class BoolParam(Param):
    """On or off."""

    default: bool | None = False

    type: ClassVar[str] = "bool"

    def validate(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self._error(value, f"is not true or false ({type(value).__name__})",
                              "give true or false")
        return value

    def parse(self, text: str) -> bool:
        lowered = text.strip().lower() if isinstance(text, str) else text
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise self._error(text, "is not true or false", "give one of true/false, yes/no, on/off, 1/0")


@dataclass(frozen=True)
class StringParam(Param):
    """Text. ``multiline`` asks the form for a text box; ``role`` tells the app
    what the text is (``"prompt"``, ``"negative_prompt"``, ``"system_prompt"``,
    ``"code"``): a prompt is indexed for search and a text asset can fill it."""

    default: str | None = ""
    multiline: bool = False
    min_length: int = 0
    max_length: int | None = None
    placeholder: str = ""
    role: str = ""

    type: ClassVar[str] = "string"

    def _empty_default_allowed(self) -> bool:
        # A required text (min_length > 0) starts empty in the form; a request
        # that leaves it empty is refused when validated.
        return self.default == ""

    def validate(self, value: Any) -> str:
        if not isinstance(value, str):
            raise self._error(value, f"is not text ({type(value).__name__})", "give a string")
        if not _is_utf8(value):
            raise self._error(value.encode("utf-8", "backslashreplace").decode("ascii", "replace")[:60],
                              "is not valid UTF-8 text (it holds bytes that are no character)",
                              "check the text's encoding and give it as UTF-8")
        if len(value) < self.min_length:
            if self.min_length == 1:
                raise self._error(value, "is empty", f"write a {self.title.lower()}")
            raise self._error(value, f"is shorter than {self.min_length} characters",
                              f"give at least {self.min_length} characters")
        if self.max_length is not None and len(value) > self.max_length:
            raise self._error(value, f"is {len(value)} characters, over the limit of {self.max_length}",
                              f"shorten it to at most {self.max_length} characters")
        return value

    def parse(self, text: str) -> str:
        return self.validate(text)


@dataclass(frozen=True)
class ChoiceParam(Param):
    """One of a fixed list of strings (``choices``), shown as a drop-down."""

    default: str | None = None
    choices: tuple[str, ...] = field(default_factory=tuple)

    type: ClassVar[str] = "choice"

    def __post_init__(self) -> None:
        if not self.choices:
            raise ValueError(f"choice parameter {self.name!r} needs at least one choice")
        object.__setattr__(self, "choices", tuple(self.choices))
        if self.default is None:
            object.__setattr__(self, "default", self.choices[0])
        super().__post_init__()

    def validate(self, value: Any) -> str:
        if value not in self.choices or not isinstance(value, str):
            raise self._error(value, "is not one of the choices",
                              "choose one of " + ", ".join(repr(c) for c in self.choices))
        return value


_PARAM_TYPES: dict[str, type[Param]] = {
    cls.type: cls for cls in (IntParam, FloatParam, BoolParam, StringParam, ChoiceParam)
}


def param_from_dict(data: dict[str, Any]) -> Param:
    """Rebuild a parameter from :meth:`Param.to_dict` output."""
    data = dict(data)
    kind = data.pop("type")
    cls = _PARAM_TYPES.get(kind)
    if cls is None:
        raise ValueError(f"unknown parameter type {kind!r}")
    if "choices" in data:
        data["choices"] = tuple(data["choices"])
    return cls(**data)


def _is_utf8(text: str) -> bool:
    """False for text holding lone surrogates (undecodable bytes smuggled in by the OS)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _range_text(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum} to {maximum}"
    if minimum is not None:
        return f" of at least {minimum}"
    if maximum is not None:
        return f" of at most {maximum}"
    return ""


def _check_range(param: IntParam | FloatParam, value: float) -> None:
    allowed = _range_text(param.minimum, param.maximum).strip()
    if param.minimum is not None and value < param.minimum:
        raise param._error(value, f"is below the minimum of {param.minimum}", f"choose a value {allowed}")
    if param.maximum is not None and value > param.maximum:
        raise param._error(value, f"is above the maximum of {param.maximum}", f"choose a value {allowed}")
