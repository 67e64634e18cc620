"""Fixtures: a real project folder with a real SQLite database under tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from genloom.core.project import Project


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    return tmp_path / "project"


@pytest.fixture
def project(project_dir: Path) -> Iterator[Project]:
    opened = Project.create(project_dir, name="Test project")
    yield opened
    opened.close()


@pytest.fixture
def recorded(project: Project) -> dict[str, list]:
    """Every event the project emits, by signal name."""
    seen: dict[str, list] = {"asset_added": [], "asset_changed": [], "asset_deleted": [],
                             "job_changed": []}
    for name, calls in seen.items():
        getattr(project.events, name).connect(calls.append)
    return seen
