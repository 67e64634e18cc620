"""The parameter form, built from a generator's spec.

Each parameter type gets its widget (a text box for a prompt, a spin box with
a slider for a bounded number, a drop-down for choices...), the spec's
description as its tooltip, and an inline error that names what is wrong.
Validation is the spec's own (:meth:`GeneratorSpec.validate_params`): the form
never invents rules of its own.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.resources import icon
from genloom.sdk import (
    COUNT_MAX,
    SEED_MAX,
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    Param,
    ParameterError,
    StringParam,
    check_seed,
)

if TYPE_CHECKING:
    from genloom.sdk.spec import GeneratorSpec

INT32_MAX = 2**31 - 1
ASSET_MIME = "application/x-genloom-asset-id"


class _Field:
    """One parameter's widget, with get/set of its value."""

    def __init__(self, param: Param, widget: QWidget, getter: Any, setter: Any, changed: Any) -> None:
        self.param, self.widget, self.get, self.set, self.changed = param, widget, getter, setter, changed


def _build_field(param: Param) -> _Field:
    if isinstance(param, StringParam):
        if param.multiline:
            edit = QPlainTextEdit()
            edit.setPlaceholderText(param.placeholder or param.description)
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(84 if param.role == "prompt" else 60)
            return _Field(param, edit, edit.toPlainText, edit.setPlainText, edit.textChanged)
        line = QLineEdit()
        line.setPlaceholderText(param.placeholder)
        if param.max_length:
            line.setMaxLength(param.max_length)
        return _Field(param, line, line.text, line.setText, line.textChanged)
    if isinstance(param, BoolParam):
        box = QCheckBox()
        return _Field(param, box, box.isChecked, box.setChecked, box.toggled)
    if isinstance(param, ChoiceParam):
        combo = QComboBox()
        combo.addItems(list(param.choices))
        return _Field(param, combo, combo.currentText, combo.setCurrentText, combo.currentTextChanged)
    if isinstance(param, IntParam):
        spin = QSpinBox()
        spin.setRange(max(param.minimum if param.minimum is not None else -INT32_MAX, -INT32_MAX),
                      min(param.maximum if param.maximum is not None else INT32_MAX, INT32_MAX))
        spin.setSingleStep(param.step or 1)
        if param.special_value:
            # The minimum reads as what it means ("Model default"), never as "0 pixels".
            spin.setSpecialValueText(param.special_value)
        return _with_slider(param, spin, spin.value, spin.setValue, spin.valueChanged, scale=1)
    if isinstance(param, FloatParam):
        spin = QDoubleSpinBox()
        spin.setDecimals(_decimals(param.step))
        spin.setRange(param.minimum if param.minimum is not None else -1e9,
                      param.maximum if param.maximum is not None else 1e9)
        spin.setSingleStep(param.step or 0.1)
        return _with_slider(param, spin, spin.value, spin.setValue, spin.valueChanged,
                            scale=1 / (param.step or 0.1))
    line = QLineEdit()
    return _Field(param, line, line.text, lambda v: line.setText(str(v)), line.textChanged)


def _decimals(step: float) -> int:
    text = f"{step:.6f}".rstrip("0")
    return max(1, len(text.split(".")[1]) if "." in text else 1)


def _with_slider(param: Any, spin: Any, getter: Any, setter: Any, changed: Any, scale: float) -> _Field:
    """A spin box, plus a slider when the range is bounded and not huge."""
    if param.minimum is None or param.maximum is None or (param.maximum - param.minimum) * scale > 10_000:
        return _Field(param, spin, getter, setter, changed)
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(round(param.minimum * scale), round(param.maximum * scale))
    slider.valueChanged.connect(lambda v: spin.setValue(v / scale if scale != 1 else v))
    spin.valueChanged.connect(lambda v: slider.setValue(round(v * scale)))
    spin.setFixedWidth(max(90, spin.sizeHint().width()))  # room for a special value's text
    layout.addWidget(slider, 1)
    layout.addWidget(spin)
    row.setFocusProxy(spin)
    return _Field(param, row, getter, setter, changed)


