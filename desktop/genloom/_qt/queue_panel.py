"""The job queue: every job with its state, progress, previews, streamed text and actions."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListView,
    QPlainTextEdit,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.bridge import EngineBridge, JobProgress
from genloom._qt.relay import ProjectSignals
from genloom._qt.resources import icon
from genloom._qt.theme import colours

if TYPE_CHECKING:
    from genloom.core.project import Job, Project

JobRole = Qt.ItemDataRole.UserRole + 1
ProgressRole = Qt.ItemDataRole.UserRole + 2
ROW_HEIGHT = 64


class QueueModel(QAbstractListModel):
    """A thin adapter over ``project.jobs.list()`` plus live progress from the bridge."""

    def __init__(self, bridge: EngineBridge, parent: Any = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.project: Project | None = None
        self.jobs: list[Any] = []
        self.previews: dict[int, QPixmap] = {}
        # Submitting a batch of 1,000 jobs announces 1,000 changes: reload once for them.
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(50)
        self._reload_timer.timeout.connect(self.reload)
        self._project_signals = ProjectSignals(None, self)
        self._project_signals.job_changed.connect(self._on_job_changed)
        bridge.job_progress.connect(self._on_progress)

    def set_project(self, project: Project | None) -> None:
        """Show ``project``'s queue (None: show nothing, e.g. while closing)."""
        self._reload_timer.stop()
        self.project = project
        self._project_signals.attach(project)
        self.previews.clear()
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        # The store's order (running, queued in run order, finished newest first) is the queue's.
        self.jobs = self.project.jobs.list(limit=500) if self.project else []
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.jobs)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        job = self.jobs[index.row()]
        if role == JobRole:
            return job
        if role == ProgressRole:
            return self.bridge.progress_of(job.id)
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{job.generator_id} — {job.state}"
        if role == Qt.ItemDataRole.ToolTipRole and job.error:
            return job.error[:2000]
        return None

    def row_of(self, job_id: int) -> int:
        for row, job in enumerate(self.jobs):
            if job.id == job_id:
                return row
        return -1

    def _on_job_changed(self, job: Job) -> None:
        row = self.row_of(job.id)
        if row >= 0 and self.jobs[row].state == job.state and job.state not in ("queued",):
            self.jobs[row] = job
            index = self.index(row)
            self.dataChanged.emit(index, index)
            return
        # A new job, a state change or a reorder: the order may change.
        self._reload_timer.start()

    def _on_progress(self, progress: JobProgress) -> None:
        if progress.preview:
            image = QImage.fromData(progress.preview)
            if not image.isNull():
                self.previews[progress.job_id] = QPixmap.fromImage(image)
        row = self.row_of(progress.job_id)
        if row >= 0:
            index = self.index(row)
            self.dataChanged.emit(index, index)


