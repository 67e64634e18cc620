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
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The fence, in the child before a program: an audit hook that keeps the program inside
# ``root``. Shared by the one-program harness and the batch harness below.
_FENCE = r'''
import os, sys
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
PATH_EVENTS = {"os.remove": 1, "os.rmdir": 1, "os.mkdir": 1, "os.chmod": 1, "os.chown": 1,
               "os.truncate": 1, "os.utime": 1, "shutil.rmtree": 1, "os.rename": 2,
               "os.link": 2, "os.symlink": 2, "shutil.copyfile": 2, "shutil.move": 2}
DENY = ("socket.", "subprocess.", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
        "os.fork", "os.forkpty", "os.kill", "os.killpg", "os.startfile", "pty.spawn",
        "ctypes.", "sys.remote_exec", "os.add_dll_directory", "webbrowser.open")

def fence(root):
    root = os.path.realpath(root)

    def inside(path):
        if isinstance(path, int):
            return True
        try:
            real = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return False
        return real == root or real.startswith(root + os.sep)

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

def run_here(token):
    with open("program.py", encoding="utf-8") as fh:
        source = fh.read()
    exec(compile(source, "program.py", "exec"), {"__name__": "__main__"})
    sys.stdout.flush()
    print(token)
'''

# One program: the fence, then the program in a fresh namespace, then a token only a
# program that ran to its end prints (so an exit(0) in generated code is not a pass).
_HARNESS = _FENCE + r'''
token = sys.argv.pop()
fence(os.getcwd())
run_here(token)
'''

