"""The hooks a Genloom plugin implements.

Every hook is an empty function here whose docstring is its documentation.
A plugin implements any of them with the same name, decorated with
:data:`genloom.sdk.hookimpl`; an implementation may take fewer arguments than
the spec (hooks only ever gain optional arguments, so a plugin written for an
older API keeps working). Hooks return plain data and must be cheap: heavy work
belongs in a generator's ``load`` and ``run``, which run in the worker process.

A hook that raises, or returns something of the wrong type, marks its plugin as
failed (with the traceback) and never stops the app.
"""

from __future__ import annotations

from pathlib import Path

import pluggy

from genloom.sdk.metrics import MetricSpec
from genloom.sdk.models import BundledModel, ModelMatch
from genloom.sdk.spec import GeneratorSpec

hookspec = pluggy.HookspecMarker("genloom")


@hookspec
def genloom_register_generators() -> list[GeneratorSpec]:
    """Return the generators this plugin offers.

    :returns: a list of :class:`~genloom.sdk.GeneratorSpec`, one per generator;
        ids must be unique across all plugins (a duplicate fails the later plugin).

    Called once per process when plugins load. Since API version 1.
    """


@hookspec
def genloom_register_models() -> list[BundledModel]:
    """Return the models this plugin ships inside its package.

    :returns: a list of :class:`~genloom.sdk.BundledModel`; each ``path`` must
        exist inside the plugin's package, and each ``kind`` should be one that a
        generator of the plugin lists in ``model_kinds``.

    Since API version 1.
    """


@hookspec
def genloom_identify_model(path: Path) -> ModelMatch | None:
    """Say whether this plugin can load the model at ``path``.

    :param path: a file or folder the model library is looking at (a diffusers
        or transformers folder, a single ``.safetensors`` file, an ``.onnx``
        file...). Read only what is needed to decide (a config file, the
        safetensors header); never load weights, never unpickle.
    :returns: a :class:`~genloom.sdk.ModelMatch` describing the model, or
        ``None`` when the plugin does not recognise it. Every plugin is asked;
        all matches are kept.

    Since API version 1.
    """


@hookspec
def genloom_register_metrics() -> list[MetricSpec]:
    """Return the evaluation metrics this plugin offers.

    :returns: a list of :class:`~genloom.sdk.MetricSpec`; each id must start with the
        plugin's name and a dot (``"myplugin.contrast"``) and be unique. The functions
        they carry run in the worker process during an evaluation job; one that raises
        fails only its own metric (the evaluation reports it and goes on).

    Called once per process when plugins load. Since API version 1.3.
    """