class SeedRow(QWidget):
    """The seed: a number, a button that rolls a new one, and a lock.

    Unlocked, each generation uses a fresh random seed (the one used is shown
    afterwards, so it can be locked to make the same output again).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit()
        self.edit.setValidator(QRegularExpressionValidator(r"\d{0,10}"))
        self.edit.setPlaceholderText("random")
        self.edit.setToolTip("The seed of the first output; with a count, the others use the next seeds.")
        self.roll = QToolButton()
        self.roll.setText("⟳")
        self.roll.setToolTip("Pick a new random seed")
        self.roll.clicked.connect(lambda: self.edit.setText(str(secrets.randbelow(SEED_MAX + 1))))
        self.lock = QCheckBox("Lock")
        self.lock.setToolTip("Keep this seed for every generation (unlocked: a new random seed each time)")
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.roll)
        layout.addWidget(self.lock)

    def seed(self) -> int | None:
        """The seed to submit: the number when locked (or typed in), else None (random)."""
        text = self.edit.text().strip()
        if not text or not self.lock.isChecked():
            return None
        return check_seed(int(text))  # the SDK's rule, the one the engine applies

    def show_used(self, seed: int) -> None:
        """After a generation: show the seed used (unless the user locked another)."""
        if not self.lock.isChecked():
            self.edit.setText(str(seed))


class InputPicker(QWidget):
    """An input asset slot: shows the chosen asset, takes the gallery selection or a drop."""

    changed = Signal()

    def __init__(self, role: str, kind: str, required: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role, self.kind, self.required = role, kind, required
        self.asset_id: int | None = None
        self.selection_provider: Any = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.label.setObjectName("dim")
        self.use = QPushButton("Use selected")
        self.use.setToolTip(f"Use the {kind} selected in the gallery (or drop one here)")
        self.use.clicked.connect(self._use_selected)
        self.clear = QToolButton()
        self.clear.setIcon(icon("cancel"))
        self.clear.setToolTip("Clear")
        self.clear.clicked.connect(lambda: self.set_asset(None))
        layout.addWidget(self.label, 1)
        layout.addWidget(self.use)
        layout.addWidget(self.clear)
        self.setAcceptDrops(True)
        self.set_asset(None)

    def set_asset(self, asset_id: int | None) -> None:
        self.asset_id = asset_id
        self.label.setText(f"{self.kind} #{asset_id}" if asset_id else f"no {self.kind} chosen")
        self.clear.setEnabled(asset_id is not None)
        self.changed.emit()

    def _use_selected(self) -> None:
        if self.selection_provider is not None:
            asset_id = self.selection_provider()
            if asset_id is not None:
                self.set_asset(asset_id)

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasFormat(ASSET_MIME):
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        data = bytes(event.mimeData().data(ASSET_MIME)).decode()
        if data.strip().isdigit():
            self.set_asset(int(data.strip()))
            event.acceptProposedAction()


class ParamForm(QWidget):
    """The form for one generator: parameters, inputs, seed and count."""

    edited = Signal()

    def __init__(self, spec: GeneratorSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.fields: dict[str, _Field] = {}
        self.errors: dict[str, QLabel] = {}
        self.inputs: dict[str, InputPicker] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        title = QLabel(spec.title)
        title.setObjectName("heading")
        outer.addWidget(title)
        if spec.description:
            about = QLabel(spec.description)
            about.setObjectName("dim")
            about.setWordWrap(True)
            outer.addWidget(about)
        main = QFormLayout()
        main.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # Labels go above their fields when a row does not fit beside them, so a narrow
        # dock reflows the form instead of clipping it.
        main.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        outer.addLayout(main)
        advanced_box = QGroupBox("Advanced")
        advanced = QFormLayout(advanced_box)
        advanced.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for item in spec.inputs:
            picker = InputPicker(item.role, item.kind, item.required)
            picker.setToolTip(item.description or f"A {item.kind} asset")
            picker.changed.connect(self.edited)
            self.inputs[item.role] = picker
            main.addRow(item.title + ("" if item.required else " (optional)"), picker)
            self._add_error_row(main, f"input:{item.role}")
        for param in spec.params:
            field = _build_field(param)
            if param.default is not None:
                field.set(param.default)
            tip = param.description or param.title
            field.widget.setToolTip(tip)
            field.changed.connect(lambda *_, name=param.name: self._clear_error(name))
            field.changed.connect(lambda *_: self.edited.emit())
            self.fields[param.name] = field
            form = advanced if param.advanced else main
            label = QLabel(param.title)
            label.setToolTip(tip)
            form.addRow(label, field.widget)
            self._add_error_row(form, param.name)
        self.model_combo: QComboBox | None = None
        if spec.model_kinds:
            self.model_combo = QComboBox()
            self.model_combo.setToolTip("The model to run: the generator's default, or one from the model "
                                        "library whose kind it can load (" + ", ".join(spec.model_kinds) + ")")
            self.set_models([])
            main.addRow("Model", self.model_combo)
            self._add_error_row(main, "model")
        self.seed = SeedRow()
        self.count = QSpinBox()
        self.count.setRange(1, COUNT_MAX)
        self.count.setToolTip("How many to make; each uses the next seed")
        if spec.uses_seed:
            main.addRow("Seed", self.seed)
            self._add_error_row(main, "seed")
        main.addRow("Count", self.count)
        if advanced.rowCount():
            outer.addWidget(advanced_box)
        outer.addStretch(1)

    def _add_error_row(self, form: QFormLayout, name: str) -> None:
        label = QLabel()
        label.setObjectName("error")
        label.setWordWrap(True)
        label.hide()
        form.addRow("", label)
        self.errors[name] = label

    def _clear_error(self, name: str) -> None:
        label = self.errors.get(name)
        if label is not None:
            label.hide()

    def show_error(self, name: str, message: str) -> None:
        label = self.errors.get(name) or self.errors.get(f"input:{name}")
        if label is None:
            return
        label.setText(message)
        label.show()

    def clear_errors(self) -> None:
        for label in self.errors.values():
            label.hide()

    def set_models(self, choices: list[tuple[str, str]]) -> None:
        """Offer these library models: (label, model key) pairs; the default stays first."""
        if self.model_combo is None:
            return
        current = self.model_combo.currentData()
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        default = self.spec.default_model
        self.model_combo.addItem(f"Default ({default})" if default else "Default", None)
        for label, key in choices:
            self.model_combo.addItem(label, key)
        index = self.model_combo.findData(current)
        self.model_combo.setCurrentIndex(max(0, index))
        self.model_combo.blockSignals(False)

    def model_key(self) -> str | None:
        """The library model chosen (its hash), or None for the generator's default."""
        return self.model_combo.currentData() if self.model_combo is not None else None

    def raw_values(self) -> dict[str, Any]:
        return {name: field.get() for name, field in self.fields.items()}

    def set_values(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name in self.fields:
                self.fields[name].set(value)

    def values(self) -> dict[str, Any]:
        """Validated values; ParameterError (also shown inline) if one is wrong."""
        self.clear_errors()
        try:
            return self.spec.validate_params(self.raw_values())
        except ParameterError as exc:
            self.show_error(exc.param, str(exc))
            raise

    def input_ids(self) -> dict[str, int]:
        return {role: picker.asset_id for role, picker in self.inputs.items() if picker.asset_id is not None}

    def set_input(self, role: str, asset_id: int) -> bool:
        if role in self.inputs:
            self.inputs[role].set_asset(asset_id)
            return True
        return False

    def prompt_field(self) -> str | None:
        for name, field in self.fields.items():
            if getattr(field.param, "role", "") == "prompt":
                return name
        return None
