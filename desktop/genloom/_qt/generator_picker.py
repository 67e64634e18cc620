"""The generator picker: every discovered generator, grouped by modality."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from genloom._qt.resources import icon
from genloom.sdk import MODALITIES

MODALITY_TITLES = {"text": "Text", "image": "Image", "audio": "Audio", "video": "Video", "code": "Code"}


class GeneratorPicker(QWidget):
    """A filterable tree: modality → generator. Emits the chosen generator id."""

    generator_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter generators")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(12)
        self.tree.currentItemChanged.connect(self._on_current)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        self._items: dict[str, QTreeWidgetItem] = {}
        #: Each modality's group row, with its title and its generators' rows.
        self._groups: list[tuple[QTreeWidgetItem, str, list[QTreeWidgetItem]]] = []

    def set_generators(self, specs: list[Any]) -> None:
        current = self.current_id()
        self.tree.clear()
        self._items.clear()
        self._groups.clear()
        for modality in MODALITIES:
            group_specs = sorted((s for s in specs if s.modality == modality), key=lambda s: s.title.lower())
            group = QTreeWidgetItem([f"{MODALITY_TITLES[modality]}  ({len(group_specs)})"])
            members: list[QTreeWidgetItem] = []
            self._groups.append((group, MODALITY_TITLES[modality], members))
            group.setIcon(0, icon(modality))
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            self.tree.addTopLevelItem(group)
            if not group_specs:
                empty = QTreeWidgetItem(["no generators installed"])
                empty.setFlags(Qt.ItemFlag.NoItemFlags)
                group.addChild(empty)
            for spec in group_specs:
                item = QTreeWidgetItem([spec.title])
                item.setData(0, Qt.ItemDataRole.UserRole, spec.id)
                tip = f"{spec.id} — plugin {spec.plugin} {spec.plugin_version}"
                if spec.description:
                    tip = f"{spec.description}\n{tip}"
                item.setToolTip(0, tip)
                group.addChild(item)
                self._items[spec.id] = item
                members.append(item)
            group.setExpanded(True)
        if current in self._items:
            self.select(current)
        self._apply_filter(self.filter.text())

    def current_id(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def select(self, generator_id: str) -> bool:
        item = self._items.get(generator_id)
        if item is None:
            return False
        self.tree.setCurrentItem(item)
        return True

    def _on_current(self, current: QTreeWidgetItem | None, _previous: Any) -> None:
        if current is not None:
            generator_id = current.data(0, Qt.ItemDataRole.UserRole)
            if generator_id:
                self.generator_selected.emit(generator_id)

    def _apply_filter(self, text: str) -> None:
        """Show the generators whose title, id or description holds the text (all of a
        modality whose name does); a modality with none shown is hidden, and the others
        count what they show of what they have."""
        needle = text.strip().lower()
        for group, title, members in self._groups:
            whole_group = not needle or needle in title.lower()
            shown = 0
            for item in members:
                haystack = f"{item.text(0)} {item.data(0, Qt.ItemDataRole.UserRole)} {item.toolTip(0)}".lower()
                visible = whole_group or needle in haystack
                item.setHidden(not visible)
                shown += visible
            for index in range(group.childCount()):  # the "no generators installed" row
                child = group.child(index)
                if child not in members:
                    child.setHidden(bool(needle))
            group.setHidden(bool(needle) and shown == 0)
            count = f"{shown} of {len(members)}" if needle and shown != len(members) else f"{len(members)}"
            group.setText(0, f"{title}  ({count})")
