"""`genloom sweep` and `genloom leaderboard`, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from genloom.core.project import Project


@pytest.fixture
def cli(genloom_home: Path, tmp_path: Path) -> Any:
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home)}
    env.pop("GENLOOM_PROJECT", None)
    env.pop("GENLOOM_PLUGIN_PATH", None)
    project = tmp_path / "proj"

    def run(*args: object, code: int = 0) -> Any:
        argv = [sys.executable, "-m", "genloom", *map(str, args), "--project", str(project)]
        result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
        assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
        return result

    run.project = project  # type: ignore[attr-defined]
    return run


def test_a_sweep_runs_its_cells_and_prints_the_grid(cli: Any) -> None:
    result = cli("sweep", "procedural.pattern", "--axis", "octaves=1,6", "--axis", "seed=1..3",
                 "--param", "width=64", "--param", "height=64", "--wait", "--json")
    (job,) = json.loads(result.stdout)["jobs"]
    assert job["generator"] == "sweep.grid" and job["state"] == "done"
    (asset,) = job["assets"]
    with Image.open(asset["path"]) as grid:
        assert grid.width > 2 * 128 and grid.height > 3 * 128  # 2 columns x 3 rows of 128-px cells
    with Project.open(cli.project) as project:
        assert len(project.parents(asset["id"])) == 6


def test_a_bad_axis_exits_2_and_queues_nothing(cli: Any) -> None:
    result = cli("sweep", "procedural.pattern", "--axis", "octaves=1,42", "--wait", code=2)
    assert "octaves: 42 is above the maximum of 10" in result.stderr
    with Project.open(cli.project) as project:
        assert project.jobs.list() == []


def test_the_leaderboard_ranks_recorded_judgements(cli: Any) -> None:
    cli("sweep", "procedural.pattern", "--axis", "octaves=1,6", "--param", "width=64",
        "--param", "height=64", "--seed", "3", "--wait")
    with Project.open(cli.project) as project:
        cells = sorted((a for a in project.list_assets(kind="image")
                        if a.generator_id == "procedural.pattern"), key=lambda a: a.id)
        grid = next(a for a in project.list_assets(kind="image") if a.generator_id == "sweep.grid")
    for _ in range(3):
        made = json.loads(cli("judge", cells[0].id, cells[1].id, "--prefer", cells[1].id,
                              "--note", "more detail", "--json").stdout)
    assert made["entries"][1]["preferred"] and made["entries"][1]["setting"] == {"octaves": 6}
    assert "a tie" in cli("judge", cells[0].id, cells[1].id, "--tie").stdout
    refused = cli("judge", cells[0].id, cells[0].id, "--prefer", cells[0].id, code=2)
    assert "listed twice" in refused.stderr and "Traceback" not in refused.stderr
    refused = cli("judge", cells[0].id, grid.id, "--prefer", 999, code=2)
    assert "preferred asset 999 is not among the compared assets" in refused.stderr
    rows = json.loads(cli("leaderboard", "--json").stdout)
    assert [r["setting"] for r in rows] == [{"octaves": 6}, {"octaves": 1}]
    assert rows[0]["judgements"] == 4 and rows[0]["score"] > rows[1]["score"]
    assert rows[0]["ties"] == 1 and rows[0]["wins"] == 3
    assert "octaves=6" in cli("leaderboard").stdout.splitlines()[0]


def test_a_queued_sweep_is_drawn_by_jobs_run(cli: Any) -> None:
    result = cli("sweep", "procedural.pattern", "--axis", "octaves=1,2", "--param", "width=64",
                 "--param", "height=64", "--json")
    queued = json.loads(result.stdout)
    assert len(queued["cell_jobs"]) == 2
    cli("jobs", "run", "--quiet")
    with Project.open(cli.project) as project:
        grids = [a for a in project.list_assets(kind="image") if a.generator_id == "sweep.grid"]
        assert len(grids) == 1 and len(project.parents(grids[0].id)) == 2
