"""Generator specs: what a plugin says about each generator it offers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from genloom.sdk.errors import InputError, ParameterError
from genloom.sdk.names import ID_PATTERN, MODALITIES
from genloom.sdk.params import Param

if TYPE_CHECKING:
    from genloom.sdk.run import Generator

__all__ = ["COUNT_MAX", "DEVICE_TYPES", "MODALITIES", "SEED_MAX", "GeneratorSpec", "InputSpec",
           "check_count", "check_seed"]

#: Device types a generator may support, in the order "auto" prefers them.
DEVICE_TYPES: tuple[str, ...] = ("cuda", "mps", "cpu")

#: The largest seed; seeds are whole numbers from 0 to this (what every library's
#: generator accepts). Since API version 1.2.
SEED_MAX: int = 2**32 - 1

#: The most outputs one submission may ask for. Since API version 1.2.
COUNT_MAX: int = 1000

#: The most seeds a batching generator may take in one run (``GeneratorSpec.batch_size``).
BATCH_MAX: int = 64


@dataclass(frozen=True)
class InputSpec:
    """An asset a generator takes as input, such as the image of image-to-image.

    ``kind`` is one of :data:`MODALITIES`; ``role`` names what the asset is for
    (``"init_image"``, ``"mask"``, ``"audio"``), and is the key under which the
    request's ``inputs`` carries it.
    """

    role: str
    kind: str
    title: str = ""
    description: str = ""
    required: bool = True

    def __post_init__(self) -> None:
        if self.kind not in MODALITIES:
            raise ValueError(f"input {self.role!r}: kind {self.kind!r} is not one of {MODALITIES}")
        if not self.title:
            object.__setattr__(self, "title", self.role.replace("_", " ").capitalize())

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "kind": self.kind, "title": self.title,
                "description": self.description, "required": self.required}


@dataclass(frozen=True)
class GeneratorSpec:
    """Everything the app needs to show a generator and queue jobs for it.

    ``id`` is globally unique and dotted, ``"<plugin>.<generator>"`` (for example
    ``"image.text_to_image"``). ``factory`` is called with no arguments in the
    worker process and returns the :class:`~genloom.sdk.run.Generator` object;
    it should be a class or a small function, and importing heavy libraries is
    its job, not the plugin module's.

    ``model_kinds`` lists the model kinds (see :class:`~genloom.sdk.models.ModelMatch`)
    the generator can load; ``default_model`` is the id of the model it uses
    when the request names none (usually one the plugin bundles).
    ``uses_seed`` is false for deterministic generators; ``devices`` lists the
    device types it can run on (``"cpu"`` only means no torch is needed to pick one).

    ``check`` (optional, SDK 1.1) is called with the complete, type-checked
    parameters when a job is queued, in the app's process, without a model: it
    raises :class:`ParameterError` for what the generator can tell is wrong
    before loading anything (a size that is not a multiple of 8, a malformed
    list of files), so such a job is refused at once rather than failing later
    in the worker. It must be cheap and import nothing heavy.

    ``batch_size`` (since API 1.2) is how many seeds one run may take. Genloom
    owns "how many, with which seeds": it hands out the seeds and, for a
    generator with ``batch_size`` above 1, puts up to that many in one
    request's ``seeds``; the generator returns exactly one output per seed, in
    order, and output ``i`` must be what a run with ``seeds[i]`` alone makes.
    With the default of 1 every run gets one seed.
    """

    id: str
    modality: str
    title: str
    factory: Callable[[], Generator]
    description: str = ""
    params: tuple[Param, ...] = ()
    inputs: tuple[InputSpec, ...] = ()
    outputs: tuple[str, ...] = ()
    model_kinds: tuple[str, ...] = ()
    default_model: str | None = None
    uses_seed: bool = True
    devices: tuple[str, ...] = ("cpu",)
    check: Callable[[dict[str, Any]], None] | None = field(default=None, compare=False)
    batch_size: int = 1
    #: Filled in by the plugin manager: the plugin that registered the spec and its version.
    plugin: str = field(default="", compare=False)
    plugin_version: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not ID_PATTERN.match(self.id):
            raise ValueError(
                f"generator id {self.id!r} must be dotted lower-case, like 'myplugin.text_to_image'"
            )
        if self.modality not in MODALITIES:
            raise ValueError(f"generator {self.id}: modality {self.modality!r} is not one of {MODALITIES}")
        if not callable(self.factory):
            raise ValueError(f"generator {self.id}: factory must be callable, got {self.factory!r}")
        for name in ("params", "inputs", "outputs", "model_kinds", "devices"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.outputs:
            object.__setattr__(self, "outputs", (self.modality,))
        for kind in self.outputs:
            if kind not in MODALITIES:
                raise ValueError(f"generator {self.id}: output kind {kind!r} is not one of {MODALITIES}")
        for device in self.devices:
            if device not in DEVICE_TYPES:
                raise ValueError(f"generator {self.id}: device {device!r} is not one of {DEVICE_TYPES}")
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) \
                or not 1 <= self.batch_size <= BATCH_MAX:
            raise ValueError(f"generator {self.id}: batch_size {self.batch_size!r} is not a whole number "
                             f"from 1 to {BATCH_MAX}")
        names = [p.name for p in self.params]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"generator {self.id}: parameter names repeat: {', '.join(duplicates)}")
        if "seed" in names:
            raise ValueError(f"generator {self.id}: 'seed' is a request field, not a parameter; "
                             "set uses_seed=True instead")

    def param(self, name: str) -> Param:
        """The parameter called ``name``; KeyError if there is none."""
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def validate_params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Check ``values`` and fill in defaults; return the complete parameter dict.

        Raises :class:`ParameterError` for an unknown name, a missing required
        value (a parameter without default) or a value its type rejects.
        """
        known = {p.name for p in self.params}
        for name in values:
            if name not in known:
                raise ParameterError(
                    name, values[name], f"is not a parameter of {self.id}",
                    "use one of " + (", ".join(sorted(known)) or "(none: it takes no parameters)"),
                )
        result: dict[str, Any] = {}
        for p in self.params:
            if p.name in values:
                result[p.name] = p.validate(values[p.name])
            elif p.default is not None:
                result[p.name] = p.validate(p.default)
            else:
                raise ParameterError(p.name, None, "is required and has no default",
                                     f"set {p.name}")
        if self.check is not None:
            try:
                self.check(dict(result))
            except (ParameterError, InputError):
                raise
            except Exception as exc:  # noqa: BLE001 - a plugin's check may have any bug
                raise ParameterError(
                    "(parameters)", "", f"could not be checked: {self.id}'s check failed with "
                    f"{type(exc).__name__}: {exc}",
                    f"report this to the author of the plugin {self.plugin or '(unknown)'}") from None
        return result

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output and for the UI process."""
        return {
            "id": self.id,
            "modality": self.modality,
            "title": self.title,
            "description": self.description,
            "params": [p.to_dict() for p in self.params],
            "inputs": [i.to_dict() for i in self.inputs],
            "outputs": list(self.outputs),
            "model_kinds": list(self.model_kinds),
            "default_model": self.default_model,
            "uses_seed": self.uses_seed,
            "devices": list(self.devices),
            "batch_size": self.batch_size,
            "plugin": self.plugin,
            "plugin_version": self.plugin_version,
        }


def check_seed(seed: Any) -> int | None:
    """The one rule for a seed the user gives: ``None`` or ``-1`` mean "draw one"
    (returned as ``None``), anything else must be a whole number from 0 to
    :data:`SEED_MAX`. Raises :class:`ParameterError` naming the value and the fix.
    Since API version 1.2.
    """
    if seed is None or (seed == -1 and not isinstance(seed, bool)):
        return None
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        raise ParameterError("seed", seed, f"is not a whole number from 0 to {SEED_MAX}",
                             "give such a number, or -1 / nothing for a random seed")
    return seed


def check_count(count: Any, first_seed: int | None = None) -> int:
    """The one rule for how many outputs a submission asks for: 1 to :data:`COUNT_MAX`.

    With ``first_seed`` the consecutive seeds ``first_seed .. first_seed + count - 1``
    must also stay within :data:`SEED_MAX` (they are never wrapped round). Raises
    :class:`ParameterError`. Since API version 1.2.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= COUNT_MAX:
        raise ParameterError("count", count, f"is not a whole number from 1 to {COUNT_MAX}",
                             f"choose how many to make, 1 to {COUNT_MAX}")
    if first_seed is not None and first_seed + count - 1 > SEED_MAX:
        raise ParameterError("seed", first_seed,
                             f"with count {count} would need seeds past the maximum of {SEED_MAX}",
                             f"choose a seed of at most {SEED_MAX - count + 1}, or a random one")
    return count
