"""What this installation is made of and what is wrong with it: ``genloom doctor`` and
Help > Diagnostics.

Each check is a :class:`Line` (a label, what was found, and a problem with its fix when
something is wrong), grouped in :class:`Section` s; :func:`collect` runs them all and
:meth:`Report.text` is what a person pastes into a bug report. torch and ONNX Runtime are
imported only inside their checks, so the app runs this in a subprocess (its UI process
never loads torch) and the CLI pays for them only when asked.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Line", "Report", "Section", "collect", "device_choice"]

#: Below this much free space where projects or models live, the report flags it.
LOW_DISK_BYTES = 5 * 1024**3


@dataclass(frozen=True)
class Line:
    """One fact; ``problem`` (with its fix) is set when it needs the user's attention."""

    label: str
    value: str
    problem: str = ""


@dataclass
class Section:
    title: str
    lines: list[Line] = field(default_factory=list)

    def add(self, label: str, value: str, problem: str = "") -> None:
        self.lines.append(Line(label, value, problem))


@dataclass
class Report:
    sections: list[Section]

    @property
    def problems(self) -> list[Line]:
        return [line for section in self.sections for line in section.lines if line.problem]

    def text(self) -> str:
        """Plain text for a bug report: one section a block, problems marked with ``!``."""
        out: list[str] = []
        for section in self.sections:
            out.append(f"{section.title}")
            for line in section.lines:
                out.append(f"  {line.label}: {line.value}")
                if line.problem:
                    out.append(f"  ! {line.problem}")
            out.append("")
        problems = self.problems
        out.append(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found"
                   if problems else "No problems found")
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        return {"sections": [asdict(s) for s in self.sections],
                "problems": [asdict(p) for p in self.problems]}


def _dist_version(*names: str) -> str:
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return ""


def python_section() -> Section:
    from genloom import __version__

    section = Section("Python and Genloom")
    section.add("Python", f"{platform.python_version()} ({sys.executable})")
    section.add("System", f"{platform.system()} {platform.release()} {platform.machine()}")
    section.add("Genloom", f"{__version__} ({Path(__file__).resolve().parents[1]})")
    return section


def device_choice(found: list[str], cuda_name: str = "", setting: str = "auto") -> tuple[str, str]:
    """The device generators will use and why, from what torch found (best first).

    Pure, so the first-run page and the report say the same thing as the worker does
    (:func:`genloom.core.devices.resolve_device` picks CUDA, then MPS, then the CPU).
    """
    setting = (setting or "auto").lower()
    if setting != "auto":
        kind = setting.split(":", 1)[0]
        if kind in found:
            return setting, f"chosen in Settings ({setting})"
        return "cpu", f"Settings ask for {setting}, which this machine does not have; jobs on it fail"
    if "cuda" in found:
        return "cuda", f"an NVIDIA GPU{f' ({cuda_name})' if cuda_name else ''} with a CUDA build of PyTorch"
    if "mps" in found:
        return "mps", "Apple Silicon (Metal) with PyTorch's MPS backend"
    return "cpu", "no GPU PyTorch can use was found (or PyTorch is a CPU build); everything runs, slower"


def torch_section(setting: str = "auto") -> Section:
    section = Section("PyTorch")
    if importlib.util.find_spec("torch") is None:
        section.add("torch", "not installed",
                    "PyTorch is missing: run the installer's Repair (or reinstall Genloom)")
        return section
    try:
        import torch
    except Exception as exc:  # a broken build (missing CUDA libraries, ABI mismatch)
        section.add("torch", f"does not import: {exc}",
                    "PyTorch is damaged: run the installer's Repair")
        return section
    build = "CPU"
    if getattr(torch.version, "cuda", None):
        build = f"CUDA {torch.version.cuda}"
    elif getattr(torch.version, "hip", None):
        build = f"ROCm {torch.version.hip}"
    section.add("torch", f"{torch.__version__} ({build} build)")
    from genloom.core.devices import available_device_types

    found = available_device_types()
    cuda_name = torch.cuda.get_device_name(0) if "cuda" in found else ""
    device, why = device_choice(found, cuda_name, setting)
    section.add("Devices", ", ".join(found))
    problem = ""
    if build != "CPU" and "cuda" not in found:
        problem = ("this is a GPU build of PyTorch but no GPU answers: check the driver "
                   "(nvidia-smi or rocminfo), or reinstall with the CPU kind")
    section.add("Generators run on", f"{device}: {why}", problem)
    return section


