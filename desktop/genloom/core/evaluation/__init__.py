"""Evaluation: judgements, leaderboards, sweeps and metrics. No Qt.

Each part is its own module, imported by name (``genloom.core.evaluation.judgements``);
this package imports nothing, so each stays cheap and independent. The metrics:

- :mod:`.builtin`: core's metrics (images, text, code, audio, video), offered through the
  ``genloom_register_metrics`` hook like a plugin's (:meth:`PluginManager.all_metrics`).
- :mod:`.sets`: which assets a set holds (a tag, a search, a batch, a parent, ids) and
  how they are grouped (by generator, model or a parameter).
- :mod:`.job`: the ``eval.metrics`` job (queued by :func:`queue_evaluation`, run in the worker).
- :mod:`.compute`: the measuring itself, a plain function; one failing metric fails alone.
- :mod:`.store`: the results in the project's database; :mod:`.report`: HTML and JSON.
"""
