"""``genloom doctor``: the installation's facts and problems, each problem with its fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from genloom.core import diagnostics, system_libs
from genloom.core.models import discover

ABSENT = "libgenloom-absent.so.7"


def _doctor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "genloom", "doctor", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, **(env or {})})


def _low_disk() -> list[str]:
    """The disk findings this machine earns right now (a shared machine may be short of
    space): the doctor in the child sees the same folders, so it must report exactly these."""
    return [line.problem for line in diagnostics.disk_section().lines if line.problem]


def _summary(problems: int) -> str:
    return f"{problems} problem{'s' if problems != 1 else ''} found" if problems else "No problems found"


def test_doctor_names_a_hidden_missing_system_library_and_the_command_that_installs_it():
    result = _doctor("--json", env={system_libs.EXTRA_ENV: f"{ABSENT}=genloom-absent"})
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    disk = _low_disk()
    [problem] = [p for p in report["problems"] if p["problem"] not in disk]
    assert len(report["problems"]) == 1 + len(disk)
    assert problem["label"] == "Missing" and problem["value"] == ABSENT
    assert problem["problem"].endswith("apt-get install -y --no-install-recommends genloom-absent")
    titles = [s["title"] for s in report["sections"]]
    assert titles == ["Python and Genloom", "PyTorch", "ONNX Runtime", "Qt", "System libraries",
                      "Disk space", "Model folders"]


def test_doctor_on_a_sound_installation_reports_torch_its_device_and_no_problems():
    result = _doctor()
    disk = _low_disk()
    assert result.returncode == (1 if disk else 0), result.stdout + result.stderr
    assert "torch: 2." in result.stdout and "Generators run on: " in result.stdout
    assert "Providers active: " in result.stdout and "CPUExecutionProvider" in result.stdout
    assert "System libraries\n  Missing: none" in result.stdout
    assert all(f"! {problem}" in result.stdout for problem in disk)
    assert result.stdout.rstrip().endswith(_summary(len(disk)))


def test_doctor_smoke_makes_one_image_with_a_bundled_generator(tmp_path):
    result = _doctor("--smoke")
    disk = _low_disk()
    assert result.returncode == (1 if disk else 0), result.stdout + result.stderr
    assert result.stdout.rstrip().endswith(_summary(len(disk)))
    assert "Generation: procedural.pattern: made asset 1 (image)" in result.stdout
    assert "Smoke test\n  Qt: loads and starts (offscreen)" in result.stdout


def test_the_qt_check_names_the_library_to_install_when_qt_cannot_load(monkeypatch):
    # A probe that fails the way a missing library makes PySide6 fail, in the same child.
    monkeypatch.setattr(diagnostics, "QT_PROBE", "raise ImportError('libxkbcommon.so.0: cannot "
                        "open shared object file: No such file or directory')")
    section = diagnostics.Section("Smoke test")
    diagnostics.qt_line(section)
    [line] = section.lines
    assert line.value.startswith("does not start: ImportError: libxkbcommon.so.0")
    assert line.problem.endswith("sudo apt-get install libxkbcommon0")


def test_the_device_choice_says_why():
    assert diagnostics.device_choice(["cuda", "cpu"], "RTX 4090")[0] == "cuda"
    assert "RTX 4090" in diagnostics.device_choice(["cuda", "cpu"], "RTX 4090")[1]
    assert diagnostics.device_choice(["mps", "cpu"])[0] == "mps"
    device, why = diagnostics.device_choice(["cpu"])
    assert device == "cpu" and "no GPU" in why
    assert diagnostics.device_choice(["cpu"], setting="cuda")[1].startswith("Settings ask for cuda")


def test_low_disk_space_is_a_problem(tmp_path, monkeypatch):
    monkeypatch.setattr(diagnostics, "LOW_DISK_BYTES", 2**62)  # more than any disk has
    section = diagnostics.disk_section([("Projects", tmp_path / "not" / "yet")])
    [line] = section.lines
    assert line.problem.startswith("only ") and str(tmp_path / "not" / "yet") in line.value


def test_other_apps_model_folders_are_found_in_their_usual_places(tmp_path, monkeypatch):
    comfy = tmp_path / "ComfyUI"
    (comfy / "comfy").mkdir(parents=True)
    (comfy / "models" / "checkpoints").mkdir(parents=True)
    webui = tmp_path / "stable-diffusion-webui"
    (webui / "models" / "Stable-diffusion").mkdir(parents=True)
    (tmp_path / "invokeai").mkdir()  # not an InvokeAI root (no invokeai.yaml): not offered
    cache = tmp_path / "hf"
    (cache / "models--org--tiny").mkdir(parents=True)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    found = discover.find_model_folders(home=tmp_path)
    assert [(f.label, f.path) for f in found] == [
        ("ComfyUI", comfy), ("AUTOMATIC1111", webui), ("Hugging Face cache", Path(cache))]
