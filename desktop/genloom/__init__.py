"""Genloom: an offline generative studio for the desktop.

The package is split in layers that depend one way: ``genloom._qt`` and
``genloom.cli`` use ``genloom.core``, which uses ``genloom.sdk``. Importing any
of them is cheap: no Qt, torch, diffusers, transformers or onnxruntime is
imported until a model loads (in the worker process) or the window opens.
"""

__version__ = "0.1.0"
