"""GPU detection and the PyTorch build it leads to, from recorded outputs of nvidia-smi,
rocminfo and macOS's sysctl."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from genloom_installer import backend, gpu

RECORDED = Path(__file__).parent / "recorded"


def recorded(name: str) -> str:
    return (RECORDED / name).read_text(encoding="utf-8")


def runner(outputs: dict[str, str | None]):
    """Answers each tool with its recorded output; a tool not listed is not installed."""
    asked: list[str] = []

    def run(argv: Sequence[str]) -> str | None:
        key = " ".join(argv)
        asked.append(key)
        return outputs.get(key)

    run.asked = asked  # type: ignore[attr-defined]
    return run


@pytest.mark.parametrize("name, names, driver, version", [
    ("nvidia-smi-rtx4090-570.txt", ("NVIDIA GeForce RTX 4090",), "570.86.15", (12, 8)),
    ("nvidia-smi-2xh100-580.txt", ("NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3"), "580.82.07",
     (13, 0)),
    ("nvidia-smi-t4-470.txt", ("Tesla T4",), "470.182.03", (11, 4)),
    ("nvidia-smi-windows-rtx3060-566.txt", ("NVIDIA GeForce RTX 3060",), "566.36", (12, 7)),
])
def test_nvidia_smi_gives_the_gpus_the_driver_and_its_cuda_version(name, names, driver, version):
    info = gpu.parse_nvidia_smi(recorded(name))
    assert info == gpu.GpuInfo("cuda", names, driver, version)


def test_nvidia_smi_without_a_driver_is_no_gpu():
    assert gpu.parse_nvidia_smi(recorded("nvidia-smi-no-driver.txt")) is None
    assert gpu.parse_nvidia_smi("") is None


def test_rocminfo_lists_only_gpu_agents_with_their_marketing_name():
    assert gpu.parse_rocminfo(recorded("rocminfo-rx7900xtx.txt")) == ("Radeon RX 7900 XTX (gfx1100)",)
    assert gpu.parse_rocminfo(recorded("rocminfo-no-gpu.txt")) == ()
    assert gpu.parse_rocm_version(recorded("rocm-version.txt")) == (6, 4)


def test_macos_apple_silicon_intel_and_rosetta():
    assert gpu.parse_macos("arm64", recorded("sysctl-brand-m2pro.txt")).kind == "mps"
    assert gpu.parse_macos("arm64", recorded("sysctl-brand-m2pro.txt")).names == ("Apple M2 Pro",)
    intel = gpu.parse_macos("x86_64", recorded("sysctl-brand-intel.txt"), "0")
    assert intel.kind == "cpu" and "Intel Mac" in intel.notes[0]
    rosetta = gpu.parse_macos("x86_64", recorded("sysctl-brand-m2pro.txt"),
                              recorded("sysctl-proc-translated-1.txt"))
    assert rosetta.kind == "mps" and "Rosetta" in rosetta.notes[0]


def test_detect_asks_nvidia_first_then_rocm_and_falls_back_to_the_cpu(tmp_path):
    version = tmp_path / "version"
    version.write_text(recorded("rocm-version.txt"))
    nvidia = runner({"nvidia-smi": recorded("nvidia-smi-rtx4090-570.txt")})
    assert gpu.detect("Linux", "x86_64", nvidia, version).kind == "cuda"
    assert nvidia.asked == ["nvidia-smi"]

    amd = runner({"rocminfo": recorded("rocminfo-rx7900xtx.txt")})
    found = gpu.detect("Linux", "x86_64", amd, version)
    assert (found.kind, found.version) == ("rocm", (6, 4))
    assert amd.asked == ["nvidia-smi", "rocminfo"]

    broken = runner({"nvidia-smi": recorded("nvidia-smi-no-driver.txt"),
                     "rocminfo": recorded("rocminfo-no-gpu.txt")})
    none = gpu.detect("Linux", "x86_64", broken, version)
    assert none.kind == "cpu"
    assert none.notes[0].startswith("nvidia-smi is installed but reports no GPU: NVIDIA-SMI has failed")
    assert none.notes[1] == "rocminfo is installed but lists no GPU agent"

    assert gpu.detect("Linux", "x86_64", runner({}), version).kind == "cpu"
    # Windows: no rocminfo there.
    windows = runner({"nvidia-smi": recorded("nvidia-smi-windows-rtx3060-566.txt")})
    assert gpu.detect("Windows", "AMD64", windows, version).version == (12, 7)


def test_detect_on_a_mac_asks_sysctl():
    mac = runner({"sysctl -n machdep.cpu.brand_string": recorded("sysctl-brand-m2pro.txt"),
                  "sysctl -n sysctl.proc_translated": "0\n"})
    assert gpu.detect("Darwin", "arm64", mac).kind == "mps"
    assert "nvidia-smi" not in mac.asked


@pytest.mark.parametrize("name, expected", [
    ("nvidia-smi-2xh100-580.txt", "cu130"),   # driver with CUDA 13.0: PyPI's build
    ("nvidia-smi-rtx4090-570.txt", "cu128"),  # CUDA 12.8
    ("nvidia-smi-windows-rtx3060-566.txt", "cu126"),  # 12.7: the newest build it runs is 12.6
    ("nvidia-smi-t4-470.txt", "cpu"),  # CUDA 11.4: too old for this torch
])
def test_the_cuda_build_is_the_newest_the_driver_runs(name, expected):
    choice = backend.choose(gpu.parse_nvidia_smi(recorded(name)), "linux-x86_64")
    assert choice.backend == expected
    if expected == "cpu":
        assert "update the NVIDIA driver" in choice.reason


def test_other_machines_get_their_builds_and_the_choice_can_be_overridden():
    cpu = gpu.GpuInfo("cpu")
    assert backend.choose(cpu, "linux-x86_64").backend == "cpu"
    amd = gpu.GpuInfo("rocm", ("Radeon RX 7900 XTX",), version=(6, 4))
    assert backend.choose(amd, "linux-x86_64").backend == "rocm6.4"
    assert backend.choose(gpu.GpuInfo("rocm", version=(6, 3)), "linux-x86_64").backend == "rocm6.3"
    assert backend.choose(gpu.GpuInfo("mps", ("Apple M2 Pro",)), "macos-arm64").backend == "mps"
    with pytest.raises(backend.InstallerError, match="Intel processor"):
        backend.choose(cpu, "macos-x86_64")
    forced = backend.choose(amd, "linux-x86_64", "cpu")
    assert (forced.backend, forced.kind) == ("cpu", "cpu")
    assert forced.reason.startswith("chosen with --torch-backend cpu (detected: Radeon RX 7900 XTX")
    with pytest.raises(backend.InstallerError, match="'cu99' is not known; use auto or one of cpu"):
        backend.choose(cpu, "linux-x86_64", "cu99")
    with pytest.raises(backend.InstallerError, match="for Apple Silicon"):
        backend.choose(cpu, "linux-x86_64", "mps")


def test_each_kind_has_its_lock_and_rocm_falls_back_to_the_cpu_one():
    from genloom_installer.install import lock_backend_of

    assert backend.lock_file("linux-x86_64", "cpu").name == "linux-x86_64-cpu.txt"
    assert backend.lock_file("linux-x86_64", "cuda").name == "linux-x86_64-cuda.txt"
    assert backend.lock_file("macos-arm64", "mps").name == "macos-arm64-mps.txt"
    assert backend.lock_file("windows-x86_64", "cpu").name == "windows-x86_64-cpu.txt"
    # No ROCm lock could be made here (PyTorch's index is not reachable): its torch goes
    # over the CPU lock, which the installer says.
    rocm = backend.lock_file("linux-x86_64", "rocm")
    assert rocm.name == "linux-x86_64-cpu.txt" and lock_backend_of(rocm) == "cpu"
    assert "torch==2.13.0+cpu" in rocm.read_text().splitlines()
    assert lock_backend_of(backend.lock_file("linux-x86_64", "cuda")) == "cu130"
    with pytest.raises(backend.InstallerError, match="no locked dependency set for freebsd-x86_64"):
        backend.lock_file("freebsd-x86_64", "cpu")


def test_platform_keys():
    assert backend.platform_key("Linux", "x86_64") == "linux-x86_64"
    assert backend.platform_key("Windows", "AMD64") == "windows-x86_64"
    assert backend.platform_key("Darwin", "arm64") == "macos-arm64"
    assert backend.platform_key("Linux", "arm64") == "linux-aarch64"
