"""Running untrusted code: a child process fenced in as far as the OS allows.

Generated code is hostile until proven otherwise, and so is code that came in a project
someone else made. Everything Genloom runs of it goes through :func:`run_program` (the
code benchmark, the evaluation's test-pass metric). Each program runs in a fresh
``python -I -B`` (no user site, no ``PYTHON*`` variables, no script folder on
``sys.path``) inside its own temporary folder (cwd, ``HOME`` and ``TMPDIR`` all point
there; the rest of the environment is not passed on), with:

- an audit hook (``sys.addaudithook``, which the program cannot remove) that refuses
  writing, deleting, renaming or changing the mode of anything outside that folder,
  sockets, new processes, signals to other processes and ``ctypes``;
- resource limits where the OS has them: CPU seconds, address space, file size, open
  files, no core dumps;
- its own network namespace (``unshare -rn``) where the OS allows one, so there is no
  network even for code that gets past the hook;
- a wall-clock timeout after which its whole process group is killed.

It is a fence, not a security boundary against a determined attacker (for that, run
Genloom's evaluations of strangers' code in a container or VM).
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Runs in the child before the program: the hook first, then the program in a fresh
# namespace, then a token only a program that ran to its end prints (so an exit(0) in
# generated code does not count as a pass).
_HARNESS = r'''
import os, sys
ROOT = os.path.realpath(os.getcwd())
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
PATH_EVENTS = {"os.remove": 1, "os.rmdir": 1, "os.mkdir": 1, "os.chmod": 1, "os.chown": 1,
               "os.truncate": 1, "os.utime": 1, "shutil.rmtree": 1, "os.rename": 2,
               "os.link": 2, "os.symlink": 2, "shutil.copyfile": 2, "shutil.move": 2}
DENY = ("socket.", "subprocess.", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
        "os.fork", "os.forkpty", "os.kill", "os.killpg", "os.startfile", "pty.spawn",
        "ctypes.", "sys.remote_exec", "os.add_dll_directory", "webbrowser.open")

def inside(path):
    if isinstance(path, int):
        return True
    try:
        real = os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return False
    return real == ROOT or real.startswith(ROOT + os.sep)

def hook(event, args):
    if event == "open":
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & WRITE_FLAGS)
        if writing and not inside(path):
            raise PermissionError(f"sandbox: no writing outside the task folder: {path}")
    elif event in PATH_EVENTS:
        for path in args[:PATH_EVENTS[event]]:
            if not inside(path):
                raise PermissionError(f"sandbox: {event} outside the task folder: {path}")
    elif event.startswith(DENY) or (event == "import" and args[0] in ("ctypes", "_ctypes")):
        raise PermissionError(f"sandbox: {event} is not allowed")

sys.addaudithook(hook)
token = sys.argv.pop()
with open("program.py", encoding="utf-8") as fh:
    source = fh.read()
exec(compile(source, "program.py", "exec"), {"__name__": "__main__"})
sys.stdout.flush()
print(token)
'''


@dataclass(frozen=True)
class Outcome:
    """How a program ended: ``passed`` (it ran to its end), ``failed`` (an exception, an
    exit or a signal), ``timeout``; and what it printed (without the harness's token)."""

    status: str
    detail: str = ""
    stdout: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@functools.cache
def network_isolation() -> list[str]:
    """The command prefix that gives the child its own empty network namespace, or []
    where ``unshare`` is missing or the OS does not allow it."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    try:
        probe = subprocess.run([unshare, "-rn", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [unshare, "-rn"] if probe.returncode == 0 else []


def _limits(cpu_seconds: int, memory_bytes: int) -> None:
    """Resource limits for the child (runs between fork and exec)."""
    import resource

    for name, value in (("RLIMIT_CPU", cpu_seconds), ("RLIMIT_AS", memory_bytes),
                        ("RLIMIT_FSIZE", 8 * 2**20), ("RLIMIT_NOFILE", 64),
                        ("RLIMIT_CORE", 0)):
        limit = getattr(resource, name, None)
        if limit is not None:
            try:
                resource.setrlimit(limit, (value, value))
            except (ValueError, OSError):
                pass  # a hard limit already lower than ours stays


def run_program(source: str, *, files: Mapping[str, str] | None = None, timeout: float = 10.0,
                memory_bytes: int = 1024 * 2**20, parent: Path | None = None) -> Outcome:
    """Run ``source`` fenced in (see the module docstring) and say how it ended.

    ``files`` are written beside the program first (plain names only: the program reads
    them from its working folder); the folder is made under ``parent`` (the system's
    temporary folder by default) and removed afterwards.
    """
    for name in files or {}:
        if name in ("program.py", "harness.py") or Path(name).name != name or name.startswith("."):
            raise ValueError(f"{name!r} is not a plain file name the sandbox can write")
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="genloom-fenced-", dir=parent) as folder:
        work = Path(folder)
        for name, text in (files or {}).items():
            (work / name).write_text(text, encoding="utf-8")
        (work / "program.py").write_text(source, encoding="utf-8")
        (work / "harness.py").write_text(_HARNESS, encoding="utf-8")
        env = {"HOME": folder, "TMPDIR": folder, "PATH": os.defpath, "LANG": "C.UTF-8",
               "PYTHONHASHSEED": "0"}
        command = [*network_isolation(), sys.executable, "-I", "-B", "harness.py", token]
        posix = os.name == "posix"
        child = subprocess.Popen(
            command, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, start_new_session=posix,
            preexec_fn=(lambda: _limits(int(timeout) + 1, memory_bytes)) if posix else None)
        try:
            out, err = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(child)
            child.communicate()
            return Outcome("timeout", f"still running after {timeout:g} s")
        finally:
            _kill(child)
    printed = out.rstrip()
    if child.returncode == 0 and printed.endswith(token):
        return Outcome("passed", stdout=printed[:-len(token)])
    last = (err.strip().splitlines() or [f"exit code {child.returncode}"])[-1]
    if posix and child.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return Outcome("timeout", f"killed by signal {-child.returncode}", printed)
    return Outcome("failed", last[:300], printed)


def _kill(child: subprocess.Popen[str]) -> None:
    """Kill the child's whole process group (what it started too), if still there."""
    if child.poll() is not None and os.name != "posix":
        return
    try:
        if os.name == "posix":
            os.killpg(child.pid, signal.SIGKILL)
        else:
            child.kill()
    except (ProcessLookupError, PermissionError):
        pass
