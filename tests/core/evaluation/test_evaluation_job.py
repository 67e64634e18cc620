"""An evaluation is a real job in the worker; its results land in the project's tables."""

from __future__ import annotations

from typing import Any

import pytest

from genloom.core.evaluation.job import queue_evaluation
from genloom.core.evaluation.sets import EVAL_GENERATOR, EvalSet
from genloom.core.evaluation.store import evaluations_of
from genloom.core.project import Project
from genloom.sdk.errors import ParameterError
from tests.core.evaluation.conftest import add_images


def test_metric_plugins_register_and_a_misnamed_one_fails(metric_plugins: Any) -> None:
    metrics = metric_plugins.all_metrics()
    assert "glmetric_good.brightness" in metrics and "glmetric_bad.boom" in metrics
    assert "genloom.sharpness" in metrics  # core's own, through the same hook
    record = metric_plugins.plugins["glmetric_misnamed"]
    assert record.status == "failed" and "does not start with the plugin's name" in record.error
    assert metric_plugins.plugins["glmetric_good"].metrics == ["glmetric_good.brightness"]


def test_an_evaluation_runs_in_the_worker_and_a_failing_metric_fails_alone(
        metric_plugins: Any, genloom_project: Project, genloom_engine: Any) -> None:
    ids = add_images(genloom_project, [1, 2, -1, -1], steps=[10, 10, 20, 20])
    engine = genloom_engine(metric_plugins)
    progress: list[int] = []
    engine.events.job_progress.connect(lambda event: progress.append(event.progress.step))
    job = queue_evaluation(engine, EvalSet("tag", "evalset"), group_by="param:steps",
                           metrics=["genloom.sharpness", "genloom.ms_ssim_diversity",
                                    "glmetric_good.brightness", "glmetric_bad.boom"])
    (done,) = engine.wait([job.id], timeout=240)
    assert done.state == "done", done.error
    assert progress and progress[-1] > 0
    report = genloom_project.get_asset(done.asset_ids[0])
    assert report.generator_id == EVAL_GENERATOR and report.suffix == ".json"
    # named for the gallery and search (it showed as "code #5")
    assert report.title == "Evaluation of tag evalset: 4 metrics"
    assert [a.id for a in genloom_project.search("evaluation evalset")] == [report.id]
    assert {p.id for p in genloom_project.parents(report.id)} == set(ids)
    evaluation = evaluations_of(genloom_project).record(done)  # at once, or as the listener did
    assert evaluation is not None and evaluation.group_by == "param:steps"
    assert "glmetric_bad.boom" in evaluation.report["failures"]
    # the flat grey images: no sharpness, identical (no diversity), one brightness
    flat = evaluations_of(genloom_project).asset_values(ids[2])
    assert flat["genloom.sharpness"][0] == 0.0
    assert flat["glmetric_good.brightness"][0] == pytest.approx(128 / 255, abs=0.01)
    assert flat["glmetric_bad.boom"][0] is None and "always fails" in flat["glmetric_bad.boom"][2]
    rows = {(g, m): (value, mean, count) for g, m, _, value, mean, count, _ in
            evaluations_of(genloom_project).set_results(evaluation.id)}
    assert rows[("steps=20", "genloom.ms_ssim_diversity")][0] == pytest.approx(0.0, abs=1e-6)
    assert rows[("steps=10", "genloom.ms_ssim_diversity")][0] > 0.5
    assert rows[("all", "glmetric_good.brightness")][2] == 4
    assert rows[("steps=20", "genloom.sharpness")][1] == 0.0
    # recording again does nothing
    assert evaluations_of(genloom_project).record(done).id == evaluation.id


def test_bad_sets_and_metrics_are_refused_with_the_reason(
        metric_plugins: Any, genloom_project: Project, genloom_engine: Any) -> None:
    from genloom.core.jobs.engine import Engine

    engine = Engine(genloom_project, metric_plugins)
    with pytest.raises(ParameterError, match="has no assets"):
        queue_evaluation(engine, EvalSet("tag", "nothing-here"))
    add_images(genloom_project, [1, 2])
    with pytest.raises(ParameterError, match="did you mean genloom.sharpness"):
        queue_evaluation(engine, EvalSet("tag", "evalset"), metrics=["genloom.sharpnes"])
    with pytest.raises(ParameterError, match="measures none of the set"):
        queue_evaluation(engine, EvalSet("tag", "evalset"), metrics=["genloom.self_bleu"])
    with pytest.raises(ParameterError, match="group by"):
        queue_evaluation(engine, EvalSet("tag", "evalset"), group_by="colour")
    with pytest.raises(ParameterError, match="not a kind of set"):
        EvalSet("folder", "/etc")
    assert genloom_project.jobs.list() == []
