"""Screenshots of the first run's welcome and of Help > Diagnostics, from the real start-up
(the engine and its worker make the examples), on a fresh home with a ComfyUI folder and a
Hugging Face cache for the welcome to find:

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tests/screenshots_welcome.py docs/images
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def main(out: Path) -> int:
    home = Path(tempfile.mkdtemp(prefix="genloom-welcome-shot-"))
    os.environ["HOME"] = str(home)
    os.environ["GENLOOM_HOME"] = str(home / "genloom")
    os.environ["HF_HOME"] = str(home / ".cache" / "huggingface")
    (home / "ComfyUI" / "comfy").mkdir(parents=True)
    (home / "ComfyUI" / "models" / "checkpoints").mkdir(parents=True)
    (home / ".cache" / "huggingface" / "hub" / "models--org--tiny").mkdir(parents=True)

    from PySide6.QtWidgets import QApplication

    from genloom._qt.startup import finish_startup, start_application
    from genloom._qt.welcome import CHECKING_DEVICE, welcome

    app, window, _settings = start_application(["genloom-app"])
    window.show()
    first_run = finish_startup(window, ["genloom-app"])
    window.start_engine()
    assert first_run
    dialog = welcome(window)
    assert dialog is not None
    # Wait for the device line and the first examples (the pattern, the tune).
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        app.processEvents()
        done = [j for j in window.project.jobs.list() if j.state == "done"]
        if dialog.device.text() != CHECKING_DEVICE and len(done) >= 2:
            break
        time.sleep(0.05)
    for _ in range(40):
        app.processEvents()
        time.sleep(0.05)
    screen = QApplication.primaryScreen()
    screen.grabWindow(0).save(str(out / "first-run-welcome.png"))
    dialog.accept()
    window.show_diagnostics()
    diagnostics = window.diagnostics_dialog
    while not diagnostics.copy_button.isEnabled() and time.monotonic() < deadline + 120:
        app.processEvents()
        time.sleep(0.05)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.05)
    screen.grabWindow(0).save(str(out / "diagnostics.png"))
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images").resolve()))
