"""The sample evaluation report and a screenshot of the Evaluate view, from real assets.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tests/screenshots_evaluate.py

It makes a small set with the bundled image model (prompt "red heart": three
schedulers x two step counts x three seeds) through the real engine and worker, runs
the evaluation grouped by scheduler and steps, writes the report to
``docs/evaluation/sample-report.html`` and ``.json``, then opens the app on the Evaluate
tab with the same choices and that evaluation shown, and saves
``docs/images/evaluate-view.png``. ``GENLOOM_HOME`` set to an earlier run's home reuses
its images (the evaluation runs again).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

SCHEDULERS = ("Euler", "DDIM", "DPM++ 2M")
STEPS = (8, 25)
SEEDS = 3
PROMPT = "red heart"


def main(root: str) -> int:
    repo = Path(root).resolve()
    home = Path(os.environ.get("GENLOOM_HOME") or tempfile.mkdtemp(prefix="genloom-eval-shots-"))
    os.environ["GENLOOM_HOME"] = str(home)
    from genloom.core.evaluation.job import queue_evaluation
    from genloom.core.evaluation.report import write_report
    from genloom.core.evaluation.sets import EvalSet
    from genloom.core.evaluation.store import evaluations_of
    from genloom.core.jobs.engine import Engine
    from genloom.core.plugins import PluginConfig, PluginManager
    from genloom.core.project import Project
    from genloom.core.settings import Settings

    plugins = PluginManager(PluginConfig.from_settings(Settings())).load()
    project_path = home / "projects" / "Schedulers"
    reuse = project_path.is_dir()
    project = Project.open(project_path) if reuse else Project.create(project_path, name="Schedulers")
    engine = Engine(project, plugins, Settings()).start()
    if not reuse:
        jobs = []
        for scheduler in SCHEDULERS:
            for steps in STEPS:
                jobs += engine.submit("image.text_to_image", {"prompt": PROMPT, "scheduler": scheduler,
                                                              "steps": steps}, seed=11, count=SEEDS)
        done = engine.wait([j.id for j in jobs], timeout=3600)
        for job in done:
            for asset_id in job.asset_ids:
                project.add_tags(asset_id, ["scheduler-sweep"])
    selection = EvalSet("tag", "scheduler-sweep")
    job = queue_evaluation(engine, selection, group_by="param:scheduler,steps",
                           metrics=["genloom.sharpness", "genloom.vae_diversity",
                                    "genloom.ms_ssim_diversity"])
    (finished,) = engine.wait([job.id], timeout=1800)
    engine.stop()
    evaluation = evaluations_of(project).record(finished)
    assert evaluation is not None, finished.error
    html_path, json_path = write_report(project, evaluation, repo / "docs" / "evaluation",
                                        stem="sample-report")
    print(f"saved {html_path} and {json_path}")
    project.close()
    settings = Settings()
    settings.remember_project(project_path)
    settings.save()

    from PySide6.QtWidgets import QApplication

    from genloom._qt.startup import build_window

    app, window = build_window(["genloom-app"])
    window.show()

    def settle(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.02)

    settle(2.0)
    window.show_evaluate()
    view = window.evaluate
    view.set_kind.setCurrentIndex(view.set_kind.findData("tag"))
    view.set_value.setText("scheduler-sweep")
    view.group_by.setCurrentIndex(view.group_by.findData("param"))
    view.group_param.setText("scheduler,steps")
    wanted = {"genloom.sharpness", "genloom.vae_diversity", "genloom.ms_ssim_diversity"}
    from PySide6.QtCore import Qt

    for i in range(view.metrics.count()):
        item = view.metrics.item(i)
        item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in wanted
                           else Qt.CheckState.Unchecked)
    view.show_evaluation(evaluations_of(view.project).get(evaluation.id))
    view.message.setText("Done.")
    settle(1.0)
    out = repo / "docs" / "images" / "evaluate-view.png"
    pixmap = QApplication.primaryScreen().grabWindow(window.winId())
    if pixmap.isNull() or pixmap.width() < 10:
        pixmap = window.grab()
    pixmap.save(str(out))
    print(f"saved {out}")
    window.close()
    settle(0.5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