def onnx_section() -> Section:
    section = Section("ONNX Runtime")
    if importlib.util.find_spec("onnxruntime") is None:
        section.add("onnxruntime", "not installed",
                    "ONNX Runtime is missing: run the installer's Repair")
        return section
    try:
        import onnxruntime
    except Exception as exc:
        section.add("onnxruntime", f"does not import: {exc}", "run the installer's Repair")
        return section
    dist = "onnxruntime-gpu" if _dist_version("onnxruntime-gpu") else "onnxruntime"
    section.add("onnxruntime", f"{onnxruntime.__version__} ({dist})")
    built = onnxruntime.get_available_providers()
    section.add("Providers built in", ", ".join(built))
    # A GPU provider is only usable with a GPU to run on; the CPU one always is.
    from genloom.core.devices import available_device_types

    gpu = "cuda" in available_device_types()
    usable = [p for p in built if p == "CPUExecutionProvider" or gpu and p in (
        "CUDAExecutionProvider", "TensorrtExecutionProvider", "ROCMExecutionProvider",
        "MIGraphXExecutionProvider")] + [p for p in built if p == "CoreMLExecutionProvider"]
    section.add("Providers active", ", ".join(usable))
    return section


def qt_dir() -> Path | None:
    """The installed PySide6 package folder, found without importing Qt."""
    spec = importlib.util.find_spec("PySide6")
    return Path(spec.origin).parent if spec is not None and spec.origin else None


def qt_section(platform_name: str = "", media_backend: str = "") -> Section:
    """Qt as installed; the app passes the platform and media backend it is running with."""
    section = Section("Qt")
    folder = qt_dir()
    if folder is None:
        section.add("PySide6", "not installed", "PySide6 is missing: run the installer's Repair")
        return section
    section.add("PySide6", f"{_dist_version('PySide6-Essentials', 'PySide6')} ({folder})")
    if not platform_name:
        platform_name = os.environ.get("QT_QPA_PLATFORM", "")
        if not platform_name:
            platform_name = {"Darwin": "cocoa", "Windows": "windows"}.get(platform.system(), "")
            if not platform_name:
                platform_name = "wayland" if os.environ.get("WAYLAND_DISPLAY") else "xcb"
            platform_name += " (default)"
    section.add("Platform", platform_name)
    if not media_backend:
        media_backend = os.environ.get("QT_MEDIA_BACKEND", "")
        plugin_dir = folder / "Qt" / "plugins" / "multimedia"
        if not media_backend:
            plugins = sorted(p.name for p in plugin_dir.glob("*")) if plugin_dir.is_dir() else []
            media_backend = ("ffmpeg" if any("ffmpeg" in p for p in plugins)
                             else ", ".join(plugins) or "none found") + " (default)"
    section.add("Multimedia backend", media_backend)
    return section


def system_libraries_section() -> Section:
    from genloom.core import system_libs

    section = Section("System libraries")
    if not sys.platform.startswith("linux"):
        section.add("Checked", "only on Linux (other systems ship what Qt needs)")
        return section
    missing = [lib.soname for lib in system_libs.missing_libraries()]
    folder = qt_dir()
    if folder is not None:
        missing += [s for s in system_libs.missing_in_qt(folder) if s not in missing]
    if not missing:
        section.add("Missing", "none")
        return section
    packages: list[str] = []
    for soname in missing:
        package = system_libs.package_for(soname)
        if package and package not in packages:
            packages.append(package)
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    fix = (f"install them with: {system_libs.install_command(packages, root=root)}" if packages
           else "install the packages that provide them with your system's package manager")
    section.add("Missing", ", ".join(missing), fix)
    return section


def _existing(path: Path) -> Path:
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def disk_section(places: list[tuple[str, Path]] | None = None) -> Section:
    from genloom.core import paths

    section = Section("Disk space")
    if places is None:
        places = [("Projects", paths.default_projects_dir()), ("Genloom data", paths.data_dir())]
    for label, path in places:
        try:
            usage = shutil.disk_usage(_existing(path))
        except OSError as exc:
            section.add(label, f"{path}: cannot read ({exc})")
            continue
        free = usage.free / 1024**3
        problem = (f"only {free:.1f} GB free: models and renders need room; free some space"
                   if usage.free < LOW_DISK_BYTES else "")
        section.add(label, f"{free:.1f} GB free of {usage.total / 1024**3:.0f} GB ({path})", problem)
    return section