# Many programs, one interpreter start (POSIX): each program is a child forked from this
# process before anything untrusted ran, in its own folder p<i>, fenced in there, with its
# own CPU limit and wall-clock timeout; its output comes back through pipes (nothing it
# can write is believed), and this process reports one JSON line per program.
_BATCH = _FENCE + r'''
import json, resource, select, signal, time
timeout, cpu_seconds, token = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
LIMIT = 1 << 18  # bytes kept of each stream (the rest is read and dropped): a batch of many
# programs that each print without end must not fill the memory of the process reading it
base = os.getcwd()
count = sum(1 for name in os.listdir(base) if name.startswith("p") and name[1:].isdigit())
for index in range(count):
    folder = os.path.join(base, f"p{index}")
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(out_r); os.close(err_r)
            os.dup2(out_w, 1); os.dup2(err_w, 2)
            os.close(out_w); os.close(err_w)
            os.chdir(folder)
            sys.argv[:] = ["program.py"]
            os.environ["HOME"] = os.environ["TMPDIR"] = folder
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
            fence(folder)
            run_here(token)
            sys.stdout.flush(); sys.stderr.flush()
            os._exit(0)
        except BaseException:
            import traceback
            traceback.print_exc()
            sys.stdout.flush(); sys.stderr.flush()
            os._exit(1)
    os.close(out_w); os.close(err_w)
    open_fds = {out_r: bytearray(), err_r: bytearray()}
    data = dict(open_fds)
    deadline = time.monotonic() + timeout
    timed_out = False
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select(list(open_fds), [], [], left)
        for fd in ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                os.close(fd)
                del open_fds[fd]
            elif len(data[fd]) < LIMIT:
                data[fd].extend(chunk[:LIMIT - len(data[fd])])
    if timed_out:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for fd in open_fds:
            os.close(fd)
    out_data, err_data = bytes(data[out_r]), bytes(data[err_r])
    while True:  # the streams are closed; the program may still be running
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            timed_out = True
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.002)
    print(json.dumps({"index": index, "timeout": timed_out,
                      "code": os.waitstatus_to_exitcode(status),
                      "stdout": out_data.decode("utf-8", "replace"),
                      "stderr": err_data.decode("utf-8", "replace")[-2000:]}), flush=True)
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
    _check_names(files)
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="genloom-fenced-", dir=parent) as folder:
        _write_program(Path(folder), source, files or {}, _HARNESS)
        ended = _run_harness(folder, [token], int(timeout) + 1, memory_bytes, timeout)
    if ended is None:
        return Outcome("timeout", f"still running after {timeout:g} s")
    code, out, err = ended
    return _outcome(code, out, err, token)


def run_programs(programs: Sequence[tuple[str, Mapping[str, str]]], *, timeout: float = 10.0,
                 memory_bytes: int = 1024 * 2**20, parent: Path | None = None) -> list[Outcome]:
    """:func:`run_program` for each ``(source, files)``, in order, with one interpreter start.

    On POSIX one fenced interpreter forks a child per program (each in its own folder,
    fenced in there, with its own CPU limit and ``timeout``); a program cannot reach
    another's folder, output or process. Each keeps at most 256 KiB of stdout and of
    stderr (a program that prints more cannot pass: its end token is cut off).
    Elsewhere each runs as :func:`run_program`.
    """
    for _source, files in programs:
        _check_names(files)
    if not programs:
        return []
    if os.name != "posix" or not hasattr(os, "fork"):
        return [run_program(source, files=files, timeout=timeout, memory_bytes=memory_bytes, parent=parent)
                for source, files in programs]
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="genloom-fenced-", dir=parent) as folder:
        for index, (source, files) in enumerate(programs):
            place = Path(folder) / f"p{index}"
            place.mkdir()
            _write_program(place, source, files, None)
        (Path(folder) / "harness.py").write_text(_BATCH, encoding="utf-8")
        # The CPU limit of the whole batch; each program has its own below it.
        ended = _run_harness(folder, [str(timeout), str(int(timeout) + 1), token],
                             int((timeout + 1) * len(programs)) + 1, memory_bytes,
                             timeout * len(programs) + 10)
    code, out, err = ended if ended is not None else (None, "", "the batch ran out of time")
    reports: dict[int, dict[str, Any]] = {}
    for line in out.splitlines():
        try:
            report = json.loads(line)
            reports[int(report["index"])] = report
        except (ValueError, TypeError, KeyError):
            continue
    outcomes = []
    for index in range(len(programs)):
        report = reports.get(index)
        if report is None:  # the batch itself ended before this program's report
            last = (err.strip().splitlines() or [f"exit code {code}"])[-1]
            outcomes.append(Outcome("failed", f"the sandbox stopped before this program ran: {last[:200]}"))
        elif report.get("timeout"):
            outcomes.append(Outcome("timeout", f"still running after {timeout:g} s",
                                    str(report.get("stdout", "")).rstrip()))
        else:
            outcomes.append(_outcome(int(report.get("code", 1)), str(report.get("stdout", "")),
                                     str(report.get("stderr", "")), token))
    return outcomes


def _write_program(folder: Path, source: str, files: Mapping[str, str], harness: str | None) -> None:
    """The program, the files it reads and (for one program alone) the harness, in ``folder``."""
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "program.py").write_text(source, encoding="utf-8")
    if harness is not None:
        (folder / "harness.py").write_text(harness, encoding="utf-8")


def _run_harness(folder: str, args: list[str], cpu_seconds: int, memory_bytes: int,
                 timeout: float) -> tuple[int, str, str] | None:
    """Run ``folder``'s harness.py in a fresh, isolated Python with no network (where the
    OS allows) and the limits; (exit code, stdout, stderr), or None past ``timeout``."""
    env = {"HOME": folder, "TMPDIR": folder, "PATH": os.defpath, "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"}
    posix = os.name == "posix"
    child = subprocess.Popen(
        [*network_isolation(), sys.executable, "-I", "-B", "harness.py", *args], cwd=folder, env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=posix,
        preexec_fn=(lambda: _limits(cpu_seconds, memory_bytes)) if posix else None)
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(child)
        child.communicate()
        return None
    finally:
        _kill(child)
    return child.returncode, out, err


def _outcome(code: int, out: str, err: str, token: str) -> Outcome:
    """How one program ended, from its exit code and output: passed only when it exited
    cleanly after printing the token the harness prints at its end."""
    printed = out.rstrip()
    if code == 0 and printed.endswith(token):
        return Outcome("passed", stdout=printed[:-len(token)])
    if os.name == "posix" and code in (-signal.SIGXCPU, -signal.SIGKILL):
        return Outcome("timeout", f"killed by signal {-code}", printed)
    last = (err.strip().splitlines() or [f"exit code {code}"])[-1]
    return Outcome("failed", last[:300], printed)


def _check_names(files: Mapping[str, str] | None) -> None:
    for name in files or {}:
        if name in ("program.py", "harness.py") or Path(name).name != name or name.startswith("."):
            raise ValueError(f"{name!r} is not a plain file name the sandbox can write")


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
