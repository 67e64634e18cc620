"""The set-up's system-library probe, run the way `make run` / `make test` run it.

A library name that does not exist stands in for a missing one (removing a real
library from a shared machine is not an option): the probe must name it, and
either install its package with apt-get (as root) or stop before anything is
built with the exact command to run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from genloom.core import system_libs

ROOT = Path(__file__).resolve().parents[2]
ABSENT = "libgenloom-absent.so.7"
ABSENT_PACKAGE = "genloom-absent"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def checkout() -> Iterator[Path]:
    """The files the set-up needs, in a folder any user can read (the tests may run as root
    and drop to 'nobody'); nothing else, so a set-up that went on would fail loudly."""
    folder = Path(tempfile.mkdtemp(prefix="genloom-setup-"))
    try:
        for rel in ("installer/setup.sh", "desktop/genloom/core/system_libs.py", "pyproject.toml"):
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, folder / rel)
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _system_python() -> str:
    # The tests' interpreter may live where 'nobody' cannot read (a pyenv under /root).
    return "/usr/bin/python3" if IS_ROOT and Path("/usr/bin/python3").exists() else sys.executable


def _setup(checkout: Path, *, as_user: bool, path_prefix: Path | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": (f"{path_prefix}:" if path_prefix else "") + os.environ.get("PATH", "/usr/bin:/bin"),
           "GENLOOM_PYTHON": _system_python(), system_libs.EXTRA_ENV: f"{ABSENT}={ABSENT_PACKAGE}",
           "HOME": str(checkout)}
    argv = ["bash", str(checkout / "installer" / "setup.sh")]
    if as_user and IS_ROOT:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot run the set-up as an ordinary user")
        argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *argv]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, cwd=checkout)


def test_without_root_the_setup_stops_before_building_anything_with_the_exact_command(checkout):
    result = _setup(checkout, as_user=True)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert f"  {ABSENT}  (a test)" in result.stderr
    assert result.stderr.rstrip().endswith(
        f"install them, then run make again:\n  sudo apt-get update && sudo apt-get install -y "
        f"--no-install-recommends {ABSENT_PACKAGE}")
    assert not (checkout / ".venv").exists()


@pytest.mark.skipif(not IS_ROOT, reason="the install path is taken only as root")
def test_as_root_the_setup_installs_the_missing_package_with_apt_get(checkout, tmp_path):
    # apt-get itself is the one outside program replaced: a script that records its
    # arguments (this shared machine's packages are not to be changed by a test).
    fake = tmp_path / "bin"
    fake.mkdir()
    log = tmp_path / "apt.log"
    (fake / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    (fake / "apt-get").chmod(0o755)
    result = _setup(checkout, as_user=False, path_prefix=fake)
    calls = log.read_text().splitlines()
    assert calls == ["-o DPkg::Lock::Timeout=600 update -qq",
                     f"-o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends {ABSENT_PACKAGE}"]
    assert f"installing {ABSENT_PACKAGE} with apt-get" in result.stderr
    # The fake installed nothing, so the probe, run again, still misses it and stops.
    assert f"still missing after apt-get: {ABSENT}" in result.stderr
    assert result.returncode == 1
    assert not (checkout / ".venv").exists()


def test_every_library_qt_needs_on_this_machine_is_in_the_list_and_loads():
    """The list is what ldd finds for the installed PySide6, not a guess."""
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    assert spec is not None and spec.origin
    qt_dir = Path(spec.origin).parent
    assert system_libs.missing_in_qt(qt_dir) == []
    assert system_libs.missing_libraries(system_libs.SYSTEM_LIBRARIES) == []


def test_ldd_reports_a_library_a_qt_file_cannot_find(tmp_path):
    if shutil.which("ldd") is None or shutil.which("cc") is None:
        pytest.skip("needs ldd and a C compiler to build a file with a missing dependency")
    (tmp_path / "dep.c").write_text("int dep(void) { return 1; }\n")
    (tmp_path / "user.c").write_text("int dep(void); int use(void) { return dep(); }\n")
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(tmp_path / "libgenloom-gone.so.3"),
                    "-Wl,-soname,libgenloom-gone.so.3", str(tmp_path / "dep.c")], check=True)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(tmp_path / "QtFake.abi3.so"), str(tmp_path / "user.c"),
                    str(tmp_path / "libgenloom-gone.so.3")], check=True)
    (tmp_path / "libgenloom-gone.so.3").unlink()
    assert system_libs.missing_in_qt(tmp_path, ["QtFake.abi3.so"]) == ["libgenloom-gone.so.3"]


def test_the_app_turns_a_loader_error_into_what_to_install():
    hint = system_libs.install_hint("libpulse.so.0: cannot open shared object file: No such file or directory")
    assert hint == ("the system library libpulse.so.0 is missing; install it with: "
                    "sudo apt-get install libpulse0")


def test_ci_installs_only_tools_and_leaves_the_qt_libraries_to_the_setup():
    """One list: .ci/run names no Qt library package; `make test` (the set-up) installs them."""
    text = (ROOT / ".ci" / "run").read_text()
    named = {pkg for pkg in system_libs.SYSTEM_LIBRARIES if pkg.package in text.split()}
    assert named == set()
    assert text.rstrip().endswith("make test")
    makefile = (ROOT / "Makefile").read_text()
    assert "run: setup" in makefile and "test: setup" in makefile
    assert "installer/setup.sh" in makefile