def models_section() -> Section:
    from genloom.core import paths
    from genloom.core.models.discover import find_model_folders
    from genloom.core.models.hfcache import hf_cache_dir

    section = Section("Model folders")
    index = paths.data_dir() / "models.sqlite"
    roots: list[str] = []
    if index.is_file():  # reading it; a report never creates the library
        try:
            from genloom.core.models.library import ModelLibrary

            library = ModelLibrary(index_path=index)
            try:
                roots = [r.path for r in library.roots()]
            finally:
                library.close()
        except Exception as exc:  # a damaged index is a finding, not a crash
            section.add("Library", f"{index}: cannot read ({exc})",
                        "the model library's index is damaged; remove the folder from the "
                        "library and add it again")
    section.add("In the library", ", ".join(roots) if roots else "none added yet")
    cache = hf_cache_dir()
    section.add("Hugging Face cache", f"{cache}{'' if cache.is_dir() else ' (none)'}")
    found = [f for f in find_model_folders() if str(f.path) not in roots]
    section.add("Found, not added", ", ".join(f"{f.label}: {f.path}" for f in found) or "none")
    return section


#: Loads the Qt modules the app uses and makes an application, offscreen: in a child, as
#: only genloom._qt may import PySide6 and a missing library must not take this process down.
QT_PROBE = ("import os; os.environ.setdefault('QT_QPA_PLATFORM', 'offscreen'); "
            "from PySide6.QtWidgets import QApplication; from PySide6 import QtMultimedia, QtSvg; "
            "app = QApplication(['genloom']); print(app.platformName())")


def qt_line(section: Section) -> None:
    """Whether Qt loads and starts here (the app's window needs it)."""
    import subprocess

    try:
        result = subprocess.run([sys.executable, "-c", QT_PROBE], capture_output=True, text=True,
                                timeout=120, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        section.add("Qt", f"could not be checked ({exc})")
        return
    if result.returncode == 0:
        section.add("Qt", f"loads and starts ({result.stdout.strip() or 'offscreen'})")
        return
    from genloom.core.system_libs import install_hint

    error = (result.stderr.strip().splitlines() or ["no message"])[-1]
    section.add("Qt", f"does not start: {error[:300]}", install_hint(error))


def smoke_test(folder: Path, generator: str = "procedural.pattern") -> Section:
    """Import, device, one tiny generation with a bundled generator into a throwaway project
    in ``folder``: what the installer runs to prove an installation works."""
    from genloom.core.jobs.engine import Engine
    from genloom.core.plugins import PluginConfig, PluginManager
    from genloom.core.project import Project
    from genloom.core.settings import Settings

    section = Section("Smoke test")
    qt_line(section)
    settings = Settings.load()
    plugins = PluginManager(PluginConfig.from_settings(settings)).load()
    records = list(plugins.plugins.values())
    section.add("Plugins", ", ".join(sorted(r.name for r in records if r.status == "loaded")))
    failed = [r.name for r in records if r.status == "failed"]
    if failed:
        section.add("Plugins failed", ", ".join(failed),
                    "a bundled plugin does not load: run the installer's Repair")
    project = Project.open_or_create(folder)
    try:
        engine = Engine(project, plugins, settings, scope=())
        jobs = engine.submit(generator, {}, seed=1)
        engine.start()
        try:
            done = engine.wait([j.id for j in jobs], timeout=300)
        finally:
            engine.stop()
        job = done[0]
        if job.state == "done" and job.asset_ids:
            asset = project.get_asset(job.asset_ids[0])
            section.add("Generation", f"{generator}: made asset {asset.id} ({asset.kind})")
        else:
            section.add("Generation", f"{generator}: {job.state} {job.error or ''}".strip(),
                        "a tiny generation failed: run the installer's Repair")
    finally:
        project.close()
    return section


def collect(*, settings_device: str = "auto", platform_name: str = "", media_backend: str = "",
            progress: Callable[[str], None] | None = None) -> Report:
    """Run every check (imports torch and ONNX Runtime: call it in a worker or the CLI)."""
    steps: list[tuple[str, Callable[[], Section]]] = [
        ("Python", python_section),
        ("PyTorch", lambda: torch_section(settings_device)),
        ("ONNX Runtime", onnx_section),
        ("Qt", lambda: qt_section(platform_name, media_backend)),
        ("System libraries", system_libraries_section),
        ("Disk", disk_section),
        ("Models", models_section),
    ]
    sections = []
    for name, step in steps:
        if progress is not None:
            progress(name)
        try:
            sections.append(step())
        except Exception as exc:  # one broken check must not hide the others
            broken = Section(name)
            broken.add("Check", f"failed: {type(exc).__name__}: {exc}",
                       "this check itself failed; include this report in a bug report")
            sections.append(broken)
    return Report(sections)
