"""The engine's handle on its worker process: start, talk, watch, kill, restart."""

from __future__ import annotations

import collections
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

from genloom.core.jobs.protocol import FrameWriter, ProtocolError, read_frame
from genloom.core.logs import MAX_LOG_BYTES, rotate
from genloom.sdk.runtime import thread_pool_environment


class WorkerStartError(RuntimeError):
    """The worker process did not start or did not say it was ready."""


class WorkerProcess:
    """One worker subprocess and the threads that read its output.

    Events from the worker arrive on :attr:`events` as ``(message, payload)``;
    when the process ends, a final ``({"ev": "exit", ...}, None)`` carries its
    exit code and the last lines it wrote to stderr.
    """

    def __init__(self, init: dict[str, Any], log_path: Path | None = None,
                 start_timeout: float = 120.0) -> None:
        self.init = init
        self.log_path = log_path
        self.start_timeout = start_timeout
        self.events: queue.Queue[tuple[dict[str, Any], bytes | None]] = queue.Queue()
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=40)
        self.process: subprocess.Popen[bytes] | None = None
        self._writer: FrameWriter | None = None
        self._threads: list[threading.Thread] = []
        self.ready_info: dict[str, Any] = {}

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> dict[str, Any]:
        # The worker runs the models: torch's CPU threads there must not spin away a busy
        # machine's time slices (genloom.sdk.runtime.THREAD_POOL_DEFAULTS).
        env = thread_pool_environment(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        env["GENLOOM_ENGINE_PID"] = str(os.getpid())  # the worker ends when this process does
        # The worker must import the same genloom and plugins as this process.
        env["PYTHONPATH"] = os.pathsep.join([p for p in sys.path if p] +
                                            [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "genloom.core.jobs.worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, start_new_session=True,
        )
        assert self.process.stdin and self.process.stdout and self.process.stderr
        self._writer = FrameWriter(self.process.stdin)
        self._threads = [
            threading.Thread(target=self._read_events, name="genloom-worker-events", daemon=True),
            threading.Thread(target=self._read_stderr, name="genloom-worker-stderr", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        self.send({"op": "init", **self.init})
        deadline = time.monotonic() + self.start_timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise WorkerStartError(f"the worker process did not start within {self.start_timeout:.0f} s")
            try:
                message, _ = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if message.get("ev") == "ready":
                self.ready_info = message
                return message
            if message.get("ev") == "exit":
                raise WorkerStartError(f"the worker process stopped while starting: {describe_exit(message)}")

    def send(self, message: dict[str, Any]) -> bool:
        """Send a command; False if the worker has gone."""
        if self._writer is None:
            return False
        try:
            self._writer.send(message)
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def kill(self) -> None:
        """Stop the process at once (it may be hung), with its process group."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, AttributeError):
            self.process.kill()
        self.process.wait(timeout=30)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Ask the worker to unload and exit; kill it if it does not."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.send({"op": "shutdown"})
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=5)

    def _read_events(self) -> None:
        assert self.process and self.process.stdout
        try:
            while True:
                self.events.put(read_frame(self.process.stdout))
        except (EOFError, OSError, ValueError, ProtocolError):
            pass
        code = self.process.wait()
        # Let the stderr reader catch the last lines (a traceback, a fatal error).
        for thread in self._threads[1:]:
            thread.join(timeout=2)
        self.events.put(({"ev": "exit", "code": code, "stderr": "\n".join(self.stderr_tail)}, None))

    def _open_log(self) -> BinaryIO | None:
        """The worker log for appending, rotated first when it has grown too large."""
        if self.log_path is None:
            return None
        try:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            rotate(self.log_path)
            return open(self.log_path, "ab")  # noqa: SIM115 - the reader thread closes it
        except OSError:
            return None

    def _read_stderr(self) -> None:
        assert self.process and self.process.stderr
        log = self._open_log()
        try:
            for line in self.process.stderr:
                if log is not None:
                    log.write(line)
                    log.flush()
                    if log.tell() > MAX_LOG_BYTES:  # a chatty plugin: start a new file
                        log.close()
                        log = self._open_log()
                self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())
        except (OSError, ValueError):
            pass
        finally:
            if log is not None:
                log.close()


def describe_exit(message: dict[str, Any]) -> str:
    """A readable reason for a worker that ended: exit code or signal, and its last words."""
    code = message.get("code")
    if code is None:
        reason = "it stopped"
    elif code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        reason = f"it was killed by {name}"
    else:
        reason = f"it exited with code {code}"
    tail = [line for line in str(message.get("stderr", "")).splitlines() if line.strip()][-6:]
    if tail:
        reason += "; its last output:\n" + "\n".join(tail)
    return reason
