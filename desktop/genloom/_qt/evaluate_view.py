"""The Evaluate view: choose a set and metrics, run the evaluation, read the numbers.

A thin view over :mod:`genloom.core.evaluation`: the set is resolved, the metrics are
chosen and the job is queued by core (:func:`~genloom.core.evaluation.job.queue_evaluation`);
the job runs in the worker like any other (progress, cancel), and when it is done the
view shows core's recorded results: the per-group summary and the per-asset values.
"Open report" writes the HTML report (core's) and opens it in the browser.

The lower part is a tab widget (:attr:`EvaluateView.sections`) so more ways of judging a
set (a leaderboard, a side-by-side compare) sit beside the metric tables.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.relay import ProjectSignals
from genloom._qt.remedies import app_message

if TYPE_CHECKING:
    from genloom.core.evaluation.sets import EvalSet
    from genloom.core.evaluation.store import Evaluation
    from genloom.core.jobs.engine import Engine
    from genloom.core.plugins import PluginManager
    from genloom.core.project import Job, Project

__all__ = ["SET_CHOICES", "EvaluateView"]

#: The sets the view offers: label, and whether it needs typed text or the gallery selection.
SET_CHOICES = (("Gallery selection", "selection"), ("Tag", "tag"), ("Search", "search"),
               ("Batch of the selected asset", "batch"), ("Children of the selected asset", "parent"))
_GROUPS = (("No grouping", "none"), ("Generator", "generator"), ("Model", "model"),
           ("Parameter", "param"))


class EvaluateView(QWidget):
    """Set and metric choice, run/cancel with progress, and the result tables."""

    status = Signal(str)

    def __init__(self, project: Project, plugins: PluginManager, engine: Callable[[], Engine | None],
                 selection: Callable[[], list[int]] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.plugins = plugins
        self._engine = engine
        self._selection = selection or (lambda: [])
        self.job_id: int | None = None
        self.evaluation: Evaluation | None = None
        #: Opens a report; replaced in tests so nothing starts a browser.
        self.open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl
        self._relay = ProjectSignals(project, self)
        self._relay.job_changed.connect(self._on_job_changed)

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.set_kind = QComboBox()
        for label, key in SET_CHOICES:
            self.set_kind.addItem(label, key)
        self.set_value = QLineEdit()
        self.set_value.setPlaceholderText("tag or search words")
        self.set_kind.currentIndexChanged.connect(self._on_set_kind)
        self.group_by = QComboBox()
        for label, key in _GROUPS:
            self.group_by.addItem(label, key)
        self.group_param = QLineEdit()
        self.group_param.setPlaceholderText("parameter, e.g. steps")
        self.group_by.currentIndexChanged.connect(self._on_group_by)
        self.run_button = QPushButton("Evaluate")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.report_button = QPushButton("Open report")
        self.report_button.clicked.connect(self.open_report)
        # Two rows, so the tab does not widen the window's minimum on a small screen.
        for widget in (QLabel("Set"), self.set_kind, self.set_value):
            top.addWidget(widget)
        actions = QHBoxLayout()
        for widget in (QLabel("Group by"), self.group_by, self.group_param, self.run_button,
                       self.cancel_button, self.report_button):
            actions.addWidget(widget)
        actions.addStretch(1)
        layout.addLayout(top)
        layout.addLayout(actions)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        status_row = QHBoxLayout()
        status_row.addWidget(self.progress, 1)
        status_row.addWidget(self.message, 2)
        layout.addLayout(status_row)

        self.metrics = QListWidget()
        self.metrics.setToolTip("The metrics to compute; those that measure none of the set are skipped")
        self.summary = QTableWidget(0, 0)
        self.assets = QTableWidget(0, 0)
        for table in (self.summary, self.assets):
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.setSortingEnabled(True)
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        tables = QSplitter(Qt.Orientation.Vertical)
        tables.addWidget(self._titled("Summary by group", self.summary))
        tables.addWidget(self._titled("Per asset", self.assets))
        tables.setSizes([220, 420])
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(self._titled("Metrics", self.metrics))
        body.addWidget(tables)
        body.setSizes([300, 900])
        #: The sections of the view; the metric tables are the first.
        self.sections = QTabWidget()
        self.sections.setDocumentMode(True)
        self.sections.addTab(body, "Metrics")
        from genloom._qt.leaderboard_view import LeaderboardView

        #: The user's own judgements (Compare view), ranked.
        self.leaderboard = LeaderboardView(project)
        self.sections.addTab(self.leaderboard, "Leaderboard")
        layout.addWidget(self.sections, 1)
        self._fill_metrics()
        self._on_set_kind()
        self._on_group_by()
        self._set_running(False)

    @staticmethod
    def _titled(title: str, widget: QWidget) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(QLabel(f"<b>{title}</b>"))
        column.addWidget(widget)
        return box

    def _fill_metrics(self) -> None:
        self.metrics.clear()
        for metric in sorted(self.plugins.all_metrics().values(), key=lambda m: (m.modalities, m.id)):
            item = QListWidgetItem(f"{metric.title}  ({'/'.join(metric.modalities)})")
            item.setData(Qt.ItemDataRole.UserRole, metric.id)
            direction = {True: "higher is better", False: "lower is better", None: "no direction"}[
                metric.higher_is_better]
            item.setToolTip(f"{metric.id}\n{metric.description}\n{direction}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.metrics.addItem(item)

    def set_project(self, project: Project) -> None:
        self.project = project
        self._relay.attach(project)
        self.leaderboard.set_project(project)
        self.job_id, self.evaluation = None, None
        self._show(None)
        self._set_running(False)

    # -- choices -------------------------------------------------------------------

    def _on_set_kind(self) -> None:
        self.set_value.setEnabled(self.set_kind.currentData() in ("tag", "search"))

    def _on_group_by(self) -> None:
        self.group_param.setEnabled(self.group_by.currentData() == "param")

    def checked_metrics(self) -> list[str]:
        return [self.metrics.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.metrics.count())
                if self.metrics.item(i).checkState() == Qt.CheckState.Checked]

    def chosen_set(self) -> EvalSet:
        """The set the choices describe (core checks it)."""
        from genloom.core.evaluation.sets import EvalSet
        from genloom.sdk.errors import ParameterError

        kind = self.set_kind.currentData()
        if kind in ("tag", "search"):
            return EvalSet(kind, self.set_value.text().strip())
        selected = list(self._selection())
        if not selected:
            raise ParameterError("set", "the gallery selection", "is empty",
                                 "select assets in the gallery first")
        if kind == "selection":
            return EvalSet("ids", selected)
        return EvalSet(kind, selected[0])

    def _group_choice(self) -> str:
        how = self.group_by.currentData()
        return f"param:{self.group_param.text().strip()}" if how == "param" else how

    # -- running ---------------------------------------------------------------------

    def run(self) -> None:
        from genloom.core.evaluation.job import queue_evaluation

        engine = self._engine()
        if engine is None:
            self._say("The job engine is not running; start it from the queue.")
            return
        checked = self.checked_metrics()
        if not checked:
            self._say("Choose at least one metric.")
            return
        try:
            job = queue_evaluation(engine, self.chosen_set(), metrics=checked,
                                   group_by=self._group_choice(), skip_inapplicable=True)
        except Exception as exc:  # noqa: BLE001 - core's refusals are shown as they are
            self._say(app_message(exc))
            return
        self.job_id = job.id
        self.progress.setRange(0, 0)
        self._say(f"Evaluating (job {job.id})…")
        self._set_running(True)

    def cancel(self) -> None:
        engine = self._engine()
        if engine is not None and self.job_id is not None:
            engine.cancel(self.job_id)
            self._say("Cancelling…")

    def show_progress(self, job_id: int, step: int, total: int, message: str) -> None:
        """A running job's progress (from the engine bridge, on the GUI thread). A report
        that comes after the job's end (the bridge's progress and the store's job event
        travel apart) is dropped: it wrote over "Done." with the last metric's name."""
        if job_id != self.job_id or total <= 0 or not self.cancel_button.isEnabled():
            return
        self.progress.setRange(0, total)
        self.progress.setValue(step)
        if message:
            self.message.setText(message)

    def _on_job_changed(self, job: Job) -> None:
        if job.id != self.job_id or job.state in ("queued", "running"):
            return
        self._set_running(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if job.state == "done" else 0)
        if job.state != "done":
            self._say(f"The evaluation {job.state}: {job.error}" if job.error else
                      f"The evaluation was {job.state}.")
            return
        from genloom.core.evaluation.store import evaluations_of

        try:
            self.evaluation = evaluations_of(self.project).record(job)
        except Exception as exc:  # noqa: BLE001 - a damaged report is reported, not raised
            self._say(app_message(exc))
            return
        self._show(self.evaluation)
        failures = (self.evaluation.report.get("failures") if self.evaluation else None) or {}
        self._say(f"Done. {len(failures)} metric(s) failed: {', '.join(failures)}" if failures else "Done.")
        self.status.emit("Evaluation finished")

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.report_button.setEnabled(not running and self.evaluation is not None)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.status.emit(text)

    # -- results -----------------------------------------------------------------------

    def show_evaluation(self, evaluation: Evaluation) -> None:
        """Show a recorded evaluation (one run earlier, or from the command line)."""
        self.evaluation = evaluation
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self._show(evaluation)

    def _show(self, evaluation: Evaluation | None) -> None:
        from genloom.core.evaluation.report import format_value, headline

        report = evaluation.report if evaluation is not None else {}
        metrics: dict[str, Any] = report.get("metrics", {})
        groups: dict[str, Any] = report.get("groups", {})
        order = [g for g in report.get("group_order", list(groups)) if g in groups]
        titles = [m.get("title", k) for k, m in metrics.items()]
        self.summary.setSortingEnabled(False)
        self.summary.clear()
        self.summary.setColumnCount(1 + len(metrics))
        self.summary.setHorizontalHeaderLabels(["Group", *titles])
        self.summary.setRowCount(len(order))
        for row, group in enumerate(order):
            self.summary.setItem(row, 0, QTableWidgetItem(group))
            for col, metric_id in enumerate(metrics, start=1):
                entry = groups[group].get(metric_id, {})
                self.summary.setItem(row, col, _number_item(headline(entry), format_value, entry.get("error")))
        self.summary.setSortingEnabled(True)
        per_asset = [k for k, m in metrics.items() if m.get("per_asset")]
        rows = report.get("assets", [])
        self.assets.setSortingEnabled(False)
        self.assets.clear()
        self.assets.setColumnCount(2 + len(per_asset))
        self.assets.setHorizontalHeaderLabels(["Asset", "Group", *[metrics[k].get("title", k) for k in per_asset]])
        self.assets.setRowCount(len(rows))
        for row, data in enumerate(rows):
            self.assets.setItem(row, 0, _number_item(data.get("asset_id"), format_value))
            self.assets.setItem(row, 1, QTableWidgetItem(str(data.get("group", ""))))
            for col, metric_id in enumerate(per_asset, start=2):
                value = data.get("values", {}).get(metric_id)
                self.assets.setItem(row, col, _number_item(value, format_value,
                                                           data.get("errors", {}).get(metric_id)))
        self.assets.setSortingEnabled(True)
        self._set_running(False)

    def report_folder(self) -> Path:
        """Where the app writes the HTML reports it opens: Genloom's data folder, one
        sub-folder per project (named by a hash of its path, never by its contents)."""
        import hashlib

        from genloom.core import paths

        digest = hashlib.sha256(str(self.project.path).encode("utf-8")).hexdigest()[:16]
        return paths.data_dir() / "reports" / digest

    def open_report(self) -> Path | None:
        """Write the HTML report of the shown evaluation and open it; its path."""
        from genloom.core.evaluation.report import write_report

        if self.evaluation is None:
            return None
        html_path, _ = write_report(self.project, self.evaluation, self.report_folder(),
                                    stem=f"evaluation-{self.evaluation.id}")
        self.open_url(QUrl.fromLocalFile(str(html_path)))
        return html_path


class _NumberItem(QTableWidgetItem):
    """A table cell that sorts by its number (empty cells last)."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(Qt.ItemDataRole.UserRole), other.data(Qt.ItemDataRole.UserRole)
        if mine is None or theirs is None:
            return theirs is None and mine is not None
        return float(mine) < float(theirs)


def _number_item(value: Any, fmt: Callable[[Any], str], error: str | None = None) -> QTableWidgetItem:
    item = _NumberItem("failed" if error else fmt(value))
    item.setData(Qt.ItemDataRole.UserRole, None if error or value is None else float(value))
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if error:
        item.setToolTip(str(error).splitlines()[0])
    return item
