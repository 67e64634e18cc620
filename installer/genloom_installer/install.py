"""Install, update in place, repair and uninstall Genloom with uv.

Install and update are one procedure: the environment is made once and brought to the
locked set each time (``uv pip sync`` also removes what a newer lock dropped); the user's
projects, models and settings live elsewhere (:mod:`genloom.core.paths`) and are never
touched. Uninstall removes only the runtime folder and the desktop entry unless asked.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from genloom_installer import desktop
from genloom_installer.backend import (
    PYTHON_VERSION,
    TORCH_VERSION,
    Choice,
    InstallerError,
    choose,
    lock_file,
    platform_key,
)
from genloom_installer.gpu import GpuInfo, detect
from genloom_installer.places import MARK, Layout
from genloom_installer.ui import Ui
from genloom_installer.uvtool import find_uv

#: invisible-watermark goes in without its dependencies (see pyproject.toml): its metadata
#: asks for opencv-python, whose GUI cv2 would replace the headless one Genloom uses.
WATERMARK = "invisible-watermark==0.2.0"
#: What a source checkout contributes to the wheel.
SOURCE_PARTS = ("pyproject.toml", "README.md", "desktop", "plugins", "resources")
#: Sections of ``genloom doctor --json`` whose problems mean the installation does not work.
SMOKE_SECTIONS = ("Smoke test", "PyTorch", "ONNX Runtime", "Python and Genloom")


@dataclass
class Options:
    root: Path
    home: Path
    source: Path | None = None  # a checkout, or a genloom wheel
    wheels: Path | None = None  # an offline bundle's wheels: no network at all
    torch_backend: str | None = None
    torch_index: str | None = None  # a URL, or "none" for find-links/the default index only
    find_links: list[str] = field(default_factory=list)
    uv: str | None = None
    assume_yes: bool = False
    smoke: bool = True
    desktop_entry: bool = True
    gpu: GpuInfo | None = None  # tests pass a recorded one
    locks: Path | None = None  # an offline bundle's locks


def lock_backend_of(lock: Path) -> str:
    """The torch build a lock was resolved with (its ``# torch-backend:`` header line)."""
    for line in lock.read_text(encoding="utf-8").splitlines()[:20]:
        if line.startswith("# torch-backend:"):
            return line.split(":", 1)[1].strip()
    return "cpu"


def source_version(source: Path) -> str:
    if source.suffix == ".whl":
        return source.name.split("-")[1]
    text = (source / "desktop" / "genloom" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'__version__\s*=\s*"([^"]+)"', text)
    if match is None:
        raise InstallerError(f"{source} does not look like a Genloom checkout (no __version__)")
    return match.group(1)


def default_source() -> Path:
    """The checkout this installer sits in (installer/genloom_installer/..)."""
    return Path(__file__).resolve().parents[2]


class Installer:
    def __init__(self, opts: Options, ui: Ui) -> None:
        self.opts, self.ui = opts, ui
        self.layout = Layout(opts.root)
        self.uv = find_uv(opts.uv)
        self.key = platform_key()

    # -- uv arguments -------------------------------------------------------------------
    def index_args(self, choice: Choice | None = None) -> list[str]:
        """Where packages come from: only the bundle's wheels when offline; else the default
        index, PyTorch's index for the chosen build, and any find-links."""
        if self.opts.wheels is not None:
            return ["--offline", "--no-index", "--find-links", str(self.opts.wheels)]
        args: list[str] = []
        for link in self.opts.find_links:
            args += ["--find-links", link]
        index = self.opts.torch_index or os.environ.get("GENLOOM_TORCH_INDEX")
        if index is None and choice is not None and choice.backend not in ("mps", "cu130"):
            index = f"https://download.pytorch.org/whl/{choice.backend}"
        if index and index != "none":
            args += ["--extra-index-url", index]
        return args

    def uv_env(self) -> dict[str, str]:
        # Never ask: a person is not at a prompt the installer cannot show.
        return {"UV_NO_PROGRESS": "1", "UV_PYTHON_DOWNLOADS": "never" if self.opts.wheels else "automatic"}

    # -- steps -----------------------------------------------------------------------------
    def plan(self) -> tuple[Choice, Path]:
        gpu = self.opts.gpu or detect()
        choice = choose(gpu, self.key, self.opts.torch_backend)
        lock = lock_file(self.key, choice.kind, self.opts.locks) if self.opts.locks else \
            lock_file(self.key, choice.kind)
        self.ui.say(f"      GPU: {gpu.describe()}")
        for note in gpu.notes:
            self.ui.say(f"      note: {note}")
        self.ui.say(f"      PyTorch {TORCH_VERSION}, {choice.backend} build: {choice.reason}")
        self.ui.say("      (another build: run the installer again with --torch-backend "
                    "cpu|cu126|cu128|cu130|rocm6.3|rocm6.4|mps)")
        self.ui.say(f"      locked dependency set: {lock.name}")
        return choice, lock

    def python(self) -> str:
        # --system: not the virtual environment the installer itself may run in.
        find = [self.uv, "python", "find", "--system", PYTHON_VERSION]
        try:
            return self.ui.run(find, env=self.uv_env(), what="finding Python").strip()
        except InstallerError:
            if self.opts.wheels is not None:
                raise InstallerError(f"Python {PYTHON_VERSION} is not on this machine and an offline "
                                     f"install cannot download it; install Python {PYTHON_VERSION} "
                                     "and run the installer again") from None
        self.ui.run([self.uv, "python", "install", PYTHON_VERSION], env=self.uv_env(),
                    what=f"installing Python {PYTHON_VERSION}")
        return self.ui.run(find, env=self.uv_env(), what="finding Python").strip()

    def environment(self, python: str) -> None:
        if self.layout.python.is_file():
            self.ui.say(f"      keeping the environment in {self.layout.env}")
            return
        self.ui.run([self.uv, "venv", "--python", python, str(self.layout.env)], env=self.uv_env(),
                    what="creating the environment")

    def dependencies(self, choice: Choice, lock: Path, *, reinstall: bool = False) -> None:
        py = ["--python", str(self.layout.python)]
        extra = ["--reinstall"] if reinstall else []
        self.ui.run([self.uv, "pip", "sync", *py, *self.index_args(choice), *extra, str(lock)],
                    env=self.uv_env(), what="installing the locked dependencies")
        if choice.backend != lock_backend_of(lock):
            self.ui.say(f"      PyTorch's {choice.backend} build replaces the lock's "
                        f"{lock_backend_of(lock)} one (not from the locked set)")
            self.ui.run([self.uv, "pip", "install", *py, *self.index_args(choice),
                         "--torch-backend", choice.backend, f"torch=={TORCH_VERSION}"],
                        env=self.uv_env(), what=f"installing PyTorch ({choice.backend})")

    def genloom(self, source: Path) -> str:
        py = ["--python", str(self.layout.python)]
        with tempfile.TemporaryDirectory(prefix="genloom-build-") as tmp:
            if source.suffix == ".whl":
                wheel = source
            else:
                wheel = build_wheel(self.ui, self.uv, source, Path(tmp), self.index_args(), self.uv_env())
            self.ui.run([self.uv, "pip", "install", *py, *self.index_args(), "--no-deps", "--reinstall",
                         str(wheel)], env=self.uv_env(), what="installing Genloom")
        self.ui.run([self.uv, "pip", "install", *py, *self.index_args(), "--no-deps", WATERMARK],
                    env=self.uv_env(), what="installing the invisible watermark")
        return source_version(source)

    def smoke_test(self) -> tuple[bool, str]:
        """``genloom doctor --smoke`` from the installed environment: import, device, one image."""
        import subprocess

        try:
            result = subprocess.run([str(self.layout.script("genloom")), "doctor", "--smoke", "--json"],
                                    capture_output=True, text=True, timeout=900, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            return False, f"the installed genloom did not run: {exc}"
        self.ui.log.write(result.stdout + result.stderr)
        try:
            report = json.loads(result.stdout)
        except ValueError:
            return False, "the installed genloom did not run:\n" + "\n".join(
                result.stderr.strip().splitlines()[-8:])
        lines = []
        failed = False
        for section in report["sections"]:
            for line in section["lines"]:
                if section["title"] in ("Smoke test", "PyTorch") or line["problem"]:
                    lines.append(f"      {section['title']}: {line['label']}: {line['value']}")
                if line["problem"]:
                    lines.append(f"      ! {line['problem']}")
                    failed |= section["title"] in SMOKE_SECTIONS
        return not failed, "\n".join(lines)

    def write_manifest(self, data: dict) -> None:
        path = self.layout.manifest
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.replace(tmp, path)


def read_manifest(layout: Layout) -> dict | None:
    try:
        data = json.loads(layout.manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("installer") == MARK else None


def build_wheel(ui: Ui, uv: str, source: Path, tmp: Path, index_args: list[str],
                env: dict[str, str]) -> Path:
    """Genloom's wheel from a copy of the checkout's sources (the checkout gets no build files)."""
    if not (source / "pyproject.toml").is_file():
        raise InstallerError(f"--source {source}: no pyproject.toml there; give a Genloom checkout "
                             "or a genloom wheel")
    copy = tmp / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", ".venv")
    for part in SOURCE_PARTS:
        src = source / part
        if src.is_dir():
            shutil.copytree(src, copy / part, ignore=ignore)
        elif src.is_file():
            copy.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, copy / part)
    out = tmp / "dist"
    ui.run([uv, "build", "--wheel", "--out-dir", str(out), *index_args, str(copy)], env=env,
           what="building Genloom's wheel")
    wheels = sorted(out.glob("genloom-*.whl"))
    if not wheels:
        raise InstallerError(f"building Genloom's wheel made no wheel; see {ui.log_path}")
    return wheels[0]


def ask(question: str, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        return False
    answer = input(f"{question} [Y/n] ").strip().lower()
    return answer in ("", "y", "yes")


def install(opts: Options) -> int:
    """Install, or update in place when the runtime folder already holds an installation."""
    layout = Layout(opts.root)
    previous = read_manifest(layout)
    if layout.manifest.exists() and previous is None:
        raise InstallerError(f"{layout.manifest} is not a Genloom installer manifest; choose "
                             "another --prefix (the installer does not write over other files)")
    if opts.root.exists() and previous is None and any(opts.root.iterdir()):
        raise InstallerError(f"{opts.root} exists and is not a Genloom installation; choose "
                             "an empty or new folder with --prefix")
    opts.root.mkdir(parents=True, exist_ok=True)
    source = opts.source or default_source()
    ui = Ui(layout.log, total=7)
    started = time.monotonic()
    verb = "Updating" if previous else "Installing"
    ui.say(f"{verb} Genloom {source_version(source)} into {opts.root} (log: {layout.log})")
    try:
        inst = Installer(opts, ui)
        with ui.step("Looking at this machine"):
            choice, lock = inst.plan()
        with ui.step(f"Getting Python {PYTHON_VERSION}"):
            python = inst.python()
            ui.say(f"      {python}")
        with ui.step("Preparing the environment"):
            inst.environment(python)
        with ui.step(f"Installing PyTorch ({choice.backend}) and the other dependencies"):
            inst.dependencies(choice, lock)
        with ui.step("Installing Genloom"):
            version = inst.genloom(source)
        ok, text = True, ""
        with ui.step("Checking that it works (one tiny generation)"):
            if opts.smoke:
                ok, text = inst.smoke_test()
                ui.say(text)
            else:
                ui.say("      skipped (--no-smoke-test)")
        if not ok:
            ui.say("The check failed: Genloom is installed but does not work yet.")
            if ask("Repair now (reinstall every package)?", opts.assume_yes):
                with ui.step("Repairing"):
                    inst.dependencies(choice, lock, reinstall=True)
                    inst.genloom(source)
                    ok, text = inst.smoke_test()
                    ui.say(text)
            if not ok:
                ui.say(f"Still failing. Repair later with: {sys.executable} -m genloom_installer "
                       f"repair --prefix \"{opts.root}\"; the log is {layout.log}")
        entries: list[str] = []
        with ui.step("Adding Genloom to the desktop's applications"):
            if opts.desktop_entry:
                entries = [str(p) for p in desktop.install_entry(layout.script("genloom-app"),
                                                                opts.home, version)]
                for entry in entries:
                    ui.say(f"      {entry}")
            else:
                ui.say("      skipped (--no-desktop-entry)")
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        history = (previous or {}).get("history", []) + [{"at": now, "version": version,
                                                           "backend": choice.backend}]
        inst.write_manifest({
            "installer": MARK, "version": version, "platform": inst.key, "backend": choice.backend,
            "kind": choice.kind, "lock": lock.name,
            "lock_sha256": hashlib.sha256(lock.read_bytes()).hexdigest(), "python": python,
            "offline": opts.wheels is not None, "installed": (previous or {}).get("installed", now),
            "updated": now, "entries": entries, "history": history[-20:],
            "torch_index": opts.torch_index, "find_links": opts.find_links,
        })
        ui.say(f"Genloom {version} is {'updated' if previous else 'installed'} "
               f"({time.monotonic() - started:.0f} s). Start it from your applications menu, or "
               f"run {layout.script('genloom-app')}")
        return 0 if ok else 1
    except InstallerError as exc:
        ui.say(f"genloom installer: {exc}")
        return 1
    finally:
        ui.close()


def repair(opts: Options) -> int:
    """Reinstall every package of the recorded installation, then check it again."""
    layout = Layout(opts.root)
    manifest = read_manifest(layout)
    if manifest is None:
        raise InstallerError(f"there is no Genloom installation in {opts.root} to repair; install it")
    ui = Ui(layout.log, total=3)
    try:
        opts.torch_backend = opts.torch_backend or manifest.get("backend")
        opts.torch_index = opts.torch_index or manifest.get("torch_index")
        opts.find_links = opts.find_links or manifest.get("find_links") or []
        inst = Installer(opts, ui)
        with ui.step("Looking at this machine"):
            choice, lock = inst.plan()
        with ui.step("Reinstalling every package"):
            if not layout.python.is_file():
                inst.environment(inst.python())
            inst.dependencies(choice, lock, reinstall=True)
            inst.genloom(opts.source or default_source())
        with ui.step("Checking that it works"):
            ok, text = inst.smoke_test()
            ui.say(text)
        ui.say("Repaired." if ok else f"Still failing; please send {layout.log} with a bug report.")
        return 0 if ok else 1
    except InstallerError as exc:
        ui.say(f"genloom installer: {exc}")
        return 1
    finally:
        ui.close()


USER_PATHS = ("import json; from genloom.core import paths; print(json.dumps({'settings': "
              "str(paths.config_dir()), 'data': str(paths.data_dir()), 'logs': str(paths.log_dir()), "
              "'projects': str(paths.default_projects_dir())}))")


def uninstall(opts: Options, *, remove_settings: bool = False, remove_data: bool = False) -> int:
    """Remove the environment and the desktop entry; projects and models always stay, settings
    and Genloom's data (the model index, plugins, logs) stay unless asked."""
    import subprocess

    layout = Layout(opts.root)
    if read_manifest(layout) is None:
        raise InstallerError(f"there is no Genloom installation in {opts.root} (no {layout.manifest.name} "
                             "written by this installer), so nothing was removed")
    user: dict[str, str] = {}
    try:
        result = subprocess.run([str(layout.python), "-c", USER_PATHS], capture_output=True,
                                text=True, timeout=120, check=False)
        user = json.loads(result.stdout) if result.returncode == 0 else {}
    except (OSError, ValueError, subprocess.SubprocessError):
        pass  # a broken environment: the user's folders are then only listed as unknown
    if (remove_settings or remove_data) and not user:
        raise InstallerError("the installed Genloom cannot say where its settings and data are, so "
                             "they were not removed; uninstall without --remove-settings/--remove-data "
                             "and delete them by hand")
    removed = desktop.remove_entry(opts.home)
    shutil.rmtree(opts.root)
    removed.append(opts.root)
    for flag, keys in ((remove_settings, ("settings",)), (remove_data, ("data", "logs"))):
        for key in keys:
            path = Path(user.get(key, ""))
            if flag and user.get(key) and path.is_dir():
                shutil.rmtree(path)
                removed.append(path)
    print("Removed:\n" + "\n".join(f"  {p}" for p in removed))
    kept = [("your projects", user.get("projects", "(where you saved them)"))]
    if not remove_settings:
        kept.append(("settings", user.get("settings", "?")))
    if not remove_data:
        kept.append(("the model library's index and plugins", user.get("data", "?")))
    print("Kept:\n" + "\n".join(f"  {what}: {where}" for what, where in kept)
          + "\n  your model folders, wherever they are (Genloom never moves or deletes a model)")
    return 0


def machine_summary() -> str:
    return f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"
