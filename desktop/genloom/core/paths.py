"""Where Genloom keeps its own files on this machine.

``GENLOOM_HOME`` puts everything (settings, data, plugins, logs) under one
folder: tests, portable installs and CI use it. Otherwise the platform's
conventional folders are used (via platformdirs).
"""

from __future__ import annotations

import os
from pathlib import Path


def _home() -> Path | None:
    value = os.environ.get("GENLOOM_HOME")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    """Settings (settings.json)."""
    home = _home()
    if home is not None:
        return home / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir("Genloom", appauthor=False))


def window_state_file() -> Path:
    """The app window's geometry and dock layout (Qt's QSettings, INI format): in the
    config folder like every other setting, so ``GENLOOM_HOME`` isolates it too."""
    return config_dir() / "window.ini"


def data_dir() -> Path:
    """The model index and other machine-wide data."""
    home = _home()
    if home is not None:
        return home / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir("Genloom", appauthor=False))


def log_dir() -> Path:
    """Worker logs."""
    home = _home()
    if home is not None:
        return home / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir("Genloom", appauthor=False))


def user_plugins_dir() -> Path:
    """Drop-in plugins: each a module file or a package folder."""
    return data_dir() / "plugins"


#: The name of the project a first start opens, from the app or the command line alike.
DEFAULT_PROJECT_NAME = "My first project"


def default_project_dir() -> Path:
    """The project a first start creates and opens (app and CLI): ``DEFAULT_PROJECT_NAME``
    in :func:`default_projects_dir`."""
    return default_projects_dir() / DEFAULT_PROJECT_NAME


def default_projects_dir() -> Path:
    """Where a first-run project is created (the user's documents folder)."""
    home = _home()
    if home is not None:
        return home / "projects"
    import platformdirs

    return Path(platformdirs.user_documents_dir()) / "Genloom"
