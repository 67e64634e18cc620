"""A minimal observer: models in ``core`` emit, views subscribe.

Callbacks run on the thread that emits. The Qt shell connects through an
adapter that re-emits on the GUI thread with a queued signal, so a worker
thread never touches a widget.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class Signal:
    """A list of callbacks called with the emitted arguments.

    A callback that raises is logged and skipped: one broken view must not stop
    the engine or the other views.
    """

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._callbacks: list[Callable[..., Any]] = []
        self._lock = threading.Lock()

    def connect(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        with self._lock:
            if callback not in self._callbacks:
                self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[..., Any]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def emit(self, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(*args, **kwargs)
            except Exception:
                log.exception("a %s callback raised", self.name or "signal")

    def __len__(self) -> int:
        return len(self._callbacks)
