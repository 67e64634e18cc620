"""The evaluation tables: made by a forward-only migration, and kept consistent with the
assets (deleting an asset deletes its values; deleting the report keeps the numbers)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from genloom.core.evaluation.job import queue_evaluation
from genloom.core.evaluation.sets import EvalSet, resolve_set
from genloom.core.evaluation.store import evaluations_of
from genloom.core.project import SCHEMA_VERSION, Project
from genloom.core.project.migrations import MIGRATIONS, migrate, user_version
from tests.core.evaluation.conftest import add_images


def test_a_project_from_before_evaluation_migrates_and_keeps_its_assets(tmp_path: Path) -> None:
    root = tmp_path / "old"
    (root / "assets").mkdir(parents=True)
    conn = sqlite3.connect(root / "genloom.db", isolation_level=None)
    # The schema just before the evaluation migration (later migrations may follow it).
    before = [step.__name__ for step in MIGRATIONS].index("_evaluation")
    migrate(conn, root, target=before)
    conn.execute("INSERT INTO meta (key, value) VALUES ('name', 'old'), ('created', '1.0')")
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "evaluations" not in tables
    conn.close()
    with Project.open(root) as project:
        assert user_version(project.db.connection()) == SCHEMA_VERSION
        tables = {row[0] for row in project.db.connection().execute("SELECT name FROM sqlite_master")}
        assert {"evaluations", "metric_values", "set_results"} <= tables
        assert evaluations_of(project).all() == []


def test_deleting_an_asset_deletes_its_values_and_the_report_keeps_the_numbers(
        metric_plugins: Any, genloom_project: Project, genloom_engine: Any) -> None:
    ids = add_images(genloom_project, [1, 2, 3])
    engine = genloom_engine(metric_plugins)
    job = queue_evaluation(engine, EvalSet("ids", ids), metrics=["genloom.sharpness"])
    (done,) = engine.wait([job.id], timeout=240)
    store = evaluations_of(genloom_project)
    evaluation = store.record(done)
    assert evaluation is not None and evaluation.set_key == EvalSet("ids", ids).key
    assert store.all(set_key=evaluation.set_key)[0].id == evaluation.id
    genloom_project.delete_asset(ids[0])
    assert store.asset_values(ids[0]) == {}
    assert "genloom.sharpness" in store.asset_values(ids[1])
    genloom_project.delete_asset(done.asset_ids[0])  # the report asset
    kept = store.get(evaluation.id)
    assert kept.report_asset_id is None
    assert [r[1] for r in store.set_results(evaluation.id)] == ["genloom.sharpness"]


def test_sets_never_include_evaluation_reports(metric_plugins: Any, genloom_project: Project,
                                               genloom_engine: Any) -> None:
    ids = add_images(genloom_project, [1, 2])
    engine = genloom_engine(metric_plugins)
    job = queue_evaluation(engine, EvalSet("ids", ids), metrics=["genloom.sharpness"])
    (done,) = engine.wait([job.id], timeout=240)
    genloom_project.add_tags(done.asset_ids[0], ["evalset"])
    assert [a.id for a in resolve_set(genloom_project, EvalSet("tag", "evalset"))] == ids
    assert [a.id for a in resolve_set(genloom_project, EvalSet("batch", ids[0]))] == ids
