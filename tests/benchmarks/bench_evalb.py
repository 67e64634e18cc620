"""Evaluation (judgements, leaderboard, sweeps) against baselines measured in the same run.

- The leaderboard's Bradley-Terry fit over 2,000 stored judgements of 20 settings, against
  reading those judgements from the project database (what any view of them costs).
- Drawing a 4x4 sweep grid of 512-pixel images (``SweepGrid.run``, in process: the job
  adds a process hop) against the floor of the same work: Pillow opening the 16 PNGs and
  saving one PNG of the same size.
- A real 2x2 sweep of ``procedural.pattern`` (512x512) through the engine and worker: the
  grid job's run time against the cells' run time (the sweep's own overhead).
"""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

from tests.benchmarks._report import best_of, report


def _judged_project(folder: Path):  # noqa: ANN202 - a Project
    from genloom.core.evaluation.judgements import judgements_of
    from genloom.core.project import Project

    project = Project.create(folder / "judged")
    rng = random.Random(0)
    assets = [project.add_asset(f"a{n}".encode(), kind="image", suffix=".png",
                                generator_id="image.text_to_image", model_id="m",
                                recipe={"params": {"steps": n % 20 + 1}})
              for n in range(200)]
    store = judgements_of(project)
    for _ in range(2000):
        pair = rng.sample(assets, 2)
        if pair[0].recipe["params"]["steps"] == pair[1].recipe["params"]["steps"]:
            continue
        store.record([a.id for a in pair], preferred=max(pair, key=lambda a: a.recipe["params"]["steps"]
                                                        + rng.gauss(0, 5)).id)
    return project


def _leaderboard(folder: Path) -> None:
    from genloom.core.evaluation.judgements import judgements_of
    from genloom.core.evaluation.leaderboard import leaderboard

    project = _judged_project(folder)
    store = judgements_of(project)
    judgements = store.all()
    fit = best_of(lambda: leaderboard(judgements, "setting"))
    read = best_of(store.all)
    report(f"leaderboard fit, {len(judgements)} judgements", fit, "reading them from SQLite", read,
           f"{len(leaderboard(judgements, 'setting'))} entries")
    project.close()


def _grid(folder: Path) -> None:
    import numpy as np
    from PIL import Image

    from genloom.core.evaluation.sweep_grid import SweepGrid
    from genloom.sdk.run import InputAsset, Request, RunState

    rng = np.random.default_rng(0)
    inputs, cells = {}, []
    for n in range(16):
        path = folder / f"cell{n}.png"
        Image.fromarray(rng.integers(0, 255, (512, 512, 3), np.uint8)).save(path)
        inputs[f"image.{n}"] = InputAsset(n, "image", path)
        cells.append({"position": n, "labels": [], "state": "done", "input": f"image.{n}"})
    plan = {"generator": "bench", "axes": [{"name": "a", "labels": [f"a={i}" for i in range(4)]},
                                           {"name": "b", "labels": [f"b={i}" for i in range(4)]}],
            "cells": cells}
    out = folder / "out"
    out.mkdir()
    request = Request(generator_id="sweep.grid", params={"plan": json.dumps(plan)}, seed=0,
                      inputs=inputs, output_dir=out)

    def floor() -> None:
        images = [Image.open(item.path).convert("RGB") for item in inputs.values()]
        sheet = Image.new("RGB", (4 * 516 + 200, 4 * 516 + 80))
        for n, image in enumerate(images):
            sheet.paste(image, (n // 4 * 516, n % 4 * 516))
        sheet.save(out / "floor.png")

    drawn = best_of(lambda: SweepGrid().run(request, RunState()), repeat=3)
    report("sweep grid, 4x4 of 512 px", drawn, "open 16 PNGs + save one sheet", best_of(floor, 3))


def _sweep(folder: Path) -> None:
    from genloom.core.evaluation.sweeps import follow, submit_sweep, sweeps_of
    from genloom.core.jobs.engine import Engine
    from genloom.core.plugins import PluginConfig, PluginManager
    from genloom.core.project import Project

    project = Project.create(folder / "sweep")
    plugins = PluginManager(PluginConfig(entry_points=False, modules=["genloom_procedural.plugin"]))
    engine = Engine(project, plugins).start()
    follow(engine)
    try:
        sweep = submit_sweep(engine, "procedural.pattern", ["octaves=2,6", "seed=1,2"],
                             {"width": 512, "height": 512})
        cells = engine.wait(list(sweep.cell_jobs), timeout=600)
        grid_id = None
        while grid_id is None:
            grid_id = sweeps_of(project).get(sweep.id).grid_job_id
        (grid,) = engine.wait([grid_id], timeout=600)
    finally:
        engine.stop()
    cell_time = sum((j.finished or 0) - (j.started or 0) for j in cells)
    report("sweep grid job (2x2, 512 px)", (grid.finished or 0) - (grid.started or 0),
           "its 4 cell jobs together", cell_time, "job start to end, worker warm")
    project.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _leaderboard(folder)
        _grid(folder)
        _sweep(folder)


if __name__ == "__main__":
    main()
