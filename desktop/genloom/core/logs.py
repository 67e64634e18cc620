"""Log files: the worker's output and the app's own log, each kept to a bounded size.

``logs/worker.log`` collects the worker's stderr (plugin output, tracebacks);
``logs/app.log`` the app's warnings and uncaught exceptions. Each is rotated
when it passes :data:`MAX_LOG_BYTES`: ``name.log`` becomes ``name.log.1``, the
older ones shift up, and only :data:`KEEP_LOGS` old files are kept, so a
long-lived installation never fills the disk with logs.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

__all__ = ["KEEP_LOGS", "MAX_LOG_BYTES", "install_app_log", "rotate"]

#: A log file larger than this is rotated.
MAX_LOG_BYTES = 5 * 1024 * 1024

#: How many rotated files (``.1`` ... ``.N``) are kept beside the current one.
KEEP_LOGS = 3


def rotate(path: Path, max_bytes: int = MAX_LOG_BYTES, keep: int = KEEP_LOGS) -> bool:
    """Rotate ``path`` if it is larger than ``max_bytes``; return True if it was."""
    try:
        if path.stat().st_size <= max_bytes:
            return False
    except FileNotFoundError:
        return False
    for index in range(keep, 0, -1):
        older = path.with_name(f"{path.name}.{index}")
        newer = path if index == 1 else path.with_name(f"{path.name}.{index - 1}")
        try:
            newer.replace(older)
        except FileNotFoundError:
            continue
    return True


class _RotatingLog(logging.FileHandler):
    """Appends to a log file, rotated by :func:`rotate` (the rule of both logs) once it
    has passed :data:`MAX_LOG_BYTES`. ``logging.handlers.RotatingFileHandler`` would do
    the same, but importing ``logging.handlers`` was 17 ms of the app's start."""

    def __init__(self, path: Path, max_bytes: int = MAX_LOG_BYTES) -> None:
        super().__init__(path, encoding="utf-8")
        self.max_bytes = max_bytes

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.stream is not None and self.stream.tell() > self.max_bytes:
                self.stream.close()
                self.stream = None  # FileHandler.emit opens it again
                rotate(Path(self.baseFilename), self.max_bytes)
        except Exception:  # noqa: BLE001 - a log that cannot rotate goes on in the same file
            self.handleError(record)
        super().emit(record)


def install_app_log(folder: Path) -> Path:
    """Log the app's warnings and uncaught exceptions (any thread) to ``folder/app.log``.

    Returns the log file. Installing twice adds no second handler.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "app.log"
    root = logging.getLogger()
    if any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        return path
    handler = _RotatingLog(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    previous = sys.excepthook

    def log_uncaught(kind: type[BaseException], exc: BaseException,
                     tb: TracebackType | None) -> None:
        logging.getLogger("genloom").critical("uncaught exception", exc_info=(kind, exc, tb))
        previous(kind, exc, tb)

    sys.excepthook = log_uncaught

    def log_thread(args: threading.ExceptHookArgs) -> None:
        logging.getLogger("genloom").error(
            "uncaught exception in thread %s: %s", getattr(args.thread, "name", "?"),
            "".join(traceback.format_exception(args.exc_type, args.exc_value,
                                               args.exc_traceback)))

    threading.excepthook = log_thread
    return path
