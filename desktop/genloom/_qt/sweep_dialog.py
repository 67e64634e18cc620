"""The Sweep dialog: up to three axes over the Generate panel's generator.

Each row names what to sweep (a parameter of the spec, ``seed``, ``model`` or
``prompt_sr``, or ``NAME_sr`` for search/replace in a text parameter) and its values in
core's words (``10,20,30``, ``1..4``, ``3..9:3``); the
rest comes from the form. Core checks the whole sweep before anything is queued
(:func:`genloom.core.evaluation.sweeps.submit_sweep`); a refusal is shown here and the
dialog stays open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from genloom.core.evaluation.sweeps import MAX_AXES, SPECIAL_AXES
from genloom.sdk.params import StringParam

if TYPE_CHECKING:
    from genloom.sdk.spec import GeneratorSpec

__all__ = ["SweepDialog"]

_NONE = "(none)"
_HINTS = {"seed": "1..4", "model": "model-a, model-b", "prompt_sr": "cat, dog, fox",
          "loras_sr": "=0.4, =0.8, =1.2"}


class SweepDialog(QDialog):
    """Define the axes; ``submit(axes)`` queues them and returns an error text or None."""

    def __init__(self, spec: GeneratorSpec, submit: Callable[[list[str]], str | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Sweep {spec.title}")
        self._submit = submit
        names = [n for n in SPECIAL_AXES if n != "seed" or spec.uses_seed]
        if not any(getattr(p, "role", "") == "prompt" for p in spec.params):
            names.remove("prompt_sr")
        names += [p.name for p in spec.params]
        # search/replace in a text parameter (a LoRA's weight in the image plugin's "loras")
        names += [f"{p.name}_sr" for p in spec.params
                  if isinstance(p, StringParam) and getattr(p, "role", "") != "prompt"]
        grid = QGridLayout()
        grid.addWidget(QLabel("Axis"), 0, 0)
        grid.addWidget(QLabel("Values"), 0, 1)
        self.names: list[QComboBox] = []
        self.values: list[QLineEdit] = []
        for row, title in enumerate(("X (across)", "Y (down)", "Z (one grid each)")[:MAX_AXES]):
            combo = QComboBox()
            combo.addItems([_NONE, *names])
            combo.setToolTip(title)
            edit = QLineEdit()
            edit.setPlaceholderText("10, 20, 30  or  1..4  or  3..9:3")
            combo.currentTextChanged.connect(lambda name, e=edit: e.setPlaceholderText(
                _HINTS.get(name, "10, 20, 30  or  1..4  or  3..9:3")))
            grid.addWidget(QLabel(title), row + 1, 2)
            grid.addWidget(combo, row + 1, 0)
            grid.addWidget(edit, row + 1, 1)
            self.names.append(combo)
            self.values.append(edit)
        self.message = QLabel("The other parameters, the seed and the inputs come from the "
                              "form. The grid is made when every cell has run.")
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.run_button = buttons.addButton("Queue sweep", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.queue)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def set_axis(self, row: int, name: str, values: str) -> None:
        self.names[row].setCurrentText(name)
        self.values[row].setText(values)

    def axes(self) -> list[str]:
        """``NAME=VALUES`` for each row with a name chosen."""
        return [f"{combo.currentText()}={edit.text().strip()}"
                for combo, edit in zip(self.names, self.values, strict=True)
                if combo.currentText() != _NONE]

    def queue(self) -> None:
        error = self._submit(self.axes())
        if error is None:
            self.accept()
            return
        self.message.setObjectName("error")
        self.message.setStyleSheet("color: #e06c75;")
        self.message.setText(error)
