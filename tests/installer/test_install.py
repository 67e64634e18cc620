"""The installer end to end, as a person runs it: into a temporary home, from this checkout,
the CPU build (no GPU here); an update that keeps a project made before it; an uninstall that
leaves projects and models; an offline bundle built for Linux CPU and installed with no network.

Slow (each install is a whole environment, ~2.7 GB, hard-linked from uv's cache): one
install, one update and one bundle install, shared at module scope, in this order.

Where packages come from: uv's cache of the real user (so CI downloads them once, not on
every run), PyPI, and for torch ``$GENLOOM_TEST_FIND_LINKS`` / pip's ``$PIP_FIND_LINKS``
(a folder holding the CPU torch wheel), else PyTorch's CPU index.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"),
                                                   reason="the CI of the installer runs on Linux"),
              # Whole environments (cold caches: 5 min 48 s and 5.5 GB of uv cache here at load
              # 15; the bundle 1,050 MB): .ci/run sets GENLOOM_TEST_INSTALLER=1, a plain
              # `make test` leaves it out.
              pytest.mark.skipif(os.environ.get("GENLOOM_TEST_INSTALLER") != "1",
                                 reason="set GENLOOM_TEST_INSTALLER=1 to run the end-to-end installer test")]
#: Wall time of each installer run, printed at the end (tests/installer/README: measured).
TIMINGS: dict[str, float] = {}


def _real_home() -> Path:
    return Path(pwd.getpwuid(os.getuid()).pw_dir)


def _uv() -> str:
    sys.path.insert(0, str(INSTALLER))
    from genloom_installer.uvtool import find_uv

    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or find_uv()
    return found


def _find_links() -> list[str]:
    value = os.environ.get("GENLOOM_TEST_FIND_LINKS", os.environ.get("PIP_FIND_LINKS", ""))
    return [d for d in value.replace(",", " ").replace(os.pathsep, " ").split() if Path(d).is_dir()]


def _torch_locally(links: list[str]) -> bool:
    return any(Path(d).glob("torch-*+cpu-*.whl") for d in links)


class Machine:
    """A user's home on this machine, and how to run the installer and the installed app in it."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.prefix = home / ".local" / "share" / "genloom-runtime"
        self.links = _find_links()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GENLOOM_", "XDG_", "VIRTUAL_ENV", "PYTHONPATH", "QT_"))}
        env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen",
                   UV_CACHE_DIR=os.environ.get("UV_CACHE_DIR", str(_real_home() / ".cache" / "uv")),
                   PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR", str(_real_home() / ".cache" / "pip")))
        self.env = env

    def installer(self, *args: str, extra_env: dict[str, str] | None = None, timeout: int = 1800,
                  label: str = "") -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "genloom_installer", *args, "--uv", _uv()]
        if args[0] in ("install", "update", "bundle") and "--bundle" not in args:
            for link in self.links:
                argv += ["--find-links", link]
            if _torch_locally(self.links):
                argv += ["--torch-index", "none"]
        env = {**self.env, "PYTHONPATH": str(INSTALLER), **(extra_env or {})}
        started = time.monotonic()
        result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout,
                                cwd=self.home)
        if label:
            TIMINGS[label] = time.monotonic() - started
        return result

    def app(self, name: str, *args: str, prefix: Path | None = None,
            timeout: int = 300) -> subprocess.CompletedProcess:
        exe = (prefix or self.prefix) / "env" / "bin" / name
        return subprocess.run([str(exe), *args], capture_output=True, text=True, env=self.env,
                              timeout=timeout, cwd=self.home)


@pytest.fixture(scope="module")
def machine(tmp_path_factory) -> Machine:
    return Machine(tmp_path_factory.mktemp("user-home"))


