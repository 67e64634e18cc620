"""Gallery speed with 100,000 assets: first paint and scrolling, offscreen.

Each figure is printed beside a baseline measured in the same run: a plain
``QListView`` over a ``QStringListModel`` of 100,000 strings (uniform item
sizes), the least Qt itself does to show that many rows.

The project: 300 distinct 64x64 PNGs stored with ``Project.add_asset`` (file,
fsync, row), then filled to 100,000 rows with the store's own row writer
(``insert_asset_row``, what ``add_asset`` uses), reusing those 300 files, so
the thumbnails are real decodes of real files. The fill is not a figure.

What is measured (window 1000x700, 160 px thumbnails, one thread pool of up
to 4 threads; on a shared machine):

- *first paint, cold*: ``GalleryWidget(project)`` (model: count + first page
  of 200) → shown → events processed until every visible cell has its
  thumbnail (decoded and written to ``cache/thumbs``);
- *first paint, warm*: the same with a new widget (new memory cache), so the
  thumbnails come from the disk cache as after a restart;
- baseline: model + view creation → shown → first paint of the plain view;
- *scroll*: 60 steps of one viewport height down (the model fetches pages of
  200 as the end is reached); one frame = scroll bar move + processing the
  events it causes (layout, fetch, paint). Thumbnails arrive between frames.
  Mean and worst frame, against the same steps on the baseline view; the mean also in
  the GUI thread's CPU time (steadier than wall time on a loaded machine).
"""

from __future__ import annotations

import io
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

try:
    from tests.benchmarks._report import report
except ModuleNotFoundError:  # run as a script
    from _report import report  # type: ignore[no-redef]

TOTAL = 100_000
DISTINCT = 300
STEPS = 60
WINDOW = (1000, 700)


def _png(rng: random.Random) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (64, 64), tuple(rng.randrange(256) for _ in range(3)))
    image.paste(tuple(rng.randrange(256) for _ in range(3)), (16, 16, 48, 48))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _build(path: Path) -> object:
    from genloom.core.project import Project
    from genloom.core.project.asset_rows import AssetRow, insert_asset_row

    rng = random.Random(11)
    project = Project.create(path)
    stored = [project.add_asset(_png(rng), kind="image", suffix=".png", prompt=f"seed {i}",
                                generator_id="bench.gen", tags=["bench"])
              for i in range(DISTINCT)]
    conn = project._db.connection()
    now = time.time()
    with project._db.transaction():
        for i in range(DISTINCT, TOTAL):
            like = stored[i % DISTINCT]
            insert_asset_row(conn, AssetRow(
                kind="image", hash=like.hash, size=like.size, suffix=like.suffix,
                path=like.path, created=now + i * 0.001, prompt=f"bench prompt {i}",
                recipe='{"seed": 1}', generator_id="bench.gen", tags=("bench",)))
    assert project.count_assets() == TOTAL
    return project


def _visible_rows(view: object) -> list[int]:
    viewport = view.viewport()
    rows = []
    for row in range(view.model().rowCount()):
        rect = view.visualRect(view.model().index(row))
        if rect.intersects(viewport.rect()):
            rows.append(row)
        elif rows:
            break
    return rows


def _gallery_first_paint(app: object, project: object) -> tuple[float, object]:
    from PySide6.QtCore import Qt

    from genloom._qt.gallery import GalleryWidget

    start = time.perf_counter()
    widget = GalleryWidget(project)
    widget.resize(*WINDOW)
    widget.show()
    view = widget.view

    def ready() -> bool:
        rows = _visible_rows(view)
        return bool(rows) and all(
            view.model().index(r).data(Qt.ItemDataRole.DecorationRole) is not None
            for r in rows)

    while not ready():
        app.processEvents()
        if time.perf_counter() - start > 120:
            raise RuntimeError("thumbnails did not arrive within 2 minutes")
    view.viewport().repaint()
    return time.perf_counter() - start, widget


def _baseline_first_paint(app: object) -> tuple[float, object]:
    from PySide6.QtCore import QEvent, QObject, QStringListModel
    from PySide6.QtWidgets import QListView

    class Painted(QObject):
        seen = False

        def eventFilter(self, obj: object, event: object) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                self.seen = True
            return False

    start = time.perf_counter()
    model = QStringListModel([f"bench prompt {i}" for i in range(TOTAL)])
    view = QListView()
    view.setUniformItemSizes(True)
    view.setModel(model)
    painted = Painted()
    view.viewport().installEventFilter(painted)
    view.resize(*WINDOW)
    view.show()
    while not painted.seen:
        app.processEvents()
    elapsed = time.perf_counter() - start
    view.viewport().removeEventFilter(painted)
    view._keep = (model, painted)  # type: ignore[attr-defined]
    return elapsed, view


def _scroll(app: object, view: object, cpu: list[float] | None = None) -> list[float]:
    """The wall time of each frame; with ``cpu``, the GUI thread's CPU time of each is added to it."""
    bar = view.verticalScrollBar()
    frames = []
    for _ in range(STEPS):
        start, start_cpu = time.perf_counter(), time.thread_time()
        bar.setValue(bar.value() + view.viewport().height())
        app.processEvents()
        view.viewport().repaint()
        frames.append(time.perf_counter() - start)
        if cpu is not None:
            cpu.append(time.thread_time() - start_cpu)
    return frames


def main() -> None:
    """Build the project, then print first paint and scroll figures."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="genloom-bench-gallery-") as tmp:
        start = time.perf_counter()
        project = _build(Path(tmp) / "project")
        print(f"(built a {TOTAL:,}-asset project in {time.perf_counter() - start:.1f} s)",
              flush=True)

        baseline, plain = _baseline_first_paint(app)
        cold, gallery = _gallery_first_paint(app, project)
        gallery.shutdown()
        gallery.close()
        warm, gallery = _gallery_first_paint(app, project)
        visible = len(_visible_rows(gallery.view))
        report("gallery first paint, cold thumbnails", cold,
               "plain QListView of 100,000 strings", baseline,
               f"{visible} visible thumbnails decoded + cached")
        report("gallery first paint, disk-cached thumbnails", warm,
               "plain QListView of 100,000 strings", baseline, "as after a restart")

        plain_cpu: list[float] = []
        cpu: list[float] = []
        plain_frames = _scroll(app, plain, plain_cpu)
        frames = _scroll(app, gallery.view, cpu)
        rows = gallery.model.rowCount()
        report(f"gallery scroll, mean frame ({STEPS} viewport steps)", statistics.mean(frames),
               "plain QListView, same steps", statistics.mean(plain_frames),
               f"{rows:,} rows loaded of {gallery.model.total():,}", goal=1.5)
        report("gallery scroll, worst frame", max(frames),
               "plain QListView, worst frame", max(plain_frames),
               "includes fetching a 200-asset page")
        # The same frames in the GUI thread's CPU time, which a loaded machine stretches far
        # less than wall time (the thumbnails' pool threads are not counted).
        report("gallery scroll, mean frame, GUI-thread CPU", statistics.mean(cpu),
               "plain QListView, GUI-thread CPU", statistics.mean(plain_cpu), "same frames")
        gallery.shutdown()
        gallery.close()
        plain.close()
        project.close()


if __name__ == "__main__":
    main()
