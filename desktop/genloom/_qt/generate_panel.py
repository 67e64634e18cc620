"""The Generate panel: the generator picker, the chosen generator's form and the Generate button."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.dock_layout import LEFT_MIN_WIDTH
from genloom._qt.generator_picker import GeneratorPicker
from genloom._qt.param_form import ParamForm
from genloom._qt.remedies import app_message
from genloom._qt.resources import icon
from genloom.core.generators import accepting, first_generator
from genloom.sdk.errors import GenloomError, ParameterError

if TYPE_CHECKING:
    from genloom._qt.project_controller import ProjectController
    from genloom._qt.sweep_dialog import SweepDialog
    from genloom.core.jobs.engine import Engine
    from genloom.core.project import Asset, Job


#: The generator list's first height: about a dozen rows (groups and generators), not four.
PICKER_HEIGHT = 300
#: The most of a short panel's height the list takes (a laptop's 768 px screen leaves the
#: panel about 340 px): the form, with the prompt and the settings, keeps the rest.
PICKER_SHARE = 0.4


class PickerFormSplit(QSplitter):
    """The generator list over the form. Until the user drags the handle, the list is
    :data:`PICKER_HEIGHT` tall or :data:`PICKER_SHARE` of the height, whichever is less;
    the form takes the rest (on a 768 px screen it was left one squeezed row)."""

    def __init__(self) -> None:
        super().__init__(Qt.Orientation.Vertical)
        self.dragged = False
        self.splitterMoved.connect(self._on_moved)  # a user's drag (setSizes does not emit it)

    def _on_moved(self, *_: Any) -> None:
        self.dragged = True

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if not self.dragged and self.count() == 2:
            total = sum(self.sizes())
            picker = min(PICKER_HEIGHT, round(total * PICKER_SHARE))
            self.setSizes([picker, total - picker])


class GeneratePanel(QWidget):
    """Pick a generator, fill its form, queue it on the open project's engine.

    Errors from the spec's validation appear beside their field; other errors from
    the engine under the form. The panel follows ``projects`` for the engine (the
    button is enabled only while one runs) and the model library (the models offered).
    """

    status = Signal(str, int)  # a status line and how long to show it (ms)

    def __init__(self, projects: ProjectController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.projects = projects
        self.form: ParamForm | None = None  # the form of the chosen generator
        #: The asset the user is looking at (an input slot's "Use selected" takes it).
        self.selection_provider: Callable[[], int | None] | None = None

        self.picker = GeneratorPicker()
        self.form_area = QScrollArea()
        self.form_area.setWidgetResizable(True)
        self.form_area.setFrameShape(QScrollArea.Shape.NoFrame)
        # A form is never clipped sideways: it scrolls only up and down, and the panel
        # (so the dock) is at least as wide as the form needs (see _fit_form).
        self.form_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.generate_button = QPushButton(icon("generate", "#ffffff"), "Generate")
        self.generate_button.setObjectName("primary")
        self.generate_button.setToolTip("Queue this generator with these settings (Ctrl+Enter)")
        self.generate_button.clicked.connect(self.generate)
        self.generate_button.setEnabled(False)
        self.form_message = QLabel()
        self.form_message.setObjectName("error")
        self.form_message.setWordWrap(True)
        self.form_message.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.split = split = PickerFormSplit()
        split.addWidget(self.picker)
        split.addWidget(self.form_area)
        split.setSizes([PICKER_HEIGHT, 520])
        split.setStretchFactor(1, 1)  # a taller panel gives the form the extra height
        layout.addWidget(split, 1)
        layout.addWidget(self.form_message)
        self.sweep_button = QPushButton("Sweep…")
        self.sweep_button.setToolTip("Run this generator over a grid of up to three parameters "
                                     "and get a labelled grid of the results")
        self.sweep_button.clicked.connect(lambda: self.open_sweep())
        self.sweep_button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.generate_button, 1)
        row.addWidget(self.sweep_button)
        layout.addLayout(row)
        self.setMinimumWidth(LEFT_MIN_WIDTH)

        self.picker.generator_selected.connect(self.show_generator)
        projects.engine_changed.connect(self._on_engine)
        projects.models_changed.connect(self.offer_models)
        self.picker.set_generators(list(projects.plugins.generators.values()))

    # -- choosing a generator -----------------------------------------------------------

    def select_first_generator(self) -> None:
        """Show the generator core picks for a start: the last one used, else one a new
        user can run at once (Text to image with the built-in plugins)."""
        spec = first_generator(self.projects.plugins.generators.values(), self.projects.settings.last_generator)
        if spec is not None:
            self.picker.select(spec.id)

    def show_generator(self, generator_id: str) -> None:
        """Show the form of ``generator_id`` (the prompt carries over from the previous form)."""
        spec = self.projects.plugins.generators.get(generator_id)
        if spec is None:
            return
        previous = self.form
        self.form = ParamForm(spec)
        self.offer_models()
        for picker in self.form.inputs.values():
            picker.selection_provider = self.selection_provider
        if previous is not None:
            old_prompt, new_prompt = previous.prompt_field(), self.form.prompt_field()
            if old_prompt and new_prompt:
                self.form.set_values({new_prompt: previous.raw_values()[old_prompt]})
        self.form_area.setWidget(self.form)
        self.form.installEventFilter(self)  # its minimum width may change later (errors shown)
        self._fit_form()
        self.form_message.hide()
        self.generate_button.setEnabled(self.projects.engine is not None)
        self.sweep_button.setEnabled(self.projects.engine is not None)
        self._remember(spec.id)

    def form_width_needed(self) -> int:
        """The panel width at which the current form shows whole: its minimum width, the
        vertical scroll bar and the panel's margins."""
        if self.form is None:
            return LEFT_MIN_WIDTH
        margins = self.layout().contentsMargins()
        bar = self.form_area.verticalScrollBar().sizeHint().width()
        return self.form.minimumSizeHint().width() + bar + margins.left() + margins.right() + 2

    def _fit_form(self) -> None:
        if self.form is not None and self.form.layout() is not None:
            self.form.layout().activate()  # the minimum width as it is now, not as last laid out
        self.setMinimumWidth(max(LEFT_MIN_WIDTH, self.form_width_needed()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.form and event.type() == QEvent.Type.LayoutRequest:
            self._fit_form()
        return False

    def _remember(self, generator_id: str) -> None:
        """Keep the generator for the next start (settings are small; a failed save is no reason
        to stop the user, who is told in the status bar)."""
        settings = self.projects.settings
        if settings.last_generator == generator_id:
            return
        settings.last_generator = generator_id
        try:
            settings.save()
        except (OSError, ValueError) as exc:  # SettingsError is a ValueError
            self.status.emit(f"could not save settings: {exc}", 6000)

    def offer_models(self) -> None:
        """Offer the form's generator the library models of a kind it loads."""
        library = self.projects.library
        if self.form is None or library is None or not self.form.spec.model_kinds:
            return
        kinds = set(self.form.spec.model_kinds)
        choices = [(f"{m.title}  [{m.architecture or m.kind}]", m.hash) for m in library.models(status="ok")
                   if m.kind in kinds and not m.details.get("bundled_id") == self.form.spec.default_model]
        self.form.set_models(choices)

    def _on_engine(self, engine: Engine | None) -> None:
        self.generate_button.setEnabled(engine is not None and self.form is not None)
        self.sweep_button.setEnabled(engine is not None and self.form is not None)

    # -- generating ---------------------------------------------------------------------

    def _licence_accepted(self, model: dict[str, Any]) -> bool:
        """Before a model with a restrictive licence is first used: say so, and go on only if asked to."""
        from PySide6.QtWidgets import QMessageBox

        from genloom.core.models import licences

        settings = self.projects.settings
        text = licences.notice(model, settings)
        if text is None:
            return True
        answer = QMessageBox.question(self, "A licence that restricts use",
                                      text[0].upper() + text[1:] + ".\n\nGenerate with it?")
        if answer != QMessageBox.StandardButton.Yes:
            return False
        licences.acknowledge(model, settings)
        return True

    def generate(self) -> list[Job]:
        """Validate the form and queue the jobs; errors appear beside the field."""
        engine, library = self.projects.engine, self.projects.library
        if self.form is None or engine is None:
            return []
        self.form_message.hide()
        try:
            values = self.form.values()
            model_key = self.form.model_key()
            model = library.model_ref(model_key) if model_key and library is not None else None
            if model is not None and not self._licence_accepted(model.to_dict()):
                return []
            jobs = engine.submit(self.form.spec.id, values, seed=self.form.seed.seed(),
                                 count=self.form.count.value(), inputs=self.form.input_ids(), model=model)
        except ParameterError as exc:
            self.form.show_error(exc.param, str(exc))
            if exc.param not in self.form.errors:
                self._form_error(app_message(exc))
            return []
        except GenloomError as exc:
            self._form_error(app_message(exc))
            return []
        if jobs and self.form.spec.uses_seed:
            self.form.seed.show_used(jobs[0].seed)
        self.status.emit(f"queued {len(jobs)} job(s)", 4000)
        return jobs

    def open_sweep(self, exec_dialog: bool = True) -> SweepDialog | None:
        """The Sweep dialog over the form's generator (shown modal unless ``exec_dialog`` is
        False, for tests)."""
        from genloom._qt.sweep_dialog import SweepDialog

        if self.form is None:
            return None
        dialog = SweepDialog(self.form.spec, self.sweep, self)
        if exec_dialog:
            dialog.exec()
        return dialog

    def sweep(self, axes: list[str]) -> str | None:
        """Queue a sweep of ``axes`` with the form's other values; the error text, or None."""
        from genloom.core.evaluation.sweeps import submit_sweep

        engine, library = self.projects.engine, self.projects.library
        if self.form is None or engine is None:
            return "No project is open to run the sweep in."
        try:
            names = {axis.partition("=")[0].strip() for axis in axes}
            values = {k: v for k, v in self.form.values().items() if k not in names}
            model_key = self.form.model_key()
            model = library.model_ref(model_key) if model_key and library is not None else None
            if model is not None and not self._licence_accepted(model.to_dict()):
                return "The model's licence was not accepted."
            seed = None if "seed" in names or not self.form.spec.uses_seed else self.form.seed.seed()
            made = submit_sweep(engine, self.form.spec.id, axes, values, seed=seed,
                                inputs=self.form.input_ids(), model=None if "model" in names else model)
        except GenloomError as exc:
            return app_message(exc)
        self.status.emit(f"queued a sweep of {len(made.cell_jobs)} jobs; its grid follows", 6000)
        return None

    def _form_error(self, text: str) -> None:
        self.form_message.setText(text)
        self.form_message.show()

    # -- assets as inputs ------------------------------------------------------------------

    def use_as_input(self, asset_id: int | None) -> None:
        """Feed an asset to a generator: into a matching input slot (switching to a generator
        that takes that kind if needed), or a text asset into the prompt."""
        if asset_id is None:
            return
        project = self.projects.project
        asset = project.get_asset(asset_id)
        if self.form is not None:
            # The first empty slot of the asset's kind, else the first of that kind: two images in
            # a row fill both slots of a two-image generator (interpolation) instead of one twice.
            slots = [role for role, picker in self.form.inputs.items() if picker.kind == asset.kind]
            empty = [role for role in slots if self.form.inputs[role].asset_id is None]
            if slots:
                self.form.set_input((empty or slots)[0], asset_id)
                return
        if asset.kind in ("text", "code") and self.form is not None and self.form.prompt_field():
            text = project.asset_path(asset).read_text(encoding="utf-8", errors="replace")
            self.form.set_values({self.form.prompt_field(): text})
            return
        slots = accepting(self.projects.plugins.generators.values(), asset.kind)
        if not slots:
            self.status.emit(f"no installed generator takes a {asset.kind} as input", 6000)
            return
        self.picker.select(slots[0].generator.id)
        if self.form is not None:
            self.form.set_input(slots[0].role, asset_id)

    def inpaint(self, image: Asset, mask: Asset) -> bool:
        """Put an image and its mask into an inpainting form (switching generator if needed).

        False, with a status line, when no installed generator takes both.
        """
        if self.form is None or "mask" not in self.form.inputs:
            found = accepting(self.projects.plugins.generators.values(), "image", roles=("image", "mask"))
            if not found:
                self.status.emit("mask saved; no installed generator does inpainting", 6000)
                return False
            self.picker.select(found[0].generator.id)
        assert self.form is not None  # the picker's selection built it
        self.form.set_input("image", image.id)
        self.form.set_input("mask", mask.id)
        return True
