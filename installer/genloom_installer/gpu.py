"""Which GPU this machine has, from what ``nvidia-smi``, ``rocminfo`` and macOS say.

Pure functions parse each tool's output (tests feed them recorded outputs); :func:`detect`
runs the tools through a runner that can be replaced. Nothing here imports torch: this
runs before torch is installed, to choose which build to install.
"""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["GpuInfo", "detect", "parse_nvidia_smi", "parse_rocm_version", "parse_rocminfo",
           "parse_macos"]

#: Runs a command, returns its stdout, or None when the command is missing or fails.
Runner = Callable[[Sequence[str]], "str | None"]


@dataclass(frozen=True)
class GpuInfo:
    """What was found. ``kind``: "cuda", "rocm", "mps" or "cpu"; ``notes`` say why, for the log."""

    kind: str
    names: tuple[str, ...] = ()
    driver: str = ""
    #: The newest CUDA (NVIDIA) or ROCm version the driver supports, as (major, minor).
    version: tuple[int, int] | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        what = ", ".join(self.names) or {"cpu": "no supported GPU"}.get(self.kind, self.kind)
        extra = []
        if self.driver:
            extra.append(f"driver {self.driver}")
        if self.version:
            label = "CUDA" if self.kind == "cuda" else "ROCm"
            extra.append(f"{label} {self.version[0]}.{self.version[1]}")
        return what + (f" ({', '.join(extra)})" if extra else "")


_VERSION = re.compile(r"(\d+)\.(\d+)")


def parse_nvidia_smi(text: str) -> GpuInfo | None:
    """``nvidia-smi`` (its default table): GPU names, driver version and the CUDA version the
    driver supports. None when it reports no GPU or cannot talk to the driver."""
    if not text or "NVIDIA-SMI has failed" in text or "No devices were found" in text:
        return None
    driver = re.search(r"Driver Version:\s*([0-9.]+)", text)
    cuda = re.search(r"CUDA Version:\s*([0-9]+)\.([0-9]+)", text)
    # GPU rows: "|   0  NVIDIA GeForce RTX 4090        Off |   00000000:01:00.0  On |"
    names = tuple(m.group(1).strip() for m in re.finditer(
        r"^\|\s+\d+\s+(.+?)\s+(?:On|Off|WDDM|TCC|MCDM)\s+\|\s+[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:", text, re.M))
    if not names or driver is None:
        return None
    version = (int(cuda.group(1)), int(cuda.group(2))) if cuda else None
    return GpuInfo("cuda", names, driver.group(1), version)


def parse_rocminfo(text: str) -> tuple[str, ...]:
    """``rocminfo``: the marketing names of the agents whose device type is GPU."""
    names: list[str] = []
    for block in re.split(r"^\*{5,}\s*$", text or "", flags=re.M):
        if not re.search(r"^\s*Device Type:\s*GPU\s*$", block, re.M):
            continue
        marketing = re.search(r"^\s*Marketing Name:\s*(.+?)\s*$", block, re.M)
        gfx = re.search(r"^\s*Name:\s*(gfx\w+)\s*$", block, re.M)
        name = marketing.group(1) if marketing else (gfx.group(1) if gfx else "AMD GPU")
        if gfx and marketing:
            name += f" ({gfx.group(1)})"
        names.append(name)
    return tuple(names)


def parse_rocm_version(text: str) -> tuple[int, int] | None:
    """The ROCm version from ``/opt/rocm/.info/version`` (e.g. ``6.3.1-48``)."""
    match = _VERSION.match((text or "").strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def parse_macos(machine: str, brand: str, translated: str = "") -> GpuInfo:
    """macOS: Apple Silicon (also a Python running under Rosetta on it) has MPS; an Intel Mac
    has no GPU PyTorch uses. ``brand``: ``sysctl -n machdep.cpu.brand_string``;
    ``translated``: ``sysctl -n sysctl.proc_translated`` (1 under Rosetta)."""
    brand = (brand or "").strip()
    if machine == "arm64" or translated.strip() == "1" or brand.startswith("Apple"):
        notes = ("Python runs under Rosetta; the installer installs an arm64 Python",) \
            if machine != "arm64" else ()
        return GpuInfo("mps", (brand or "Apple Silicon",), notes=notes)
    return GpuInfo("cpu", (), notes=(f"an Intel Mac ({brand or machine}): PyTorch runs on the CPU",))


def _run(argv: Sequence[str]) -> str | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        result = subprocess.run(list(argv), capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else (result.stdout + result.stderr)


def detect(system: str | None = None, machine: str | None = None, run: Runner = _run,
           rocm_version_file: Path = Path("/opt/rocm/.info/version")) -> GpuInfo:
    """Ask the machine: NVIDIA first, then AMD ROCm (Linux), then Apple Silicon, else the CPU."""
    system = system or platform.system()
    machine = machine or platform.machine()
    notes: list[str] = []
    if system == "Darwin":
        return parse_macos(machine, run(["sysctl", "-n", "machdep.cpu.brand_string"]) or "",
                           run(["sysctl", "-n", "sysctl.proc_translated"]) or "")
    smi = run(["nvidia-smi"])
    if smi is not None:
        found = parse_nvidia_smi(smi)
        if found is not None:
            return found
        notes.append("nvidia-smi is installed but reports no GPU: " + smi.strip().splitlines()[0][:200]
                     if smi.strip() else "nvidia-smi is installed but reports no GPU")
    if system == "Linux":
        info = run(["rocminfo"])
        if info is not None:
            names = parse_rocminfo(info)
            if names:
                try:
                    version = parse_rocm_version(rocm_version_file.read_text())
                except OSError:
                    version = None
                return GpuInfo("rocm", names, version=version, notes=tuple(notes))
            notes.append("rocminfo is installed but lists no GPU agent")
    return GpuInfo("cpu", notes=tuple(notes) or ("no NVIDIA, AMD ROCm or Apple GPU found",))
