"""The leaderboard: the project's judgements ranked by core's Bradley-Terry fit.

A table of entries (generator / model / setting, score, ± one standard error, how many
judgements, wins/losses/ties), grouped by generator, model or setting. It refreshes when
a judgement is recorded (``JudgementSignals``). The Evaluate view can embed the widget;
the Tools menu opens it in a dialog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.relay import JudgementSignals
from genloom.core.evaluation.judgements import judgements_of
from genloom.core.evaluation.leaderboard import GROUPINGS, Entry, leaderboard

if TYPE_CHECKING:
    from genloom.core.project import Project

__all__ = ["COLUMNS", "LeaderboardDialog", "LeaderboardView"]

COLUMNS = ("#", "Entry", "Score", "±", "Judgements", "W / L / T")


class LeaderboardView(QWidget):
    """The ranked entries of one project's judgements."""

    def __init__(self, project: Project | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.by = QComboBox()
        self.by.addItems([g.capitalize() for g in GROUPINGS])
        self.by.setCurrentIndex(GROUPINGS.index("setting"))
        self.by.currentIndexChanged.connect(lambda _i: self.refresh())
        self.summary = QLabel("")
        self.summary.setObjectName("dim")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        top = QHBoxLayout()
        top.addWidget(QLabel("Rank by"))
        top.addWidget(self.by)
        top.addStretch(1)
        top.addWidget(self.summary)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self.entries: list[Entry] = []
        self._relay = JudgementSignals(None, self)
        self._relay.changed.connect(lambda _id: self.refresh())
        self.project: Project | None = None
        self.set_project(project)

    def set_project(self, project: Project | None) -> None:
        self.project = project
        self._relay.attach(judgements_of(project) if project is not None else None)
        self.refresh()

    def grouping(self) -> str:
        return GROUPINGS[self.by.currentIndex()]

    def refresh(self) -> None:
        """Fit again from the stored judgements and fill the table."""
        judgements = judgements_of(self.project).all() if self.project is not None else []
        self.entries = leaderboard(judgements, self.grouping())
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            cells = (str(row + 1), entry.label, f"{entry.score:.0f}", f"± {entry.error:.0f}",
                     str(entry.judgements), f"{entry.wins:g} / {entry.losses:g} / {entry.ties}")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column != 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.summary.setText(f"{len(judgements)} judgements" if judgements else
                             "No judgements yet: select 2-4 assets in the gallery and "
                             "Compare (Ctrl+K)")


class LeaderboardDialog(QDialog):
    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Leaderboard")
        self.view = LeaderboardView(project, self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        self.resize(820, 480)
