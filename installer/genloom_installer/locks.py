"""Generating the locked dependency sets (``installer/locks/<platform>-<kind>.txt``) with
``uv pip compile``: one per platform and GPU kind, each pinning torch's build for it."""

from __future__ import annotations

import time
from pathlib import Path

from genloom_installer.backend import (
    LOCKS,
    PYTHON_VERSION,
    PYTORCH_INDEX,
    TORCH_VERSION,
    InstallerError,
)
from genloom_installer.ui import Ui

#: uv's --python-platform for each platform key.
PYTHON_PLATFORMS = {
    "linux-x86_64": "x86_64-manylinux_2_28",
    "linux-aarch64": "aarch64-manylinux_2_28",
    "windows-x86_64": "x86_64-pc-windows-msvc",
    "macos-arm64": "aarch64-apple-darwin",
}

#: (platform, kind) -> (torch requirement, torch build, the index it comes from or None for
#: PyPI). PyPI's torch is the CUDA 13.0 build on Linux and Windows x86-64... except that on
#: Windows it is the CPU build; on macOS it is the MPS one.
LOCK_SPECS: dict[tuple[str, str], tuple[str, str, str | None]] = {
    ("linux-x86_64", "cpu"): (f"torch=={TORCH_VERSION}+cpu", "cpu", f"{PYTORCH_INDEX}/cpu"),
    ("linux-x86_64", "cuda"): (f"torch=={TORCH_VERSION}", "cu130", None),
    ("linux-x86_64", "rocm"): (f"torch=={TORCH_VERSION}+rocm6.4", "rocm6.4", f"{PYTORCH_INDEX}/rocm6.4"),
    ("linux-aarch64", "cpu"): (f"torch=={TORCH_VERSION}+cpu", "cpu", f"{PYTORCH_INDEX}/cpu"),
    ("windows-x86_64", "cpu"): (f"torch=={TORCH_VERSION}", "cpu", None),
    ("windows-x86_64", "cuda"): (f"torch=={TORCH_VERSION}+cu130", "cu130", f"{PYTORCH_INDEX}/cu130"),
    ("macos-arm64", "mps"): (f"torch=={TORCH_VERSION}", "mps", None),
}


def header(key: str, kind: str, backend: str) -> str:
    return (f"# Genloom's locked dependencies for {key}, GPU kind {kind}, Python {PYTHON_VERSION}.\n"
            f"# torch-backend: {backend}\n"
            f"# Made {time.strftime('%Y-%m-%d')} by: python -m genloom_installer lock --platform {key} "
            f"--kind {kind}\n")


def compile_lock(ui: Ui, uv: str, source: Path, key: str, kind: str, *, torch_index: str | None,
                 find_links: list[str], locks: Path = LOCKS) -> Path:
    """Resolve pyproject.toml's dependencies plus torch's build for ``key``/``kind``."""
    if (key, kind) not in LOCK_SPECS:
        known = ", ".join(f"{k}/{g}" for k, g in LOCK_SPECS)
        raise InstallerError(f"no lock recipe for {key}/{kind}; known: {known}")
    requirement, backend, index = LOCK_SPECS[(key, kind)]
    index = torch_index or index
    locks.mkdir(parents=True, exist_ok=True)
    out = locks / f"{key}-{kind}.txt"
    torch_in = locks / f".{key}-{kind}.in"
    torch_in.write_text(requirement + "\n", encoding="utf-8")
    args = [uv, "pip", "compile", str(source / "pyproject.toml"), str(torch_in),
            "--python-version", PYTHON_VERSION, "--python-platform", PYTHON_PLATFORMS[key],
            "--no-header", "--quiet", "-o", str(out.with_suffix(".tmp"))]
    for link in find_links:
        args += ["--find-links", link]
    if index and index != "none":
        args += ["--extra-index-url", index]
    env = {"MACOSX_DEPLOYMENT_TARGET": "14.0"} if key.startswith("macos") else {}
    try:
        ui.run(args, env=env, what=f"resolving the {key}/{kind} lock")
    finally:
        torch_in.unlink(missing_ok=True)
    body = out.with_suffix(".tmp").read_text(encoding="utf-8")
    # The paths of the inputs would differ per machine; the header says how it was made.
    body = body.replace(str(source / "pyproject.toml"), "pyproject.toml").replace(str(torch_in), "torch")
    out.write_text(header(key, kind, backend) + body, encoding="utf-8")
    out.with_suffix(".tmp").unlink()
    return out
