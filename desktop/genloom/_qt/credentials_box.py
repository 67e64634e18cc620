"""The inspector's "Content credentials" section: what an asset's file says about how it was made.

For an imported file, the verdict core's verify gave when it came in (kept in
the asset's metadata as ``credentials``): valid, tampered or absent, who signed
it, the actions, the model, the ingredients, the watermark. For an asset made
here, what its exports will carry. "Check the file" runs verify on the asset's
file now. Every verdict and rule is core's (``genloom.core.credentials.verify``);
this only lays it out.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget

from genloom.core.project import Asset, Project

__all__ = ["CredentialsBox", "credentials_html"]

_VERDICTS = {"valid": "✔ Valid", "tampered": "✖ Tampered: changed after it was signed",
             "absent": "No content credentials", "unreadable": "✖ The credentials cannot be read"}


def credentials_html(data: dict[str, Any], when: str) -> str:
    """The verdict of :class:`~genloom.core.credentials.verify.Verification` (as a dict) as rich text."""
    status = str(data.get("status", "absent"))
    rows = [f"<b>{html.escape(_VERDICTS.get(status, status))}</b> <span style='color: gray'>({when})</span>"]
    if status == "valid":
        trust = "" if data.get("trusted") else " (untrusted: not a root this installation trusts)"
        rows.append(f"Signed by {html.escape(str(data.get('signer', '')))}{trust}: "
                    f"{html.escape(str(data.get('signer_name', '')))}")
    if data.get("claim_generator"):
        rows.append(f"Written by {html.escape(str(data['claim_generator']))}")
    for action in data.get("actions") or []:
        source = str(action.get("digitalSourceType", "")).rsplit("/", 1)[-1]
        rows.append(f"Action {html.escape(str(action.get('action', '')))}"
                    + (f" ({html.escape(source)})" if source else "")
                    + (f" by {html.escape(str(action.get('softwareAgent')))}" if action.get("softwareAgent") else ""))
    model = data.get("model") or {}
    if model:
        rows.append("Model " + html.escape(", ".join(f"{k} {v}" for k, v in model.items())))
    for title in data.get("ingredients") or []:
        rows.append(f"Ingredient {html.escape(str(title))}")
    for problem in (data.get("problems") or [])[:5]:
        rows.append(f"<span style='color: #d9534f'>{html.escape(str(problem))}</span>")
    if data.get("watermark"):
        rows.append("Genloom's invisible watermark is in the pixels")
    return "<br>".join(rows)


class CredentialsBox(QGroupBox):
    """The section; :meth:`show_asset` fills it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Content credentials", parent)
        self._project: Project | None = None
        self._asset: Asset | None = None
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_button = QPushButton("Check the file")
        self.check_button.setToolTip("Verify the content credentials of this asset's file now")
        self.check_button.clicked.connect(self.check_now)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.check_button)

    def show_asset(self, project: Project | None, asset: Asset | None) -> None:
        self._project, self._asset = project, asset
        self.check_button.setEnabled(asset is not None)
        if asset is None:
            self.label.setText("")
        elif isinstance(asset.metadata.get("credentials"), dict):
            self.label.setText(credentials_html(asset.metadata["credentials"], "checked when imported"))
        elif asset.recipe.get("generator") and not asset.recipe.get("imported_from"):
            self.label.setText("Made in Genloom. Its exports carry content credentials signed by this "
                               "installation (and XMP, a watermark for images), as the settings say.")
        else:
            self.label.setText("None found when it was imported.")

    def check_now(self) -> None:
        """Verify the asset's file (after checking it against its hash) and show the verdict."""
        from genloom.core.credentials.verify import verify_file

        if self._project is None or self._asset is None:
            return
        try:
            result = verify_file(self._project.verified_path(self._asset))
        except Exception as exc:  # a damaged file, a bad certificate setting: said in the box
            self.label.setText(html.escape(f"Could not check the file: {exc}"))
            return
        self.label.setText(credentials_html(result.to_dict(), "checked now"))
