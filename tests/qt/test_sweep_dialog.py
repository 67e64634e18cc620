"""The Generate panel's Sweep… dialog, in the real window with a real engine and worker."""

from __future__ import annotations

import json

import pytest

from genloom._qt.main_window import MainWindow
from genloom.core.evaluation.sweeps import sweeps_of
from genloom.core.settings import Settings

TIMEOUT = 120_000


@pytest.fixture
def window(qtbot, genloom_plugins, genloom_project):
    win = MainWindow(Settings(), genloom_plugins(modules=["genloom_procedural.plugin"]),
                     genloom_project)
    qtbot.addWidget(win)
    win.show()
    win.start_engine()
    yield win
    win.stop_engine()


def test_a_sweep_from_the_panel_queues_its_cells_and_the_grid_follows(qtbot, window):
    panel = window.generate_panel
    assert panel.picker.select("procedural.pattern")
    panel.form.fields["width"].set(64)
    panel.form.fields["height"].set(64)
    assert panel.sweep_button.isEnabled()
    dialog = panel.open_sweep(exec_dialog=False)
    names = [dialog.names[0].itemText(i) for i in range(dialog.names[0].count())]
    assert "octaves" in names and "seed" in names and "prompt_sr" not in names  # no prompt
    dialog.set_axis(0, "octaves", "1, 6")
    dialog.set_axis(1, "seed", "1..2")
    dialog.run_button.click()
    assert dialog.result() == dialog.DialogCode.Accepted
    (sweep,) = sweeps_of(window.project).all()
    assert len(sweep.cell_jobs) == 4
    qtbot.waitUntil(lambda: sweeps_of(window.project).get(sweep.id).grid_job_id is not None,
                    timeout=TIMEOUT)
    grid_id = sweeps_of(window.project).get(sweep.id).grid_job_id
    qtbot.waitUntil(lambda: window.project.jobs.get(grid_id).state == "done", timeout=TIMEOUT)
    grid = window.project.get_asset(window.project.jobs.get(grid_id).asset_ids[0])
    plan = json.loads(grid.recipe["params"]["plan"])
    assert plan["base"]["width"] == 64 and "octaves" not in plan["base"]
    assert len(window.project.parents(grid.id)) == 4


def test_a_bad_axis_is_shown_in_the_dialog_and_nothing_is_queued(qtbot, window):
    panel = window.generate_panel
    assert panel.picker.select("procedural.pattern")
    dialog = panel.open_sweep(exec_dialog=False)
    dialog.set_axis(0, "octaves", "1, 60")
    dialog.run_button.click()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert "octaves: 60 is above the maximum of 10" in dialog.message.text()
    assert window.project.jobs.list() == []