class JobDelegate(QStyledItemDelegate):
    """Paints a job: state badge, generator, progress bar, times, preview or text."""

    def __init__(self, model: QueueModel, parent: Any = None) -> None:
        super().__init__(parent)
        self.model = model

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        # No width of its own: a list view in list mode stretches each row to its viewport,
        # now and after every resize. (The width of the first layout, cached for every row,
        # outgrew a queue made narrower later and scrolled it sideways.)
        return QSize(1, ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        c = colours()
        job = index.data(JobRole)
        progress: JobProgress | None = index.data(ProgressRole)
        painter.save()
        rect = option.rect.adjusted(4, 2, -4, -2)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor(c.accent if selected else c.border))
        painter.setBrush(QColor(c.alt_base))
        painter.drawRoundedRect(rect, 6, 6)
        x = rect.left() + 8
        preview = self.model.previews.get(job.id)
        if preview is not None and job.state == "running":
            target = QRect(x, rect.top() + 6, rect.height() - 12, rect.height() - 12)
            painter.drawPixmap(target, preview.scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                                      Qt.TransformationMode.SmoothTransformation))
            x = target.right() + 8
        state_colour = {"running": c.accent, "queued": c.dim_text, "done": c.ok, "failed": c.danger,
                        "cancelled": c.warn}.get(job.state, c.dim_text)
        badge = QRect(x, rect.top() + 8, 70, 18)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(state_colour))
        painter.drawRoundedRect(badge, 9, 9)
        painter.setPen(QColor("#ffffff"))
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() - 1.5))
        painter.setFont(small)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, job.state)
        painter.setPen(QColor(c.text))
        painter.setFont(option.font)
        title = f"#{job.id}  {job.generator_id}"
        if job.seed is not None:
            title += f"   seed {job.seed}"
        painter.drawText(QRect(badge.right() + 8, badge.top() - 1, rect.right() - badge.right() - 16, 20),
                         Qt.AlignmentFlag.AlignVCenter, title)
        line = QRect(x, rect.top() + 32, rect.right() - x - 8, 22)
        painter.setPen(QColor(c.dim_text))
        painter.setFont(small)
        if job.state == "running":
            fraction = progress.step / progress.total if progress and progress.total else 0.0
            bar = QRect(line.left(), line.top() + 2, max(40, line.width() // 2), 6)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(c.border))
            painter.drawRoundedRect(bar, 3, 3)
            painter.setBrush(QColor(c.accent))
            painter.drawRoundedRect(QRect(bar.left(), bar.top(), int(bar.width() * fraction), 6), 3, 3)
            painter.setPen(QColor(c.dim_text))
            painter.drawText(QRect(bar.right() + 8, line.top() - 4, line.right() - bar.right() - 8, 16),
                             Qt.AlignmentFlag.AlignVCenter, _progress_text(job, progress))
            if progress and progress.text:
                painter.drawText(QRect(line.left(), line.top() + 10, line.width(), 16),
                                 Qt.AlignmentFlag.AlignVCenter,
                                 painter.fontMetrics().elidedText(progress.text.replace("\n", " ")[-300:],
                                                                  Qt.TextElideMode.ElideLeft, line.width()))
        else:
            painter.drawText(line, Qt.AlignmentFlag.AlignVCenter,
                             painter.fontMetrics().elidedText(_summary(job), Qt.TextElideMode.ElideRight,
                                                              line.width()))
        painter.restore()


def _progress_text(job: Job, progress: JobProgress | None) -> str:
    if progress is None or not progress.total:
        return progress.message if progress and progress.message else "starting…"
    elapsed = progress.elapsed
    text = f"{progress.step}/{progress.total}  {elapsed:.1f}s"
    if 0 < progress.step < progress.total:
        text += f", ~{elapsed * (progress.total - progress.step) / progress.step:.0f}s left"
    if progress.message:
        text += f"  {progress.message}"
    return text


def _summary(job: Job) -> str:
    if job.state == "failed":
        return job.error.splitlines()[0] if job.error else "failed"
    if job.state == "queued":
        return f"waiting (position {job.position})"
    took = ""
    if job.started and job.finished:
        took = f"took {job.finished - job.started:.1f}s"
    when = time.strftime("%H:%M:%S", time.localtime(job.finished or job.created))
    made = f"{len(job.asset_ids)} asset(s)" if job.asset_ids else ""
    note = job.error.splitlines()[0] if job.error else ""
    return "  ".join(part for part in (when, took, made, note) if part)


class QueuePanel(QWidget):
    """The queue view with cancel, retry, move up/down, and the full error of the selected job."""

    cancel_requested = Signal(int)
    retry_requested = Signal(int)
    move_requested = Signal(int, int)  # job id, new index among queued jobs
    job_selected = Signal(int)

    def __init__(self, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QueueModel(bridge, self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(JobDelegate(self.model, self.view))
        self.view.setUniformItemSizes(True)
        self.view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.selectionModel().currentChanged.connect(self._on_current)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("Select a job to see its parameters and, if it failed, the full error.")
        buttons = QVBoxLayout()
        self.cancel_button = self._button("cancel", "Cancel the selected job (Esc)", self._cancel)
        self.retry_button = self._button("retry", "Queue the selected failed or cancelled job again", self._retry)
        self.up_button = self._button("up", "Move the selected queued job earlier", lambda: self._move(-1))
        self.down_button = self._button("down", "Move the selected queued job later", lambda: self._move(1))
        for b in (self.cancel_button, self.retry_button, self.up_button, self.down_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        splitter = QSplitter()
        left = QWidget()
        row = QHBoxLayout(left)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.view, 1)
        row.addLayout(buttons)
        splitter.addWidget(left)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self.model.modelReset.connect(self._update_buttons)
        self.model.dataChanged.connect(lambda *_: self._refresh_details())
        self._update_buttons()

    def _button(self, name: str, tip: str, slot: Any) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(name))
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def set_project(self, project: Project | None) -> None:
        self.model.set_project(project)

    def selected_job(self) -> Any:
        index = self.view.currentIndex()
        return index.data(JobRole) if index.isValid() else None

    def select_job(self, job_id: int) -> None:
        row = self.model.row_of(job_id)
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row))

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._update_buttons()
        self._refresh_details()
        job = self.selected_job()
        if job is not None:
            self.job_selected.emit(job.id)

    def _refresh_details(self) -> None:
        job = self.selected_job()
        if job is None:
            self.details.clear()
            return
        fresh = self.model.jobs[self.model.row_of(job.id)] if self.model.row_of(job.id) >= 0 else job
        lines = [f"job {fresh.id}: {fresh.generator_id} ({fresh.state})", f"seed: {fresh.seed}"]
        lines += [f"{k}: {v}" for k, v in fresh.params.items()]
        if fresh.inputs:
            lines.append("inputs: " + ", ".join(f"{k}=#{v}" for k, v in fresh.inputs.items()))
        if fresh.error:
            lines += ["", fresh.error]
        text = "\n".join(lines)
        if self.details.toPlainText() != text:
            self.details.setPlainText(text)

    def _update_buttons(self) -> None:
        job = self.selected_job()
        state = job.state if job is not None else ""
        self.cancel_button.setEnabled(state in ("queued", "running"))
        self.retry_button.setEnabled(state in ("failed", "cancelled"))
        self.up_button.setEnabled(state == "queued")
        self.down_button.setEnabled(state == "queued")

    def _cancel(self) -> None:
        job = self.selected_job()
        if job is not None and job.state in ("queued", "running"):
            self.cancel_requested.emit(job.id)

    def _retry(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.retry_requested.emit(job.id)

    def _move(self, delta: int) -> None:
        job = self.selected_job()
        if job is None or job.state != "queued":
            return
        queued = [j for j in self.model.jobs if j.state == "queued"]
        index = next(i for i, j in enumerate(queued) if j.id == job.id)
        target = max(0, min(len(queued) - 1, index + delta))
        if target != index:
            self.move_requested.emit(job.id, target)
            self.select_job(job.id)