@pytest.fixture(scope="module")
def installed(machine: Machine) -> subprocess.CompletedProcess:
    result = machine.installer("install", "--yes", label="install")
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_the_installer_installs_the_cpu_build_with_a_passing_check_and_a_desktop_entry(
        machine, installed):
    out = installed.stdout
    assert "[1/7] Looking at this machine..." in out and "[7/7] Adding Genloom" in out
    assert "PyTorch 2.13.0, cpu build: no supported GPU" in out
    assert "(another build: run the installer again with --torch-backend" in out
    assert "Smoke test: Generation: procedural.pattern: made asset 1 (image)" in out
    manifest = json.loads((machine.prefix / "install.json").read_text())
    assert (manifest["backend"], manifest["kind"], manifest["lock"]) == ("cpu", "cpu",
                                                                          "linux-x86_64-cpu.txt")
    log = (machine.prefix / "logs" / "install.log").read_text()
    assert "uv pip sync" in log and "torch==2.13.0+cpu" in log
    entry = machine.home / ".local" / "share" / "applications" / "genloom.desktop"
    text = entry.read_text()
    app = machine.prefix / "env" / "bin" / "genloom-app"
    assert f'Exec="{app}" %f' in text.splitlines()
    icon = Path(next(line[5:] for line in text.splitlines() if line.startswith("Icon=")))
    assert icon.is_file() and icon.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_installed_entry_points_work(machine, installed):
    from genloom import __version__

    version = machine.app("genloom", "--version")
    assert version.returncode == 0 and version.stdout.strip() == f"genloom {__version__}"
    # The app, offscreen, from its installed entry point: it opens its first project, then
    # SIGTERM closes it cleanly.
    first = machine.home / "Documents" / "Genloom" / "My first project" / "genloom.db"
    app = subprocess.Popen([str(machine.prefix / "env" / "bin" / "genloom-app")], env=machine.env,
                           cwd=machine.home, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        while not first.exists() and app.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert app.poll() is None, app.communicate()[0][-3000:]
        assert first.exists()
        time.sleep(2)  # past the start-up
        app.send_signal(signal.SIGTERM)
        output = app.communicate(timeout=60)[0]
    finally:
        if app.poll() is None:
            app.kill()
    assert app.returncode == 0, output[-3000:]


@pytest.fixture(scope="module")
def updated(machine: Machine, installed, tmp_path_factory):
    """A project with an asset and a model folder in the library, then an update to a newer
    Genloom (this checkout with its version raised)."""
    project = machine.home / "Work" / "poster"
    made = machine.app("genloom", "generate", "procedural.pattern", "--seed", "7", "--project",
                       str(project), "--json")
    assert made.returncode == 0, made.stderr
    models = machine.home / "models"
    models.mkdir()
    (models / "readme.txt").write_text("my model folder")
    added = machine.app("genloom", "models", "add", str(models))
    assert added.returncode == 0, added.stderr
    newer = tmp_path_factory.mktemp("newer") / "genloom"
    for part in ("pyproject.toml", "README.md", "desktop", "plugins", "resources"):
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, newer / part, ignore=shutil.ignore_patterns(
                "__pycache__", "*.egg-info"))
        else:
            newer.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, newer / part)
    init = newer / "desktop" / "genloom" / "__init__.py"
    from genloom import __version__

    init.write_text(init.read_text().replace(f'"{__version__}"', f'"{__version__}.post1"'))
    result = machine.installer("update", "--yes", "--source", str(newer), label="update")
    assert result.returncode == 0, result.stdout + result.stderr
    return project, models, f"{__version__}.post1", result


def test_an_update_in_place_keeps_the_project_made_before_it(machine, updated):
    project, _models, version, result = updated
    assert "Updating Genloom" in result.stdout and "keeping the environment" in result.stdout
    assert machine.app("genloom", "--version").stdout.strip() == f"genloom {version}"
    assets = machine.app("genloom", "assets", "--project", str(project), "--json")
    assert assets.returncode == 0, assets.stderr
    [asset] = json.loads(assets.stdout)["assets"] if isinstance(json.loads(assets.stdout), dict) \
        else json.loads(assets.stdout)
    assert asset["generator"] == "procedural.pattern"
    manifest = json.loads((machine.prefix / "install.json").read_text())
    assert [h["version"] for h in manifest["history"]][-1] == version
    assert len(manifest["history"]) == 2


def test_uninstall_removes_the_app_and_keeps_projects_models_and_settings(machine, updated):
    project, models, _version, _result = updated
    settings = machine.home / ".config" / "Genloom"
    data = machine.home / ".local" / "share" / "Genloom"
    assert (data / "models.sqlite").is_file()
    result = machine.installer("uninstall")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not machine.prefix.exists()
    assert not (machine.home / ".local" / "share" / "applications" / "genloom.desktop").exists()
    assert (project / "genloom.db").is_file() and any((project / "assets").rglob("*.png"))
    assert (models / "readme.txt").read_text() == "my model folder"
    assert settings.is_dir() and (data / "models.sqlite").is_file()
    assert "Kept:" in result.stdout and str(project.parent.parent / "Documents") in result.stdout
    again = machine.installer("uninstall")
    assert again.returncode == 1 and "there is no Genloom installation" in again.stderr


def test_the_offline_bundle_builds_for_linux_cpu_and_installs_without_a_network(
        machine, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "genloom-offline-linux-x86_64-cpu.tar"
    built = machine.installer("bundle", "--platform", "linux-x86_64", "--kind", "cpu",
                              "--output", str(out), label="bundle build")
    assert built.returncode == 0, built.stdout + built.stderr
    size_mb = out.stat().st_size / 1024**2
    with tarfile.open(out) as archive:
        names = archive.getnames()
    assert any(n.endswith(".whl") and "/wheels/torch-2.13.0+cpu" in n for n in names)
    assert any("/wheels/genloom-" in n for n in names) and any("/wheels/uv-" in n for n in names)
    # No network: uv gets --offline --no-index, and any attempt would hit a dead proxy.
    dead = "http://127.0.0.1:9"
    offline = {"UV_OFFLINE": "1", "PIP_NO_INDEX": "1", "HTTP_PROXY": dead, "HTTPS_PROXY": dead,
               "http_proxy": dead, "https_proxy": dead, "ALL_PROXY": dead}
    prefix = machine.home / "offline-runtime"
    result = machine.installer("install", "--bundle", str(out), "--prefix", str(prefix), "--yes",
                               "--no-desktop-entry", extra_env=offline, label="bundle install")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Smoke test: Generation: procedural.pattern: made asset 1 (image)" in result.stdout
    assert json.loads((prefix / "install.json").read_text())["offline"] is True
    log = (prefix / "logs" / "install.log").read_text()
    assert "--offline --no-index --find-links" in log
    assert machine.app("genloom", "--version", prefix=prefix).returncode == 0
    print(f"\nbundle: {size_mb:.0f} MB; timings: "
          + ", ".join(f"{k} {v:.0f} s" for k, v in TIMINGS.items()))
