"""The Generate panel: the generator picker, the chosen generator's form and the Generate button."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
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
from genloom.core.generators import accepting
from genloom.sdk.errors import GenloomError, ParameterError

if TYPE_CHECKING:
    from genloom._qt.project_controller import ProjectController
    from genloom.core.jobs.engine import Engine
    from genloom.core.project import Asset, Job


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
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.picker)
        split.addWidget(self.form_area)
        split.setSizes([220, 520])
        layout.addWidget(split, 1)
        layout.addWidget(self.form_message)
        row = QHBoxLayout()
        row.addWidget(self.generate_button, 1)
        layout.addLayout(row)
        self.setMinimumWidth(LEFT_MIN_WIDTH)

        self.picker.generator_selected.connect(self.show_generator)
        projects.engine_changed.connect(self._on_engine)
        projects.models_changed.connect(self.offer_models)
        self.picker.set_generators(list(projects.plugins.generators.values()))

    # -- choosing a generator -----------------------------------------------------------

    def select_first_generator(self) -> None:
        """Show the first generator: the first image one by title, else the first by title."""
        specs = sorted(self.projects.plugins.generators.values(), key=lambda s: (s.modality != "image", s.title))
        if specs:
            self.picker.select(specs[0].id)

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
        self.form_message.hide()
        self.generate_button.setEnabled(self.projects.engine is not None)

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

    # -- generating ---------------------------------------------------------------------

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
            for role, picker in self.form.inputs.items():
                if picker.kind == asset.kind:
                    self.form.set_input(role, asset_id)
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
