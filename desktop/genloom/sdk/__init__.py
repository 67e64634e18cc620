"""The Genloom plugin SDK: everything a plugin imports.

A plugin is a module (registered through the ``genloom.plugins`` entry point
group, or dropped into the user plugins folder) that implements hooks from
:mod:`genloom.sdk.hookspecs` with the :data:`hookimpl` marker::

    from genloom.sdk import GeneratorSpec, IntParam, hookimpl

    @hookimpl
    def genloom_register_generators():
        return [GeneratorSpec(id="demo.hello", modality="text", title="Hello",
                              factory=HelloGenerator, params=(IntParam("repeat", 1, minimum=1),))]

Stability: names exported here follow :data:`API_VERSION`. Within one major
version hooks and types only gain optional arguments and fields; anything to be
removed is first deprecated with a warning for at least one minor version.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below load on first use (see __getattr__)
    import pluggy

    from genloom.sdk.errors import CancelledError, GenloomError, InputError, ParameterError, Remedy
    from genloom.sdk.formats import (
        PICKLE_SUFFIXES,
        ModelFormatError,
        PickleRefusedError,
        is_pickle_file,
        load_state_dict,
        read_safetensors_header,
        refuse_pickle,
        safe_torch_load,
    )
    from genloom.sdk.metrics import MetricAsset, MetricContext, MetricSpec
    from genloom.sdk.models import BundledModel, ModelMatch, ModelRef
    from genloom.sdk.params import BoolParam, ChoiceParam, FloatParam, IntParam, Param, StringParam
    from genloom.sdk.run import (
        Generator,
        InputAsset,
        Output,
        Progress,
        Request,
        RunState,
        encode_preview,
    )
    from genloom.sdk.runtime import OnnxRuntimeError, onnx_session
    from genloom.sdk.spec import (
        COUNT_MAX,
        DEVICE_TYPES,
        MODALITIES,
        SEED_MAX,
        GeneratorSpec,
        InputSpec,
        check_count,
        check_seed,
    )

    hookimpl: pluggy.HookimplMarker

#: The plugin API version, "major.minor". A plugin may check it at import.
API_VERSION = "1.4"

# Each public name and the submodule that defines it. They are imported on first
# use, so that importing ``genloom.sdk`` (which the shell does before its window
# shows) does not pay for pluggy, dataclasses and importlib.metadata up front.
_WHERE = {
    "CancelledError": "errors",
    "GenloomError": "errors",
    "InputError": "errors",
    "ParameterError": "errors",
    "Remedy": "errors",
    "PICKLE_SUFFIXES": "formats",
    "ModelFormatError": "formats",
    "PickleRefusedError": "formats",
    "is_pickle_file": "formats",
    "load_state_dict": "formats",
    "read_safetensors_header": "formats",
    "refuse_pickle": "formats",
    "safe_torch_load": "formats",
    "MetricAsset": "metrics",
    "MetricContext": "metrics",
    "MetricSpec": "metrics",
    "BundledModel": "models",
    "ModelMatch": "models",
    "ModelRef": "models",
    "BoolParam": "params",
    "ChoiceParam": "params",
    "FloatParam": "params",
    "IntParam": "params",
    "Param": "params",
    "StringParam": "params",
    "Generator": "run",
    "InputAsset": "run",
    "Output": "run",
    "Progress": "run",
    "Request": "run",
    "RunState": "run",
    "encode_preview": "run",
    "OnnxRuntimeError": "runtime",
    "onnx_session": "runtime",
    "COUNT_MAX": "spec",
    "SEED_MAX": "spec",
    "check_count": "spec",
    "check_seed": "spec",
    "DEVICE_TYPES": "spec",
    "MODALITIES": "spec",
    "GeneratorSpec": "spec",
    "InputSpec": "spec",
}


def __getattr__(name: str) -> Any:
    if name == "hookimpl":
        import pluggy

        #: Marks a function in a plugin module as the implementation of a hook.
        value: Any = pluggy.HookimplMarker("genloom")
    elif name in _WHERE:
        value = getattr(importlib.import_module(f"genloom.sdk.{_WHERE[name]}"), name)
    else:
        raise AttributeError(f"module 'genloom.sdk' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "API_VERSION",
    "COUNT_MAX",
    "DEVICE_TYPES",
    "MODALITIES",
    "PICKLE_SUFFIXES",
    "SEED_MAX",
    "BoolParam",
    "BundledModel",
    "CancelledError",
    "ChoiceParam",
    "FloatParam",
    "Generator",
    "GeneratorSpec",
    "GenloomError",
    "InputAsset",
    "InputError",
    "InputSpec",
    "IntParam",
    "MetricAsset",
    "MetricContext",
    "MetricSpec",
    "ModelFormatError",
    "ModelMatch",
    "ModelRef",
    "OnnxRuntimeError",
    "Output",
    "Param",
    "ParameterError",
    "PickleRefusedError",
    "Progress",
    "Remedy",
    "Request",
    "RunState",
    "StringParam",
    "check_count",
    "check_seed",
    "encode_preview",
    "hookimpl",
    "is_pickle_file",
    "load_state_dict",
    "onnx_session",
    "read_safetensors_header",
    "refuse_pickle",
    "safe_torch_load",
]
