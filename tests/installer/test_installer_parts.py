"""The installer's parts that need no environment: desktop entries, the runtime folder's
safety checks, the offline bundle's unpacking, uv from its wheel."""

from __future__ import annotations

import configparser
import io
import json
import plistlib
import tarfile
import zipfile
from pathlib import Path

import pytest

from genloom_installer import desktop, install
from genloom_installer.backend import InstallerError
from genloom_installer.bundle import BUNDLE_INFO, unpack
from genloom_installer.places import MANIFEST, MARK, Layout, default_root
from genloom_installer.uvtool import uv_from_wheel


def test_the_linux_entry_is_a_valid_desktop_file_with_the_icon(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    app = tmp_path / "my apps" / "env" / "bin" / "genloom-app"
    written = desktop.install_entry(app, tmp_path, "1.0", system="Linux")
    entry, icon = written
    assert entry == tmp_path / ".local/share/applications/genloom.desktop"
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(entry.read_text())
    section = parser["Desktop Entry"]
    assert section["Type"] == "Application" and section["Name"] == "Genloom"
    assert section["Exec"] == f'"{app}" %f'  # quoted: the path has a space
    assert Path(section["Icon"]) == icon and icon.read_bytes()[:4] == b"\x89PNG"
    assert desktop.remove_entry(tmp_path, system="Linux") == [entry, icon]
    assert not entry.exists() and not icon.exists()


def test_exec_quoting_escapes_what_the_desktop_entry_spec_reserves():
    assert desktop.desktop_exec_quote(Path('/a/$b/"c"/d`e')) == '"/a/\\$b/\\"c\\"/d\\`e"'


def test_the_macos_bundle_skeleton_starts_the_installed_app(tmp_path):
    app = tmp_path / "Genloom Runtime" / "env" / "bin" / "genloom-app"
    [bundle] = desktop.install_entry(app, tmp_path, "1.2", system="Darwin")
    assert bundle == tmp_path / "Applications" / "Genloom.app"
    info = plistlib.loads((bundle / "Contents" / "Info.plist").read_bytes())
    assert info["CFBundleExecutable"] == "Genloom" and info["CFBundleShortVersionString"] == "1.2"
    assert (bundle / "Contents" / "Resources" / info["CFBundleIconFile"]).read_bytes()[:4] == b"icns"
    launcher = bundle / "Contents" / "MacOS" / "Genloom"
    assert launcher.stat().st_mode & 0o111
    assert f"exec '{app}' \"$@\"" in launcher.read_text()


def test_default_runtime_folders_are_not_genlooms_data_folders(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    assert default_root("Linux", tmp_path) == tmp_path / ".local/share/genloom-runtime"
    assert default_root("Darwin", tmp_path).name == "Genloom Runtime"
    assert default_root("Windows", tmp_path) == tmp_path / "Local" / "Genloom Runtime"


def test_uninstall_refuses_a_folder_the_installer_did_not_make(tmp_path):
    precious = tmp_path / "not-ours"
    precious.mkdir()
    (precious / "thesis.txt").write_text("keep")
    opts = install.Options(root=precious, home=tmp_path)
    with pytest.raises(InstallerError, match="no Genloom installation"):
        install.uninstall(opts)
    (precious / MANIFEST).write_text(json.dumps({"installer": "someone else"}))
    with pytest.raises(InstallerError, match="no Genloom installation"):
        install.uninstall(opts)
    assert (precious / "thesis.txt").read_text() == "keep"


def test_install_refuses_a_non_empty_folder_that_is_not_an_installation(tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(InstallerError, match="is not a Genloom installation; choose an empty"):
        install.install(install.Options(root=busy, home=tmp_path))
    (busy / MANIFEST).write_text("{not json")
    with pytest.raises(InstallerError, match="not a Genloom installer manifest"):
        install.install(install.Options(root=busy, home=tmp_path))
    assert not (busy / "logs").exists()


def test_a_manifest_is_read_only_when_the_installer_wrote_it(tmp_path):
    layout = Layout(tmp_path)
    (tmp_path / MANIFEST).write_text(json.dumps({"installer": MARK, "version": "1"}))
    assert install.read_manifest(layout) == {"installer": MARK, "version": "1"}


def _tar(path: Path, members: dict[str, bytes], link: str | None = None) -> Path:
    with tarfile.open(path, "w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo("b/evil")
            info.type = tarfile.SYMTYPE
            info.linkname = link
            archive.addfile(info)
    return path


def test_a_bundle_unpacks_only_plain_files_inside_it(tmp_path):
    good = _tar(tmp_path / "good.tar", {f"b/{BUNDLE_INFO}": b'{"platform": "linux-x86_64"}',
                                        "b/wheels/x.whl": b"zip"})
    into = tmp_path / "out"
    into.mkdir()
    stage, info = unpack(good, into)
    assert stage == into / "b" and info["platform"] == "linux-x86_64"
    for bad in (_tar(tmp_path / "up.tar", {"../escape.txt": b"x"}),
                _tar(tmp_path / "link.tar", {f"b/{BUNDLE_INFO}": b"{}"}, link="/etc/passwd")):
        target = tmp_path / bad.stem
        target.mkdir()
        with pytest.raises(InstallerError, match="is not a plain file inside the bundle"):
            unpack(bad, target)
    assert not (tmp_path / "escape.txt").exists()
    stray = _tar(tmp_path / "stray.tar", {"b/readme": b"hi"})
    (tmp_path / "s").mkdir()
    with pytest.raises(InstallerError, match="not a Genloom bundle"):
        unpack(stray, tmp_path / "s")


def test_uv_comes_out_of_its_wheel(tmp_path):
    wheel = tmp_path / "uv-0.9.0-py3-none-manylinux_2_17_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("uv-0.9.0.data/scripts/uv", b"#!/bin/sh\necho uv\n")
        archive.writestr("uv/__init__.py", b"")
    program = uv_from_wheel(wheel, tmp_path / "tools")
    assert program.read_bytes() == b"#!/bin/sh\necho uv\n" and program.stat().st_mode & 0o111


def test_the_locks_cover_every_dependency_of_pyproject():
    """A dependency added to pyproject.toml without regenerating the locks fails here (the
    installer would install an environment without it)."""
    import re

    import tomllib
    from packaging.requirements import Requirement

    root = Path(__file__).resolve().parents[2]
    deps = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    environments = {
        "linux-x86_64-cpu.txt": {"sys_platform": "linux", "platform_machine": "x86_64"},
        "linux-x86_64-cuda.txt": {"sys_platform": "linux", "platform_machine": "x86_64"},
        "windows-x86_64-cpu.txt": {"sys_platform": "win32", "platform_machine": "AMD64"},
        "macos-arm64-mps.txt": {"sys_platform": "darwin", "platform_machine": "arm64"},
    }
    for lock, env in environments.items():
        text = (root / "installer" / "locks" / lock).read_text()
        pinned = {re.sub(r"[-_.]+", "-", line.split("==")[0]).lower()
                  for line in text.splitlines() if "==" in line and not line.startswith((" ", "#"))}
        for dep in deps:
            req = Requirement(dep)
            if req.marker and not req.marker.evaluate({**env, "python_version": "3.11"}):
                continue
            assert re.sub(r"[-_.]+", "-", req.name).lower() in pinned, f"{req.name} not in {lock}"
