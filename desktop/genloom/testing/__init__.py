"""Testing help for plugin authors (and Genloom's own tests).

Installed with Genloom as a pytest plugin (entry point ``pytest11``), so its
fixtures are available in any test suite:

- ``genloom_home``: a private Genloom home folder (settings, logs, user plugins)
  for the test, so tests never touch the user's real settings;
- ``genloom_plugins``: a factory that loads only the plugins you name, in
  isolation from whatever else is installed;
- ``genloom_project``: a fresh project in a temp folder;
- ``genloom_engine``: a factory for a started job engine (with a real worker
  process) that is stopped when the test ends.

:func:`check_generator` is the conformance suite: it runs one generator
through the contract (spec, validation, load/run/unload, progress, outputs,
determinism, cancellation) and raises ``AssertionError`` with the reason when
the generator breaks it.
"""

from __future__ import annotations

from genloom.testing.conformance import ConformanceReport, check_generator, isolated_plugins

__all__ = ["ConformanceReport", "check_generator", "isolated_plugins"]
