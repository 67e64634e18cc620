"""The desktop entry with the icon: a Linux ``.desktop`` file in the user's XDG folders, a
Windows Start-menu shortcut, a macOS app bundle in ~/Applications."""

from __future__ import annotations

import os
import platform
import plistlib
import shutil
import subprocess
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "icons"
WINDOWS_SCRIPT = Path(__file__).resolve().parent.parent / "windows" / "shortcut.ps1"
APP_ID = "genloom"


def _xdg_data(home: Path) -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")


def desktop_exec_quote(path: Path) -> str:
    """A path as the Desktop Entry spec's Exec key wants it (quoted, with its escapes)."""
    text = str(path)
    for char in ("\\", '"', "`", "$"):
        text = text.replace(char, "\\" + char)
    return f'"{text}"'


def linux_entry_text(app: Path, icon: Path) -> str:
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.5",
        "Name=Genloom",
        "GenericName=Generative studio",
        "Comment=An offline generative studio: text, images, audio, video and code",
        f"Exec={desktop_exec_quote(app)} %f",
        f"Icon={icon}",
        "Terminal=false",
        "Categories=Graphics;AudioVideo;Development;",
        "StartupNotify=true",
        "",
    ])


def linux_paths(home: Path) -> tuple[Path, Path]:
    """The .desktop file and the icon, in the user's XDG data folder."""
    data = _xdg_data(home)
    return (data / "applications" / f"{APP_ID}.desktop",
            data / "icons" / "hicolor" / "256x256" / "apps" / f"{APP_ID}.png")


def install_linux(app: Path, home: Path) -> list[Path]:
    entry, icon = linux_paths(home)
    icon.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ICONS / "genloom.png", icon)
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = entry.with_suffix(".tmp")
    tmp.write_text(linux_entry_text(app, icon), encoding="utf-8")
    tmp.chmod(0o755)
    os.replace(tmp, entry)
    if shutil.which("update-desktop-database"):  # menus pick it up sooner; optional
        subprocess.run(["update-desktop-database", str(entry.parent)], capture_output=True, check=False)
    return [entry, icon]


def macos_bundle(app: Path, home: Path) -> Path:
    return home / "Applications" / "Genloom.app"


def install_macos(app: Path, home: Path, version: str) -> list[Path]:
    """A minimal app bundle whose executable starts the installed ``genloom-app``."""
    bundle = macos_bundle(app, home)
    contents = bundle / "Contents"
    (contents / "MacOS").mkdir(parents=True, exist_ok=True)
    (contents / "Resources").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ICONS / "genloom.icns", contents / "Resources" / "genloom.icns")
    launcher = contents / "MacOS" / "Genloom"
    quoted = str(app).replace("'", "'\\''")
    launcher.write_text(f"#!/bin/sh\nexec '{quoted}' \"$@\"\n", encoding="utf-8")
    launcher.chmod(0o755)
    with (contents / "Info.plist").open("wb") as fh:
        plistlib.dump({"CFBundleName": "Genloom", "CFBundleDisplayName": "Genloom",
                       "CFBundleIdentifier": "org.genloom.Genloom", "CFBundleExecutable": "Genloom",
                       "CFBundleIconFile": "genloom.icns", "CFBundlePackageType": "APPL",
                       "CFBundleShortVersionString": version, "LSMinimumSystemVersion": "14.0",
                       "NSHighResolutionCapable": True}, fh)
    return [bundle]


def windows_shortcut(home: Path) -> Path:
    base = Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming")
    return base / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "Genloom.lnk"


def install_windows(app: Path, home: Path) -> list[Path]:
    link = windows_shortcut(home)
    subprocess.run(["powershell", "-NoProfile", "-ExecutionPolicy", "Bypass", "-File",
                    str(WINDOWS_SCRIPT), "-Shortcut", str(link), "-Target", str(app),
                    "-Icon", str(ICONS / "genloom.ico")], check=True, capture_output=True)
    return [link]


def install_entry(app: Path, home: Path, version: str, system: str | None = None) -> list[Path]:
    """Create (or refresh, on update) the entry for this system; the files written."""
    system = system or platform.system()
    if system == "Windows":
        return install_windows(app, home)
    if system == "Darwin":
        return install_macos(app, home, version)
    return install_linux(app, home)


def remove_entry(home: Path, system: str | None = None) -> list[Path]:
    """Remove what :func:`install_entry` wrote; the files removed."""
    system = system or platform.system()
    if system == "Windows":
        targets = [windows_shortcut(home)]
    elif system == "Darwin":
        targets = [macos_bundle(Path(), home)]
    else:
        targets = list(linux_paths(home))
    removed = []
    for target in targets:
        if target.is_dir():
            shutil.rmtree(target)
            removed.append(target)
        elif target.exists():
            target.unlink()
            removed.append(target)
    return removed
