"""pytest fixtures for Genloom plugins (loaded automatically through ``pytest11``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def genloom_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private GENLOOM_HOME: settings, logs and user plugins live here for the test."""
    home = tmp_path / "genloom-home"
    home.mkdir()
    monkeypatch.setenv("GENLOOM_HOME", str(home))
    # The model library must not read the user's real Hugging Face cache in tests.
    monkeypatch.setenv("HF_HOME", str(home / "hf-home"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("GENLOOM_PLUGIN_PATH", raising=False)
    monkeypatch.delenv("GENLOOM_DISABLE_PLUGINS", raising=False)
    monkeypatch.delenv("GENLOOM_PROJECT", raising=False)
    return home


@pytest.fixture
def genloom_plugins(genloom_home: Path) -> Callable[..., Any]:
    """Factory: ``genloom_plugins(modules=[...], dirs=[...])`` -> a loaded, isolated PluginManager."""
    from genloom.testing.conformance import isolated_plugins

    return isolated_plugins


@pytest.fixture
def genloom_project(tmp_path: Path, genloom_home: Path) -> Iterator[Any]:
    """A new, empty project in a temp folder."""
    from genloom.core.project import Project

    project = Project.create(tmp_path / "project", name="test project")
    yield project
    project.close()


@pytest.fixture
def genloom_engine(genloom_project: Any) -> Iterator[Callable[..., Any]]:
    """Factory: ``genloom_engine(plugin_manager, **settings)`` -> a started Engine on
    ``genloom_project`` with a real worker process; stopped after the test."""
    from genloom.core.jobs.engine import Engine
    from genloom.core.settings import Settings

    engines: list[Any] = []

    def make(plugins: Any, project: Any = None, **settings: Any) -> Any:
        engine = Engine(project or genloom_project, plugins, Settings(**settings))
        engines.append(engine.start())
        return engine

    yield make
    for engine in engines:
        engine.stop()
