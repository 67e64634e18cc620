"""ProjectController: the one owner of the open project, its engine and the model library."""

from __future__ import annotations

import pytest

from genloom._qt.project_controller import ProjectController
from genloom.core.project import Project, ProjectNotFoundError
from genloom.core.settings import Settings


@pytest.fixture
def controller(qapp, fixture_plugins, genloom_project):
    projects = ProjectController(Settings(), fixture_plugins, genloom_project)
    yield projects
    projects.close()


def test_a_project_that_cannot_be_opened_leaves_the_current_one_and_its_engine(controller, genloom_project,
                                                                                 tmp_path):
    controller.start_engine()
    engine = controller.engine
    changed = []
    controller.project_changed.connect(changed.append)
    with pytest.raises(ProjectNotFoundError):
        controller.open_project(tmp_path / "nothing-here")
    assert controller.project is genloom_project and controller.engine is engine and changed == []
    assert genloom_project.count_assets() == 0  # still open and usable


def test_switching_stops_the_old_engine_announces_the_project_and_remembers_it(qtbot, controller, tmp_path):
    controller.start_engine()
    old_engine = controller.engine
    engines, projects = [], []
    controller.engine_changed.connect(engines.append)
    controller.project_changed.connect(projects.append)
    second = controller.open_project(tmp_path / "second", create=True)
    assert isinstance(second, Project) and projects == [second]
    assert engines[0] is None and engines[-1] is controller.engine is not old_engine
    assert controller.engine.project is second
    assert controller.settings.recent_projects[0] == str((tmp_path / "second").resolve())
    assert controller.recent_projects()[0] == (str((tmp_path / "second").resolve()), True)
