"""Which PyTorch build to install, and which locked dependency set, for a GPU.

The choice is printed before anything is installed, with the reason and the option that
overrides it (``--torch-backend``); uv's ``--torch-backend`` names are used throughout.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path

from genloom_installer.gpu import GpuInfo

__all__ = ["BACKENDS", "Choice", "InstallerError", "choose", "lock_file", "platform_key"]

#: The torch release every lock pins; the locks are regenerated when it changes.
TORCH_VERSION = "2.13.0"
#: The Python the environments are made with (the locks are resolved for it).
PYTHON_VERSION = "3.11"
PYTORCH_INDEX = "https://download.pytorch.org/whl"
LOCKS = Path(__file__).resolve().parent.parent / "locks"

#: NVIDIA: the newest CUDA build the driver can run (nvidia-smi's "CUDA Version" is the
#: newest the driver supports). PyPI's Linux and Windows torch wheels are the cu130 build.
CUDA_BACKENDS: tuple[tuple[tuple[int, int], str], ...] = (
    ((13, 0), "cu130"), ((12, 8), "cu128"), ((12, 6), "cu126"))
#: AMD: the ROCm builds PyTorch publishes for this release, newest first.
ROCM_BACKENDS: tuple[tuple[tuple[int, int], str], ...] = (((6, 4), "rocm6.4"), ((6, 3), "rocm6.3"))
#: Every backend ``--torch-backend`` accepts besides ``auto``.
BACKENDS = ("cpu", *(b for _, b in CUDA_BACKENDS), *(b for _, b in ROCM_BACKENDS), "mps")


class InstallerError(Exception):
    """Something the installer cannot do; the message says what was wrong and what to do."""


@dataclass(frozen=True)
class Choice:
    """The PyTorch build (``backend``), the lock's GPU kind, and why."""

    backend: str
    kind: str  # "cpu", "cuda", "rocm", "mps": which lock
    reason: str
    #: The backend the lock of ``kind`` was resolved with; another is installed over it.
    lock_backend: str

    @property
    def torch_from_lock(self) -> bool:
        return self.backend == self.lock_backend


def platform_key(system: str | None = None, machine: str | None = None) -> str:
    """``linux-x86_64``, ``linux-aarch64``, ``windows-x86_64``, ``macos-arm64``..."""
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64" if system == "linux" else "arm64"}.get(machine, machine)
    return f"{ {'darwin': 'macos'}.get(system, system)}-{machine}"


def lock_backend(kind: str, key: str) -> str:
    """The torch build inside the lock for ``kind`` on platform ``key``."""
    if kind == "cuda":
        return "cu130"
    if kind == "mps":
        return "mps"
    if kind == "rocm":
        return ROCM_BACKENDS[0][1]
    return "cpu"


def _kind_of(backend: str) -> str:
    if backend.startswith("cu"):
        return "cuda"
    if backend.startswith("rocm"):
        return "rocm"
    return backend


def choose(gpu: GpuInfo, key: str, override: str | None = None) -> Choice:
    """The build for ``gpu`` on platform ``key``, or the user's ``override``."""
    if override and override != "auto":
        if override not in BACKENDS:
            raise InstallerError(f"--torch-backend {override!r} is not known; use auto or one of "
                                 + ", ".join(BACKENDS))
        if override == "mps" and not key.startswith("macos"):
            raise InstallerError("--torch-backend mps is for Apple Silicon Macs; use cpu or a CUDA/ROCm build")
        if key.startswith("macos") and override not in ("mps", "cpu"):
            raise InstallerError(f"--torch-backend {override}: PyTorch has no such build for macOS; use mps or cpu")
        kind = _kind_of(override)
        return Choice(override, kind, f"chosen with --torch-backend {override} "
                      f"(detected: {gpu.describe()})", lock_backend(kind, key))
    if key.startswith("macos"):
        if gpu.kind == "mps":
            return Choice("mps", "mps", f"Apple Silicon ({gpu.describe()}): PyTorch's Metal (MPS) "
                          "build", "mps")
        raise InstallerError("this Mac has an Intel processor; PyTorch no longer publishes builds for "
                             "Intel Macs, so Genloom cannot be installed here")
    if gpu.kind == "cuda":
        if gpu.version is None:
            return Choice("cpu", "cpu", f"{gpu.describe()}: the driver did not say which CUDA it "
                          "supports, so the CPU build; update the NVIDIA driver, or choose one with "
                          "--torch-backend cu126/cu128/cu130", "cpu")
        for needed, backend in CUDA_BACKENDS:
            if gpu.version >= needed:
                return Choice(backend, "cuda", f"{gpu.describe()}: the newest CUDA build its driver "
                              f"runs is {backend}", lock_backend("cuda", key))
        return Choice("cpu", "cpu", f"{gpu.describe()}: the driver is too old for PyTorch's CUDA "
                      f"builds (needs CUDA {CUDA_BACKENDS[-1][0][0]}.{CUDA_BACKENDS[-1][0][1]}); "
                      "the CPU build is installed; update the NVIDIA driver and run Repair", "cpu")
    if gpu.kind == "rocm":
        if not key.startswith("linux"):
            return Choice("cpu", "cpu", "ROCm builds of PyTorch are for Linux only", "cpu")
        for needed, backend in ROCM_BACKENDS:
            if gpu.version is None or gpu.version >= needed:
                return Choice(backend, "rocm", f"{gpu.describe()}: PyTorch's {backend} build",
                              lock_backend("rocm", key))
        return Choice("cpu", "cpu", f"{gpu.describe()}: this ROCm is older than PyTorch's builds "
                      "need; the CPU build is installed; update ROCm and run Repair", "cpu")
    return Choice("cpu", "cpu", gpu.describe() + ": PyTorch's CPU build", "cpu")


def lock_file(key: str, kind: str, locks: Path = LOCKS) -> Path:
    """The locked set for ``key``/``kind``; a kind without its own lock (ROCm) uses the CPU one
    and gets its torch installed over it (:attr:`Choice.torch_from_lock` is then False)."""
    for candidate in (f"{key}-{kind}.txt", f"{key}-cpu.txt"):
        if (locks / candidate).is_file():
            return locks / candidate
    have = ", ".join(sorted(p.stem for p in locks.glob("*.txt"))) or "none"
    raise InstallerError(f"no locked dependency set for {key} ({kind}); this installer has: {have}. "
                         "Generate one on a connected machine with: python -m genloom_installer lock "
                         f"--platform {key} --kind {kind}")
