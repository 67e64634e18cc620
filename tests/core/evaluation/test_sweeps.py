"""Sweeps: axes checked against the spec before anything is queued; real cell jobs in the
worker; a labelled grid asset whose lineage is the cells, with the sweep in its recipe."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from PIL import Image

from genloom.core.evaluation.sweep_grid import GRID_ID, SHEET_ID
from genloom.core.evaluation.sweeps import (
    advance,
    follow,
    parse_axis,
    plan_sweep,
    submit_sweep,
    sweeps_of,
)
from genloom.core.project import Project
from genloom.sdk.errors import InputError, ParameterError


@pytest.fixture
def procedural(genloom_plugins: Any) -> Any:
    return genloom_plugins(modules=["genloom_procedural.plugin"])


def _wait_for_grid(engine: Any, project: Project, sweep_id: int, timeout: float = 240) -> Any:
    sweep = sweeps_of(project).get(sweep_id)
    engine.wait(list(sweep.cell_jobs), timeout=timeout)
    advance(engine)  # follow() usually has already; a second call queues nothing
    sweep = sweeps_of(project).get(sweep_id)
    assert sweep.grid_job_id is not None
    (grid_job,) = engine.wait([sweep.grid_job_id], timeout=timeout)
    assert grid_job.state == "done", grid_job.error
    return project.get_asset(grid_job.asset_ids[0])


def test_axes_parse_lists_and_ranges_typed_by_the_spec(procedural: Any) -> None:
    spec = procedural.generator("procedural.pattern")
    assert parse_axis(spec, "octaves=1,3, 5").values == (1, 3, 5)
    assert parse_axis(spec, "seed=1..4").values == (1, 2, 3, 4)
    assert parse_axis(spec, "width=64..128:32").values == (64, 96, 128)
    assert parse_axis(spec, "scale=2..3:0.5").values == (2.0, 2.5, 3.0)
    assert parse_axis(spec, "octaves=2,4").labels == ("octaves=2", "octaves=4")


@pytest.mark.parametrize(("axis", "message"), [
    ("steps=1,2", "steps: '1,2' is not a parameter of procedural.pattern to sweep; use one of seed"),
    ("octaves=1,99", "octaves: 99 is above the maximum of 10"),
    ("octaves=4..1", "is not an increasing range"),
    ("scale=1..4", "a range of decimals without a step; add one, like 1..4:0.5"),
    ("palette=a..b", "has no range"),
    ("octaves=2,2", "repeats a value"),
    ("octaves", "is not NAME=VALUES"),
    ("seed=1..100", "more than 32"),
])
def test_a_bad_axis_is_refused_before_any_job_is_queued(procedural: Any, genloom_project: Project,
                                                        genloom_engine: Any, axis: str,
                                                        message: str) -> None:
    engine = genloom_engine(procedural)
    with pytest.raises(ParameterError, match=None) as caught:
        submit_sweep(engine, "procedural.pattern", ["seed=1,2", axis] if not axis.startswith("seed")
                     else [axis])
    assert message in str(caught.value)
    assert genloom_project.jobs.list() == [] and sweeps_of(genloom_project).all() == []


def test_a_cell_the_spec_refuses_is_named_and_nothing_is_queued(procedural: Any,
                                                                genloom_project: Project,
                                                                genloom_engine: Any) -> None:
    from genloom.sdk.params import IntParam
    from genloom.sdk.spec import GeneratorSpec

    def check(params: dict[str, Any]) -> None:
        if params["a"] + params["b"] > 10:
            raise ParameterError("b", params["b"], f"with a={params['a']} is over 10", "lower one")

    spec = GeneratorSpec(id="t.sum", modality="text", title="t", factory=lambda: None, check=check,
                         params=(IntParam("a", 1, minimum=0, maximum=10),
                                 IntParam("b", 1, minimum=0, maximum=10)))
    # every value is valid alone; one combination is not, and the message names its cell
    with pytest.raises(ParameterError) as caught:
        plan_sweep(spec, ["a=1,5", "b=2,6"])
    assert str(caught.value) == "b: 6 with a=5 is over 10 (in the cell a=5, b=6); lower one"
    engine = genloom_engine(procedural)
    with pytest.raises(ParameterError, match="more than 3|1 to 3 axes"):
        submit_sweep(engine, "procedural.pattern", ["seed=1,2", "octaves=1,2", "scale=1,2",
                                                    "width=64,128"])
    with pytest.raises(ParameterError, match="both an axis and a fixed parameter"):
        submit_sweep(engine, "procedural.pattern", ["octaves=1,2"], {"octaves": 3})
    assert genloom_project.jobs.list() == []


def test_a_model_the_engine_refuses_rolls_back_every_cell(procedural: Any, genloom_project: Project,
                                                          genloom_engine: Any) -> None:
    engine = genloom_engine(procedural)
    with pytest.raises(InputError):
        submit_sweep(engine, "procedural.pattern", ["octaves=1,2"], {"width": 64, "height": 64},
                     inputs={"image": 999})
    assert genloom_project.jobs.list() == [] and sweeps_of(genloom_project).all() == []


def test_a_two_axis_procedural_sweep_makes_a_labelled_grid_of_its_cells(
        procedural: Any, genloom_project: Project, genloom_engine: Any) -> None:
    engine = genloom_engine(procedural)
    follow(engine)
    sweep = submit_sweep(engine, "procedural.pattern", ["octaves=1,6", "palette=ember,ocean"],
                         {"width": 64, "height": 64}, seed=5)
    assert len(sweep.cell_jobs) == 4
    assert sweep.cell_labels[1] == ("octaves=1", "palette=ocean")
    jobs = [genloom_project.jobs.get(j) for j in sweep.cell_jobs]
    assert {j.seed for j in jobs} == {5}  # no seed axis: the same seed in every cell
    grid = _wait_for_grid(engine, genloom_project, sweep.id)
    assert grid.kind == "image" and grid.generator_id == GRID_ID
    assert grid.title == "procedural.pattern sweep grid: octaves × palette"
    cells = [genloom_project.get_asset(genloom_project.jobs.get(j).asset_ids[0]) for j in sweep.cell_jobs]
    assert {p.id for p in genloom_project.parents(grid.id)} == {c.id for c in cells}
    plan = json.loads(grid.recipe["params"]["plan"])
    assert plan["generator"] == "procedural.pattern" and plan["base"] == {"width": 64, "height": 64}
    assert [a["labels"] for a in plan["axes"]] == [["octaves=1", "octaves=6"],
                                                   ["palette=ember", "palette=ocean"]]
    assert [c["state"] for c in plan["cells"]] == ["done"] * 4
    meta = grid.metadata
    assert (meta["columns"], meta["rows"], meta["blocks"]) == (2, 2, 1)
    # each cell is in the grid: the 64-px cells are enlarged 2x without smoothing
    with Image.open(genloom_project.asset_path(grid)) as image:
        sheet = np.asarray(image.convert("RGB"))
    with Image.open(genloom_project.asset_path(cells[0])) as image:
        first = np.asarray(image.convert("RGB").resize((128, 128), Image.Resampling.NEAREST))
    found = any(np.array_equal(sheet[y:y + 128, x:x + 128], first)
                for y in range(sheet.shape[0] - 127) for x in range(0, 200))
    assert found
    assert advance(engine) == []  # queued once


def test_a_failed_cell_shows_as_failed_and_the_rest_are_drawn(
        fixture_plugins: Any, genloom_project: Project, genloom_engine: Any) -> None:
    engine = genloom_engine(fixture_plugins)
    follow(engine)
    sweep = submit_sweep(engine, "gltest_basic.misbehave", ["how=raise,print"])
    grid = _wait_for_grid(engine, genloom_project, sweep.id)
    # text cells make an HTML sheet naming each cell; the failed one says so, with its error
    assert grid.generator_id == SHEET_ID and grid.suffix == ".html" and grid.kind == "text"
    page = genloom_project.asset_path(grid).read_text(encoding="utf-8")
    assert "how=raise" in page and "how=print" in page
    assert "<b>failed</b>" in page and "the generator broke on purpose" in page
    assert "printed" in page  # the done cell's text
    cells = json.loads(grid.recipe["params"]["plan"])["cells"]
    assert [c["state"] for c in cells] == ["failed", "done"]
    done = genloom_project.jobs.get(sweep.cell_jobs[1])
    assert [p.id for p in genloom_project.parents(grid.id)] == list(done.asset_ids)


def test_prompt_search_replace_and_a_third_axis(procedural: Any) -> None:
    from genloom.sdk.params import StringParam
    from genloom.sdk.spec import GeneratorSpec

    spec = GeneratorSpec(id="t.prompted", modality="text", title="t", factory=lambda: None,
                         params=(StringParam("prompt", "a red cat", role="prompt"),
                                 StringParam("style", "plain")))
    plan = plan_sweep(spec, ["prompt_sr=cat,dog", "style=plain,ornate", "seed=1,2"])
    assert [c.params["prompt"] for c in plan.cells][::4] == ["a red cat", "a red dog"]
    assert plan.cells[-1].labels == ("prompt_sr=dog", "style=ornate", "seed=2")
    assert plan.cells[-1].seed == 2
    with pytest.raises(ParameterError, match="prompt_sr: 'horse' does not occur in prompt 'a red cat'"):
        plan_sweep(spec, ["prompt_sr=horse,dog"])


def test_search_replace_in_any_text_parameter_sweeps_a_lora_weight() -> None:
    from genloom.sdk.params import FloatParam, StringParam
    from genloom.sdk.spec import GeneratorSpec

    spec = GeneratorSpec(id="t.lora", modality="image", title="t", factory=lambda: None,
                         params=(StringParam("prompt", "", role="prompt"),
                                 StringParam("loras", "", multiline=True),
                                 FloatParam("guidance", 5.0, minimum=0.0, maximum=30.0)))
    plan = plan_sweep(spec, ["loras_sr==0.4,=0.8,=1.2"], {"loras": "inks.safetensors=0.4"})
    assert [c.params["loras"] for c in plan.cells] == [
        "inks.safetensors=0.4", "inks.safetensors=0.8", "inks.safetensors=1.2"]
    assert plan.cells[1].labels == ("loras_sr==0.8",)
    with pytest.raises(ParameterError, match="is not a parameter of t.lora to sweep"):
        parse_axis(spec, "guidance_sr=1,2")  # not a text parameter
    with pytest.raises(ParameterError, match="has no range"):
        parse_axis(spec, "loras_sr=1..3")


def test_a_sweep_of_the_bundled_image_model_draws_a_2x2_grid(genloom_plugins: Any,
                                                             genloom_project: Project,
                                                             genloom_engine: Any) -> None:
    engine = genloom_engine(genloom_plugins(modules=["genloom_image.plugin"]))
    follow(engine)
    sweep = submit_sweep(engine, "image.text_to_image", ["steps=2,4", "scheduler=DDIM,Euler"],
                         {"prompt": "red heart", "width": 32, "height": 32}, seed=7)
    grid = _wait_for_grid(engine, genloom_project, sweep.id, timeout=600)
    plan = json.loads(grid.recipe["params"]["plan"])
    assert [c["labels"] for c in plan["cells"]] == [
        ["steps=2", "scheduler=DDIM"], ["steps=2", "scheduler=Euler"],
        ["steps=4", "scheduler=DDIM"], ["steps=4", "scheduler=Euler"]]
    assert len(genloom_project.parents(grid.id)) == 4
    with Image.open(genloom_project.asset_path(grid)) as image:
        assert image.width >= 2 * 128 and image.height >= 2 * 128


def test_a_cell_deleted_before_the_grid_is_drawn_as_missing(
        procedural: Any, genloom_project: Project, genloom_engine: Any) -> None:
    engine = genloom_engine(procedural)  # not followed: the grid waits for advance()
    sweep = submit_sweep(engine, "procedural.pattern", ["octaves=1,2"], {"width": 64, "height": 64})
    first, second = engine.wait(list(sweep.cell_jobs), timeout=240)
    genloom_project.delete_asset(second.asset_ids[0])
    (job,) = advance(engine)
    (grid_job,) = engine.wait([job.id], timeout=240)
    assert grid_job.state == "done", grid_job.error
    grid = genloom_project.get_asset(grid_job.asset_ids[0])
    plan = json.loads(grid.recipe["params"]["plan"])
    assert [c["state"] for c in plan["cells"]] == ["done", "missing"]
    assert [p.id for p in genloom_project.parents(grid.id)] == list(first.asset_ids)
    assert grid.metadata["cell_states"] == ["done", "missing"]


def test_a_model_axis_is_resolved_by_the_library_and_a_missing_model_queues_nothing(
        genloom_plugins: Any, genloom_project: Project, genloom_engine: Any, tmp_path: Any) -> None:
    engine = genloom_engine(genloom_plugins(modules=["genloom_image.plugin"]))
    missing = tmp_path / "no-such-model"
    with pytest.raises((InputError, ParameterError)) as caught:
        submit_sweep(engine, "image.text_to_image", [f"model=image.emoji-ldm-32,{missing}"],
                     {"prompt": "red heart", "width": 32, "height": 32, "steps": 2}, seed=1)
    assert "no-such-model" in str(caught.value)
    assert genloom_project.jobs.list() == [] and sweeps_of(genloom_project).all() == []
    sweep = submit_sweep(engine, "image.text_to_image", ["model=image.emoji-ldm-32", "steps=1,2"],
                         {"prompt": "red heart", "width": 32, "height": 32}, seed=1)
    jobs = [genloom_project.jobs.get(j) for j in sweep.cell_jobs]
    assert all(j.model and j.model.get("hash") for j in jobs)  # resolved, with its content hash
    for job in jobs:
        engine.cancel(job.id)
