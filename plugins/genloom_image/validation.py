"""Checks only a loaded model can make: image sizes, steps with strength, LoRA lists.

Pure Python (no torch), so the rules are testable on their own. Every failure is a
:class:`ParameterError` that names the parameter, shows the value and says the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genloom.sdk import PICKLE_SUFFIXES, ParameterError

#: A model library id (the start of a content hash) or a whole hash.
_LIBRARY_ID = re.compile(r"[0-9a-f]{6,64}")


@dataclass(frozen=True)
class SizeRule:
    """The sizes a model can make: a multiple of ``multiple`` within ``[minimum, maximum]``.

    ``native`` is the size it was trained at (used when width/height is 0).
    """

    native: int
    multiple: int = 8
    minimum: int = 8
    maximum: int = 2048

    @classmethod
    def for_native(cls, native: int, multiple: int = 8) -> SizeRule:
        """A quarter to four times the native size, in steps of ``multiple``."""
        low = max(multiple, (native // 4) // multiple * multiple)
        high = max(low, (native * 4) // multiple * multiple)
        return cls(native=native, multiple=multiple, minimum=low, maximum=high)

    def check(self, name: str, value: int) -> int:
        """Return ``value`` if the model can make it, else raise naming the nearest fixes."""
        if value % self.multiple:
            below = value // self.multiple * self.multiple
            above = below + self.multiple
            options = " or ".join(str(v) for v in (below, above) if self.minimum <= v <= self.maximum)
            raise ParameterError(name, value, f"is not a multiple of {self.multiple}",
                                 f"use {options or self.native}")
        if not self.minimum <= value <= self.maximum:
            raise ParameterError(
                name, value,
                f"is outside this model's range of {self.minimum} to {self.maximum} pixels "
                f"(it was trained at {self.native})",
                f"choose a multiple of {self.multiple} from {self.minimum} to {self.maximum}, "
                "or 0 for the native size")
        return value


def resolve_size(rule: SizeRule, width: int, height: int,
                 fallback: tuple[int, int] | None = None) -> tuple[int, int]:
    """The (width, height) to make: 0 takes ``fallback`` (an input image's size) or native.

    A size taken from an input image is checked too, and the error then says to set
    width and height explicitly (the image is resized to them).
    """
    result = []
    for name, value, index in (("width", width, 0), ("height", height, 1)):
        if value:
            result.append(rule.check(name, value))
            continue
        if fallback is None:
            result.append(rule.native)
            continue
        try:
            result.append(rule.check(name, fallback[index]))
        except ParameterError as exc:
            raise ParameterError(
                name, fallback[index], f"(the input image's {name}) {exc.problem}",
                f"set {name} explicitly, e.g. {rule.native}: the input image is resized to it") from None
    return result[0], result[1]


def check_params(params: dict[str, Any]) -> None:
    """What can be checked when a job is queued, before any model loads.

    The spec's ``check``: sizes must be multiples of 8 (every model's multiple
    is a multiple of 8; the model's own range is checked when it is loaded),
    strength must leave a step to run, and the LoRA list must parse and name
    existing ``.safetensors`` files.
    """
    for name in ("width", "height"):
        value = params.get(name)
        if value and value % 8:
            below = value // 8 * 8
            options = " or ".join(str(v) for v in (below, below + 8) if v > 0)
            raise ParameterError(name, value, "is not a multiple of 8",
                                 f"use {options}")
    if params.get("strength") is not None and params.get("steps"):
        check_strength_steps(params["strength"], params["steps"])
    parse_loras(params.get("loras", "") or "")


def check_strength_steps(strength: float, steps: int) -> None:
    """Image-to-image runs ``int(steps * strength)`` steps; refuse a request that runs none."""
    if strength <= 0:
        raise ParameterError("strength", strength, "leaves the input image unchanged (no step runs)",
                             "choose a strength above 0, such as 0.5")
    if int(steps * strength) < 1:
        need = 1.0 / steps
        raise ParameterError(
            "strength", strength, f"with {steps} steps runs no denoising step (steps x strength < 1)",
            f"raise strength to at least {need:.2f} or steps to at least {int(1 / strength) + 1}")


@dataclass(frozen=True)
class LoraSpec:
    """One LoRA to apply: its file and weight."""

    path: Path
    weight: float = 1.0


def parse_loras(text: str) -> list[LoraSpec]:
    """``"a.safetensors=0.8; b.safetensors"`` -> LoraSpecs (one per line or ';').

    The weight follows the last '=' when it parses as a number; files must exist
    and be ``.safetensors`` (pickle files are refused: they can run code).
    """
    specs: list[LoraSpec] = []
    for raw in text.replace(";", "\n").splitlines():
        item = raw.strip()
        if not item:
            continue
        path_text, weight = item, 1.0
        if "=" in item:
            head, _, tail = item.rpartition("=")
            try:
                weight = float(tail)
                path_text = head.strip()
            except ValueError:
                pass
        if "\0" in path_text:
            raise ParameterError("loras", path_text.replace("\0", "\\0")[:80],
                                 "holds a NUL character, which no file name has",
                                 "give the path of a LoRA .safetensors file")
        try:
            path = Path(path_text).expanduser()
        except RuntimeError as exc:  # ~nouser/...: no such user's home
            raise ParameterError("loras", path_text[:80], f"cannot be found ({exc})",
                                 "give the full path of a LoRA .safetensors file") from None
        if _LIBRARY_ID.fullmatch(path_text) and not path.exists():
            raise ParameterError(
                "loras", path_text, "looks like a model library id, but LoRAs are given by the path of their file",
                "give the LoRA file's path (the model library shows it for each model), "
                "like /path/to/lora.safetensors=0.8")
        if path.suffix.lower() in PICKLE_SUFFIXES:
            raise ParameterError(
                "loras", path.name,
                "is a pickle-based file, which can run code when loaded, so LoRAs load from .safetensors only",
                "convert it to .safetensors or use a .safetensors release")
        if path.suffix.lower() != ".safetensors":
            raise ParameterError(
                "loras", path.name[:80], f"is not a LoRA file: LoRAs are .safetensors files (looked for {path})",
                "give the path of a LoRA .safetensors file, like /path/to/lora.safetensors=0.8")
        try:
            found = path.is_file()
        except OSError as exc:  # a name too long for the filesystem, a folder we may not read
            raise ParameterError("loras", path.name[:80], f"cannot be read ({exc.strerror})",
                                 "give the path of a LoRA .safetensors file") from None
        if not found:
            raise ParameterError("loras", path.name[:80], f"does not exist (looked for {path})",
                                 "give the path of a LoRA .safetensors file")
        if not -10.0 <= weight <= 10.0:
            raise ParameterError("loras", path.name, f"has weight {weight}, outside -10 to 10",
                                 "use a weight such as 0.8")
        specs.append(LoraSpec(path, weight))
    return specs
