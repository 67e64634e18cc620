"""The app's local API: started with the engine when Settings > Local API is on, shown in
the status bar with its address while it runs.

The server is :class:`genloom.api.server.ApiServer` on the app's own engine (the whole
queue), on 127.0.0.1 only; the app never listens on another address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QWidget

from genloom.sdk.errors import GenloomError

if TYPE_CHECKING:
    from genloom._qt.project_controller import ProjectController
    from genloom.api.server import ApiServer
    from genloom.core.jobs.engine import Engine


class ApiController(QObject):
    """Runs the API while the setting is on and an engine runs; says what it is doing."""

    #: The status line: "" when off, else the address or why it could not start.
    state_changed = Signal(str)

    def __init__(self, projects: ProjectController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.projects = projects
        self.server: ApiServer | None = None
        self.error = ""
        projects.engine_changed.connect(self._on_engine)

    @property
    def url(self) -> str:
        return self.server.url if self.server is not None else ""

    def apply_settings(self) -> None:
        """Start or stop the server to match the settings (after the settings dialog)."""
        self._on_engine(self.projects.engine)

    def _on_engine(self, engine: Engine | None) -> None:
        self.stop()
        if engine is None or not self.projects.settings.api_enabled:
            self.state_changed.emit("")
            return
        from genloom.api.server import ApiServer

        try:
            self.server = ApiServer(engine, "127.0.0.1", self.projects.settings.api_port).start()
        except (GenloomError, OSError) as exc:
            self.server = None
            self.error = str(exc)
            self.state_changed.emit(f"API off: {exc}")
            return
        self.error = ""
        self.state_changed.emit(f"API on {self.server.url}")

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


class ApiIndicator(QLabel):
    """The status bar's word on the API: hidden while it is off."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("api-status")
        self.hide()

    def follow(self, controller: ApiController) -> None:
        """Show ``controller``'s state from now on."""
        controller.state_changed.connect(self._show_state)
        self._show_state(f"API on {controller.url}" if controller.server is not None else "")

    def _show_state(self, text: str) -> None:
        self.setText(text)
        self.setToolTip("The local API serves this project to scripts and other apps (token: "
                        "api-token in Genloom's config folder); turn it off in Settings"
                        if text.startswith("API on") else text)
        self.setVisible(bool(text))
