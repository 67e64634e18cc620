"""The Evaluate view, a real widget offscreen over a real project and a real worker:
choose a set and metrics, run with progress, read the tables, open the report, cancel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from genloom._qt.evaluate_view import EvaluateView
from genloom.core.project import Project
from tests.core.evaluation.conftest import METRIC_PLUGINS, add_images


@pytest.fixture
def metric_plugins(genloom_plugins: Any) -> Any:
    return genloom_plugins(modules=["genloom_procedural.plugin"], dirs=[METRIC_PLUGINS])


def _view(qtbot: Any, project: Project, plugins: Any, engine: Any, selection: list[int]) -> EvaluateView:
    view = EvaluateView(project, plugins, lambda: engine, selection=lambda: selection)
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    qtbot.waitExposed(view)
    return view


def _only(view: EvaluateView, metric_ids: set[str]) -> None:
    for i in range(view.metrics.count()):
        item = view.metrics.item(i)
        wanted = item.data(Qt.ItemDataRole.UserRole) in metric_ids
        item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)


def test_evaluate_a_tag_grouped_by_a_parameter_and_open_the_report(
        qtbot: Any, metric_plugins: Any, genloom_project: Project, genloom_engine: Any) -> None:
    add_images(genloom_project, [1, 2, -1, -1], steps=[10, 10, 20, 20])
    engine = genloom_engine(metric_plugins)
    view = _view(qtbot, genloom_project, metric_plugins, engine, [])
    assert not view.report_button.isEnabled() and not view.cancel_button.isEnabled()
    view.set_kind.setCurrentIndex(view.set_kind.findData("tag"))
    view.set_value.setText("evalset")
    view.group_by.setCurrentIndex(view.group_by.findData("param"))
    view.group_param.setText("steps")
    # text metrics are checked too: they measure none of the images and are skipped
    _only(view, {"genloom.sharpness", "genloom.ms_ssim_diversity", "glmetric_bad.boom",
                 "genloom.self_bleu"})
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    assert view.job_id is not None and view.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: view.evaluation is not None, timeout=240_000)
    headers = [view.summary.horizontalHeaderItem(c).text() for c in range(view.summary.columnCount())]
    assert headers[0] == "Group" and "Sharpness" in headers and "Self-BLEU" not in headers
    groups = [view.summary.item(r, 0).text() for r in range(view.summary.rowCount())]
    assert sorted(groups) == ["all", "steps=10", "steps=20"]
    assert view.assets.rowCount() == 4
    boom = headers.index("Boom")
    assert all(view.summary.item(r, boom).text() == "failed" for r in range(view.summary.rowCount()))
    assert "Boom" in view.message.text() or "glmetric_bad.boom" in view.message.text()
    said = view.message.text()
    view.show_progress(view.job_id, 4, 4, "Sharpness: all")  # the bridge's last report, late
    assert view.message.text() == said and view.progress.value() == view.progress.maximum()
    opened: list[Any] = []
    view.open_url = opened.append
    qtbot.mouseClick(view.report_button, Qt.MouseButton.LeftButton)
    (url,) = opened
    page = Path(url.toLocalFile())
    assert page.is_file() and "<svg" in page.read_text(encoding="utf-8")


def test_the_gallery_selection_is_a_set_and_bad_choices_are_explained(
        qtbot: Any, metric_plugins: Any, genloom_project: Project, genloom_engine: Any) -> None:
    ids = add_images(genloom_project, [1, 2])
    engine = genloom_engine(metric_plugins)
    selection: list[int] = []
    view = _view(qtbot, genloom_project, metric_plugins, engine, selection)
    view.run()
    assert "select assets in the gallery" in view.message.text() and view.job_id is None
    selection += ids
    _only(view, {"genloom.self_bleu"})
    view.run()
    assert "measure none of the set" in view.message.text() and view.job_id is None
    _only(view, {"genloom.sharpness"})
    view.run()
    qtbot.waitUntil(lambda: view.evaluation is not None, timeout=240_000)
    assert view.assets.rowCount() == 2
    assert sorted(int(view.assets.item(r, 0).text()) for r in range(2)) == ids


def test_cancel_stops_the_evaluation(qtbot: Any, metric_plugins: Any, genloom_project: Project,
                                     genloom_engine: Any) -> None:
    add_images(genloom_project, list(range(40)))
    engine = genloom_engine(metric_plugins)
    view = _view(qtbot, genloom_project, metric_plugins, engine, [])
    view.set_kind.setCurrentIndex(view.set_kind.findData("tag"))
    view.set_value.setText("evalset")
    _only(view, {"genloom.lint_findings", "genloom.sharpness", "genloom.ms_ssim_diversity"})
    view.run()
    view.cancel()
    qtbot.waitUntil(lambda: genloom_project.jobs.get(view.job_id).state not in ("queued", "running"),
                    timeout=120_000)
    assert genloom_project.jobs.get(view.job_id).state == "cancelled"
    qtbot.waitUntil(lambda: view.run_button.isEnabled(), timeout=10_000)
    assert not view.cancel_button.isEnabled()


def test_the_leaderboard_is_a_section_and_follows_new_judgements(
        qtbot: Any, metric_plugins: Any, genloom_project: Project) -> None:
    from genloom.core.evaluation.judgements import judgements_of

    ids = add_images(genloom_project, [1, 2])
    view = _view(qtbot, genloom_project, metric_plugins, None, [])
    titles = [view.sections.tabText(i) for i in range(view.sections.count())]
    assert titles == ["Metrics", "Leaderboard"]
    assert view.leaderboard.table.rowCount() == 0
    judgements_of(genloom_project).record(ids, ids[0])
    qtbot.waitUntil(lambda: view.leaderboard.table.rowCount() > 0, timeout=10_000)
