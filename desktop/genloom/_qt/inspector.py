"""The inspector: the selected asset in its viewer, with recipe, lineage, tags,
rating, notes and actions.

Everything shown comes from the project API; edits go straight back to it
(``set_rating``, ``add_tags``/``remove_tags``, ``set_notes``). The project's
events (queued onto the GUI thread) keep it current when another view or a
worker changes the asset.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFocusEvent, QKeySequence
from PySide6.QtWidgets import (
    QCompleter,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.credentials_box import CredentialsBox
from genloom._qt.gallery import asset_caption
from genloom._qt.relay import ProjectSignals
from genloom._qt.remedies import app_message
from genloom._qt.viewers import viewer_for, viewer_key
from genloom._qt.widgets import (
    ErrorBanner,
    FlowLayout,
    StarRating,
    copy_asset_to_clipboard,
    reveal_in_file_manager,
)
from genloom.core.project import Asset, AssetNotFoundError, Project
from genloom.core.units import human_size
from genloom.sdk.errors import GenloomError

__all__ = ["InspectorWidget"]

NOTES_SAVE_DELAY_MS = 800
RECIPE_SKIP = {"parameters"}


class _NotesEdit(QPlainTextEdit):
    """Plain text that reports losing focus (notes save then)."""

    focus_lost = Signal()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt API
        super().focusOutEvent(event)
        self.focus_lost.emit()


class _TagChip(QWidget):
    def __init__(self, tag: str, on_remove: Any) -> None:
        super().__init__()
        self.tag = tag
        self.setObjectName("tagChip")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet("#tagChip { background: palette(midlight); border-radius: 9px; }")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 1, 2, 1)
        layout.setSpacing(2)
        layout.addWidget(QLabel(tag))
        self.remove_button = QToolButton()
        self.remove_button.setText("✕")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setToolTip(f"Remove the tag “{tag}”")
        self.remove_button.clicked.connect(lambda: on_remove(tag))
        layout.addWidget(self.remove_button)


#: What the inspector says while no asset is selected.
EMPTY_INSPECTOR_HINT = ("Select an asset in the gallery to see it here, with its recipe, lineage, "
                        "tags and notes.\n\nNothing made yet? Pick a generator on the left, write a "
                        "prompt, press Generate: the new asset opens here when it is done.")

class InspectorWidget(QWidget):
    """Shows one asset: viewer, actions, rating, tags, notes, recipe, lineage, file.

    Signals: ``jump_to_asset(int)`` (a parent or child was clicked),
    ``rerun_requested(int, bool new_seed)``, ``use_as_input_requested(int)``,
    ``export_requested(int)``. Copy and reveal are done here. The actions are
    also exposed as ``QAction`` attributes (``rerun_action``, ``vary_action``,
    ``use_as_input_action``, ``export_action``, ``copy_action``,
    ``reveal_action``) for the window's menus; their shortcuts work while the
    focus is inside the inspector.
    """

    jump_to_asset = Signal(int)
    rerun_requested = Signal(int, bool)
    use_as_input_requested = Signal(int)
    export_requested = Signal(int)

    def __init__(self, project: Project | None, parent: QWidget | None = None, *,
                 volume: float = 1.0) -> None:
        super().__init__(parent)
        self._project = project
        self._asset: Asset | None = None
        self._volume = volume
        self._viewers: dict[str, QWidget] = {}
        self._bridge = ProjectSignals(project, self)
        self._bridge.asset_changed.connect(self._on_changed)
        self._bridge.asset_deleted.connect(self._on_deleted)
        self._bridge.asset_added.connect(self._on_added)
        self._notes_timer = QTimer(self, singleShot=True, interval=NOTES_SAVE_DELAY_MS)
        self._notes_timer.timeout.connect(self.save_notes)
        self._build()
        self.show_asset(None)

    # -- building -------------------------------------------------------------------

    def _build(self) -> None:
        self.error_banner = ErrorBanner()
        self.title_label = QLabel()
        self.title_label.setWordWrap(True)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title_label.setFont(font)

        self.viewer_stack = QStackedWidget()
        self.empty_label = QLabel(EMPTY_INSPECTOR_HINT)
        self.empty_label.setObjectName("dim")
        self.empty_label.setWordWrap(True)
        self.empty_label.setMargin(24)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.viewer_stack.addWidget(self.empty_label)

        self._build_actions()
        # The buttons wrap onto a second row in a narrow inspector (the details scroll only
        # up and down: in one row, Copy and Reveal were cut off beside a 1366 px screen's gallery).
        self.actions_box = QWidget()
        actions_row = FlowLayout(self.actions_box, spacing=2)
        for action in self.actions():
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            actions_row.addWidget(button)

        self.rating = StarRating()
        self.rating.rating_changed.connect(self._set_rating)
        self.tags_box = QWidget()
        self.tags_flow = FlowLayout(self.tags_box)
        self.tag_edit = QLineEdit(placeholderText="Add tags (comma separated), Enter")
        self.tag_edit.returnPressed.connect(self._add_tags)
        self.tag_completer = QCompleter([], self.tag_edit)
        self.tag_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.tag_edit.setCompleter(self.tag_completer)
        self.notes_edit = _NotesEdit()
        self.notes_edit.setPlaceholderText("Notes (saved as you type)")
        self.notes_edit.setFixedHeight(72)
        self.notes_edit.textChanged.connect(self._notes_edited)
        self.notes_edit.focus_lost.connect(self.save_notes)

        self.recipe_form = QFormLayout()
        self.recipe_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # A narrow inspector puts a long row's value under its name, and a value never widens
        # the details (they do not scroll sideways: a long parameter name or an evaluation's
        # set pushed the whole column, buttons and tags included, past the inspector's edge).
        self.recipe_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.raw_toggle = QToolButton()
        self.raw_toggle.setText("Raw JSON")
        self.raw_toggle.setCheckable(True)
        self.raw_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.raw_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.raw_toggle.setAutoRaise(True)
        self.raw_json = QPlainTextEdit(readOnly=True)
        self.raw_json.setVisible(False)
        self.raw_json.setFixedHeight(140)
        self.raw_toggle.toggled.connect(self._toggle_raw)
        recipe_box = QGroupBox("Recipe")
        recipe_layout = QVBoxLayout(recipe_box)
        recipe_layout.addLayout(self.recipe_form)
        recipe_layout.addWidget(self.raw_toggle)
        recipe_layout.addWidget(self.raw_json)

        self.parents_list = self._lineage_list()
        self.children_list = self._lineage_list()
        lineage_box = QGroupBox("Lineage")
        lineage = QFormLayout(lineage_box)
        lineage.addRow("Made from", self.parents_list)
        lineage.addRow("Used by", self.children_list)

        self.info_label = QLabel()
        self.info_label.setWordWrap(True)
        self.info_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        edit_box = QGroupBox("Rating, tags and notes")
        edit = QFormLayout(edit_box)
        edit.addRow("Rating", self.rating)
        edit.addRow("Tags", self.tags_box)
        edit.addRow("", self.tag_edit)
        edit.addRow("Notes", self.notes_edit)

        details = QWidget()
        details_layout = QVBoxLayout(details)
        details_layout.setContentsMargins(4, 4, 4, 4)
        details_layout.addWidget(self.actions_box)
        self.credentials_box = CredentialsBox()
        for widget in (edit_box, recipe_box, self.credentials_box, lineage_box, self.info_label):
            details_layout.addWidget(widget)
        details_layout.addStretch(1)
        self.details_scroll = QScrollArea()
        self.details_scroll.setWidgetResizable(True)
        self.details_scroll.setWidget(details)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.viewer_stack)
        splitter.addWidget(self.details_scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([560, 440])
        self.viewer_stack.setMinimumHeight(160)
        self.details_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.error_banner)
        layout.addWidget(self.title_label)
        layout.addWidget(splitter, 1)

    def _build_actions(self) -> None:
        def make(text: str, shortcut: str, tip: str, handler: Any) -> QAction:
            action = QAction(text, self)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
            action.triggered.connect(handler)
            self.addAction(action)
            return action

        self.rerun_action = make("Re-run", "Ctrl+R", "Make it again with the same recipe and seed",
                                 lambda: self._emit_id(self.rerun_requested, False))
        self.vary_action = make("Vary", "Ctrl+Shift+R", "Same recipe, new seed",
                                lambda: self._emit_id(self.rerun_requested, True))
        self.use_as_input_action = make("Use as input", "Ctrl+I",
                                        "Use it as the input of a generator",
                                        lambda: self._emit_id(self.use_as_input_requested))
        self.export_action = make("Export…", "Ctrl+E", "Export with provenance",
                                  lambda: self._emit_id(self.export_requested))
        self.copy_action = make("Copy", "Ctrl+Shift+C", "Copy to the clipboard", self.copy)
        self.reveal_action = make("Reveal", "", "Show the file in the file manager", self.reveal)

    def _lineage_list(self) -> QListWidget:
        widget = QListWidget()
        widget.setMaximumHeight(96)
        widget.itemActivated.connect(self._jump)
        widget.itemClicked.connect(self._jump)
        return widget

    # -- public API -----------------------------------------------------------------

    def project(self) -> Project | None:
        """The project the assets come from."""
        return self._project

    def set_project(self, project: Project | None) -> None:
        """Inspect assets of another project (shows nothing until :meth:`show_asset`)."""
        self.save_notes()
        self._project = project
        self._bridge.attach(project)
        self.show_asset(None)

    def asset(self) -> Asset | None:
        """The asset shown."""
        return self._asset

    def viewer(self) -> QWidget | None:
        """The viewer in use, if an asset is shown."""
        current = self.viewer_stack.currentWidget()
        return None if current is self.empty_label else current

    def show_asset(self, asset_id: int | None) -> None:
        """Show the asset with this id (``None``: nothing). Pending notes are saved first."""
        self.save_notes()
        self.error_banner.hide()
        asset: Asset | None = None
        if asset_id is not None and self._project is not None:
            try:
                asset = self._project.get_asset(int(asset_id))
            except AssetNotFoundError as exc:
                self.error_banner.show_error(app_message(exc))
        self._asset = asset
        for action in self.actions():
            action.setEnabled(asset is not None)
        self.details_scroll.setEnabled(asset is not None)
        self._show_in_viewer(asset)
        self._fill(asset)

    def save_notes(self) -> None:
        """Save the notes now if they were edited."""
        self._notes_timer.stop()
        asset = self._asset
        if asset is None or self._project is None:
            return
        text = self.notes_edit.toPlainText()
        if text == asset.notes:
            return
        try:
            self._asset = self._project.set_notes(asset.id, text)
        except Exception as exc:
            self.error_banner.show_error(f"Could not save the notes of #{asset.id}: {exc}")

    def copy(self) -> None:
        """Copy the asset to the clipboard (image, text, or file URL)."""
        if self._asset is None or self._project is None:
            return
        try:
            copy_asset_to_clipboard(self._project, self._asset)
        except (OSError, ValueError) as exc:
            self.error_banner.show_error(f"Could not copy #{self._asset.id}: {exc}")

    def take_frame(self, which: str) -> None:
        """Store the ``which`` ("first"/"last") frame of the shown clip as an image asset, and show it."""
        if self._asset is None or self._project is None or self._asset.kind != "video":
            return
        from genloom.core.frames import extract_frame

        try:
            image = extract_frame(self._project, self._asset, which)
        except (OSError, ValueError, GenloomError) as exc:
            self.error_banner.show_error(f"Could not take the {which} frame of #{self._asset.id}: {app_message(exc)}")
            return
        self.jump_to_asset.emit(image.id)

    def reveal(self) -> None:
        """Open the folder of the asset's file in the file manager."""
        if self._asset is None or self._project is None:
            return
        path = self._project.asset_path(self._asset)
        if not reveal_in_file_manager(path):
            self.error_banner.show_error(f"No file manager could open {path.parent}")

    # -- filling in -----------------------------------------------------------------

    def _show_in_viewer(self, asset: Asset | None) -> None:
        current = self.viewer()
        if current is not None:
            current.clear_view()  # type: ignore[attr-defined]
        if asset is None or self._project is None:
            self.viewer_stack.setCurrentWidget(self.empty_label)
            return
        key = viewer_key(asset.kind, asset.suffix)
        viewer = self._viewers.get(key)
        if viewer is None:
            viewer = viewer_for(key, volume=self._volume)
            self._viewers[key] = viewer
            if hasattr(viewer, "frame_requested"):  # the video viewer: "first/last frame -> image"
                viewer.frame_requested.connect(self.take_frame)
            if hasattr(viewer, "load_failed"):  # the image viewer's background decode
                viewer.load_failed.connect(
                    lambda message: self.error_banner.show_error(f"Cannot show the image: {message}"))
            self.viewer_stack.addWidget(viewer)
        self.viewer_stack.setCurrentWidget(viewer)
        try:
            if key == "midi":
                viewer.load(self._project.asset_path(asset),  # type: ignore[attr-defined]
                            self._rendered_audio(asset))
                return
            if key == "image":  # a large image decodes off the GUI thread (a job's result may be big)
                viewer.load(self._project.asset_path(asset), background=True)  # type: ignore[attr-defined]
                return
            viewer.load(self._project.asset_path(asset))  # type: ignore[attr-defined]
        except (OSError, ValueError, GenloomError) as exc:  # unreadable, damaged row, a link
            self.error_banner.show_error(f"Cannot show #{asset.id}: {app_message(exc)}")

    def _rendered_audio(self, asset: Asset) -> Path | None:
        """Audio rendered from a MIDI asset: the WAV its own job made beside it, else the
        newest WAV made from it (``audio.render_midi``), if still in the project."""
        if self._project is None:
            return None
        candidates: list[int] = []
        if asset.job_id is not None:
            try:
                candidates += list(self._project.jobs.get(asset.job_id).asset_ids)
            except (LookupError, GenloomError):
                pass
        try:
            candidates += [c.id for c in reversed(self._project.children(asset.id))]
        except (LookupError, GenloomError):
            pass
        for asset_id in candidates:
            try:
                sibling = self._project.get_asset(asset_id)
            except (LookupError, GenloomError):
                continue
            if sibling.kind == "audio" and sibling.suffix == ".wav":
                return self._project.asset_path(sibling)
        return None

    def _fill(self, asset: Asset | None) -> None:
        self.title_label.setText(asset_caption(asset) if asset else "")
        self.title_label.setToolTip(asset.prompt if asset else "")
        self._fill_editables(asset)
        self._fill_recipe(asset)
        self.credentials_box.show_asset(self._project, asset)
        self._fill_lineage(asset)
        if asset is None:
            self.info_label.setText("")
            return
        when = datetime.fromtimestamp(asset.created).strftime("%Y-%m-%d %H:%M:%S")
        self.info_label.setText(
            f"#{asset.id} · {asset.kind} · {human_size(asset.size)} · {when}<br>"
            f"<span style='color: gray'>{Path(asset.path).name[:16]}…{asset.suffix}</span>")
        try:
            where = str(self._project.asset_path(asset)) if self._project else ""
        except GenloomError as exc:  # a crafted row or a link on the way: say so
            where = str(exc)
        self.info_label.setToolTip(where)

    def _fill_editables(self, asset: Asset | None, *, notes: bool = True) -> None:
        self.rating.set_rating(asset.rating if asset else 0)
        while self.tags_flow.count():
            item = self.tags_flow.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().hide()  # now; deleteLater waits for the event loop
                item.widget().deleteLater()
        for tag in asset.tags if asset else ():
            self.tags_flow.addWidget(_TagChip(tag, self._remove_tag))
        self.tags_box.updateGeometry()
        if self._project is not None:
            try:
                self.tag_completer.model().setStringList(  # type: ignore[attr-defined]
                    [name for name, _ in self._project.all_tags()])
            except Exception as exc:
                self.error_banner.show_error(f"Could not read the tags: {exc}")
        text = asset.notes if asset else ""
        if notes and self.notes_edit.toPlainText() != text:  # keeps the cursor if unchanged
            self.notes_edit.blockSignals(True)
            self.notes_edit.setPlainText(text)
            self.notes_edit.blockSignals(False)

    def _fill_recipe(self, asset: Asset | None) -> None:
        while self.recipe_form.rowCount():
            self.recipe_form.removeRow(0)
        recipe = asset.recipe if asset else {}
        if asset is not None:
            rows: list[tuple[str, Any]] = [
                ("Generator", _generator_text(recipe.get("generator") or recipe.get("generator_id")
                                              or asset.generator_id or "—")),
                ("Model", _model_text(recipe.get("model") or recipe.get("model_id")
                                      or asset.model_id or "—")),
                ("Seed", recipe.get("seed", "—")),
            ]
            if asset.prompt:
                rows.append(("Prompt", asset.prompt))
            parameters = recipe.get("parameters") or recipe.get("params") or {}
            if isinstance(parameters, dict):
                rows += [(f"  {name}", value) for name, value in parameters.items()]
            shown = {"generator", "generator_id", "model", "model_id", "seed", "params",
                     *RECIPE_SKIP}
            rows += [(name, value) for name, value in recipe.items() if name not in shown]
            for name, value in rows:
                text = _when_text(value) if name == "made" else _value_text(value)
                label = QLabel(text)
                label.setWordWrap(True)
                label.setMinimumWidth(1)  # a long word is cut (see the tooltip), the column is not widened
                if len(text) > 40:
                    label.setToolTip(text[:2000])
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                name_label = QLabel(name)
                name_label.setMinimumWidth(1)  # a plugin's very long parameter name is cut too
                name_label.setToolTip(name.strip())
                self.recipe_form.addRow(name_label, label)
            if not recipe:
                self.recipe_form.addRow(QLabel("No recipe: imported or made outside Genloom."))
        self.raw_json.setPlainText(json.dumps(recipe, indent=2, sort_keys=True))

    def _fill_lineage(self, asset: Asset | None) -> None:
        for widget, getter in ((self.parents_list, "parents"), (self.children_list, "children")):
            widget.clear()
            if asset is None or self._project is None:
                continue
            try:
                related = getattr(self._project, getter)(asset.id)
            except Exception as exc:
                self.error_banner.show_error(f"Could not read the lineage: {exc}")
                continue
            for other in related:
                item = QListWidgetItem(f"#{other.id} · {other.kind} · {asset_caption(other)}")
                item.setData(Qt.ItemDataRole.UserRole, other.id)
                item.setToolTip("Click to show this asset")
                widget.addItem(item)
            if not related:
                item = QListWidgetItem("none")
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                widget.addItem(item)
            widget.setFixedHeight(min(96, 6 + widget.sizeHintForRow(0) * max(1, widget.count())))

    # -- user actions ---------------------------------------------------------------

    def _emit_id(self, signal: Any, *extra: Any) -> None:
        if self._asset is not None:
            signal.emit(self._asset.id, *extra)

    def _jump(self, item: QListWidgetItem) -> None:
        asset_id = item.data(Qt.ItemDataRole.UserRole)
        if asset_id is not None:
            self.jump_to_asset.emit(int(asset_id))

    def _toggle_raw(self, shown: bool) -> None:
        self.raw_json.setVisible(shown)
        self.raw_toggle.setArrowType(Qt.ArrowType.DownArrow if shown
                                     else Qt.ArrowType.RightArrow)

    def _set_rating(self, rating: int) -> None:
        self._apply(lambda p, a: p.set_rating(a.id, rating), "rate")

    def _add_tags(self) -> None:
        names = [t.strip() for t in self.tag_edit.text().split(",") if t.strip()]
        if not names:
            return
        if self._apply(lambda p, a: p.add_tags(a.id, names), "tag"):
            self.tag_edit.clear()

    def _remove_tag(self, tag: str) -> None:
        self._apply(lambda p, a: p.remove_tags(a.id, [tag]), "untag")

    def _apply(self, change: Any, verb: str) -> bool:
        asset = self._asset
        if asset is None or self._project is None:
            return False
        try:
            self._asset = change(self._project, asset)
        except Exception as exc:
            self.error_banner.show_error(f"Could not {verb} #{asset.id}: {app_message(exc)}")
            self._fill_editables(asset)
            return False
        self._fill_editables(self._asset)
        return True

    def _notes_edited(self) -> None:
        self._notes_timer.start()

    # -- project events -------------------------------------------------------------

    def _on_changed(self, asset: Asset) -> None:
        if self._asset is None or asset.id != self._asset.id:
            return
        editing_notes = self._notes_timer.isActive() or self.notes_edit.hasFocus()
        self._asset = asset
        self.title_label.setText(asset_caption(asset))
        self._fill_editables(asset, notes=not editing_notes)  # keep what the user types

    def _on_deleted(self, asset_id: int) -> None:
        if self._asset is not None and asset_id == self._asset.id:
            self._notes_timer.stop()
            self._asset = None
            self.show_asset(None)
        elif self._asset is not None:
            self._fill_lineage(self._asset)

    def _on_added(self, asset: Asset) -> None:
        if self._asset is not None:  # a new child shows up in the lineage
            self._fill_lineage(self._asset)


