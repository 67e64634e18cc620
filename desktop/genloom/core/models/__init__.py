"""The model library: find, identify and safely load the models users already have.

:class:`ModelLibrary` is the entry point (the CLI's ``genloom models`` and the
app's model library dialog are views over it). See docs/models.md.
"""

from __future__ import annotations

from genloom.core.models.entry import Location, ModelEntry, Root, ScanProgress, ScanReport
from genloom.core.models.library import LibraryEvents, ModelLibrary, ModelNotFoundError, ScanTask
from genloom.core.models.loading import load_state_dict
from genloom.core.models.resolve import ModelRefusedError, ResolvedModel, resolve_model

__all__ = ["LibraryEvents", "Location", "ModelEntry", "ModelLibrary", "ModelNotFoundError", "ModelRefusedError",
           "ResolvedModel", "Root", "ScanProgress", "ScanReport", "ScanTask", "load_state_dict", "resolve_model"]
