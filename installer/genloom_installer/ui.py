"""Progress a person can follow, and the log file that keeps everything.

Each step prints ``[3/8] Installing PyTorch (cpu build)...`` and, when it ends, how long
it took; commands' own output goes to the log only, and a long step prints that it is
still working every so often. On failure the last lines of the log are shown with its path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from genloom_installer.backend import InstallerError

#: How often a long step says it is still working, in seconds.
HEARTBEAT_S = 20.0


class Ui:
    def __init__(self, log_path: Path, total: int, out: TextIO | None = None) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        self.log = log_path.open("a", encoding="utf-8")
        self.total = total
        self.number = 0
        self.out = out or sys.stdout
        self.log.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} genloom installer: "
                       f"{' '.join(sys.argv[1:])}\n")

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)
        self.log.write(text + "\n")
        self.log.flush()

    def step(self, title: str) -> _Step:
        self.number += 1
        return _Step(self, f"[{self.number}/{self.total}] {title}")

    def run(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
            cwd: Path | None = None, what: str = "") -> str:
        """Run a command with its output in the log; InstallerError naming it when it fails."""
        self.log.write("$ " + " ".join(str(a) for a in argv) + "\n")
        self.log.flush()
        started = time.monotonic()
        stop = threading.Event()

        def heartbeat() -> None:
            while not stop.wait(HEARTBEAT_S):
                print(f"      ... still working ({time.monotonic() - started:.0f} s)",
                      file=self.out, flush=True)

        beat = threading.Thread(target=heartbeat, daemon=True)
        beat.start()
        try:
            result = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                                    env={**os.environ, **(env or {})}, cwd=cwd, check=False)
        except OSError as exc:
            raise InstallerError(f"{what or argv[0]}: could not run {argv[0]} ({exc})") from None
        finally:
            stop.set()
        self.log.write(result.stdout + result.stderr)
        self.log.flush()
        if result.returncode != 0:
            tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-12:])
            raise InstallerError(f"{what or 'a command'} failed (exit {result.returncode}):\n{tail}\n"
                                 f"The whole output is in {self.log_path}")
        return result.stdout

    def close(self) -> None:
        self.log.close()


class _Step:
    def __init__(self, ui: Ui, title: str) -> None:
        self.ui, self.title = ui, title

    def __enter__(self) -> _Step:
        self.started = time.monotonic()
        self.ui.say(f"{self.title}...")
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        took = time.monotonic() - self.started
        self.ui.say(f"      {'done' if kind is None else 'FAILED'} ({took:.1f} s)")