def _value_text(value: Any) -> str:
    """A recipe value as a person reads it: strings as they are, a flat mapping as
    ``key value, key value`` (libraries: ``torch 2.13.0, diffusers 0.42.1``), else JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value and all(
            isinstance(v, str | int | float | bool) or v is None for v in value.values()):
        return ", ".join(f"{key} {'—' if item is None or item == '' else item}"
                         for key, item in value.items())
    return json.dumps(value, sort_keys=True)


def _when_text(value: Any) -> str:
    """A recipe's ``made`` (a Unix time) as a local date and time; anything else as it is."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        from datetime import datetime

        try:
            return datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")
        except (OverflowError, OSError, ValueError):  # a crafted recipe's impossible time
            pass
    return _value_text(value)


def _generator_text(value: Any) -> str:
    """``procedural.pattern (procedural 0.1.0)`` from the recipe's generator record."""
    if not isinstance(value, dict):
        return _value_text(value)
    plugin = " ".join(str(value[k]) for k in ("plugin", "plugin_version") if value.get(k))
    return f"{value.get('id', '?')} ({plugin})" if plugin else str(value.get("id", "?"))


def _model_text(value: Any) -> str:
    """A model record as its title or id, with where it came from; the full record is in
    the JSON view."""
    if not isinstance(value, dict):
        return _value_text(value)
    name = value.get("title") or value.get("id") or value.get("path") or "?"
    source = value.get("source")
    return f"{name} ({source})" if source else str(name)
