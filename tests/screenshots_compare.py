"""Screenshots of a sweep's grid and of the compare view, from a real sweep.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tests/screenshots_compare.py docs/images

It runs a sweep of ``procedural.pattern`` (octaves 1, 3, 7 across, seeds 4 and 5 down)
through the real engine and worker and saves its grid as ``sweep-grid.png``; then opens
the compare view on the three seed-4 cells at 1600x1000, zooms the middle one (the
others follow), prefers the third and saves ``compare-view.png``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path


def main(out: Path) -> None:
    home = Path(tempfile.mkdtemp(prefix="genloom-shots-"))
    os.environ["GENLOOM_HOME"] = str(home)
    from PySide6.QtWidgets import QApplication

    from genloom._qt.resources import load_first_frame_fonts, load_remaining_fonts
    from genloom._qt.theme import apply_theme
    from genloom.core.evaluation.sweeps import follow, submit_sweep, sweeps_of
    from genloom.core.jobs.engine import Engine
    from genloom.core.plugins import PluginConfig, PluginManager
    from genloom.core.project import Project

    project = Project.create(home / "sweep")
    engine = Engine(project, PluginManager(PluginConfig(entry_points=False,
                                                        modules=["genloom_procedural.plugin"])))
    engine.start()
    follow(engine)
    sweep = submit_sweep(engine, "procedural.pattern", ["octaves=1,3,7", "seed=4,5"],
                         {"width": 384, "height": 384, "palette": "ember"})
    cells = engine.wait(list(sweep.cell_jobs), timeout=600)
    while sweeps_of(project).get(sweep.id).grid_job_id is None:
        engine.wait([], timeout=0.1)
    (grid,) = engine.wait([sweeps_of(project).get(sweep.id).grid_job_id], timeout=600)
    engine.stop()
    shutil.copyfile(project.asset_path(grid.asset_ids[0]), out / "sweep-grid.png")

    app = QApplication(sys.argv)
    load_first_frame_fonts()
    load_remaining_fonts()
    apply_theme(app, "dark")
    from genloom._qt.compare_view import CompareDialog

    seed_four = [job.asset_ids[0] for job in cells[0::2]]  # the seed axis varies fastest
    dialog = CompareDialog(project, seed_four, volume=0.0)
    dialog.resize(1600, 1000)
    dialog.show()
    for _ in range(20):
        app.processEvents()
    middle = dialog.view.viewers()[1]
    middle.zoom_by(1.8)
    middle.horizontalScrollBar().setValue(int(middle.horizontalScrollBar().maximum() * 0.4))
    middle.verticalScrollBar().setValue(int(middle.verticalScrollBar().maximum() * 0.3))
    dialog.view.note.setText("more detail, same layout")
    dialog.view.panes[2].prefer_button.click()
    for _ in range(20):
        app.processEvents()
    dialog.grab().save(str(out / "compare-view.png"))
    dialog.close()
    project.close()
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images"))
