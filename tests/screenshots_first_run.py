"""Screenshots of a new user's first run, from a fresh GENLOOM_HOME, taken as the app starts.

Run under Xvfb (a real X server; the window is sized by the app itself, never by this script):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tests/screenshots_first_run.py docs/images

It starts the app exactly as ``genloom-app`` does (frame first, filled after the first
paint, the engine started), saves the window as it first appears (``first-run.png``), then
generates "red heart" with the bundled emoji model through the Generate button and saves
the window once the finished asset is shown in the inspector (``first-run-generated.png``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def main(out_dir: str) -> int:
    target = Path(out_dir).resolve()
    target.mkdir(parents=True, exist_ok=True)
    os.environ["GENLOOM_HOME"] = tempfile.mkdtemp(prefix="genloom-first-run-")

    from genloom._qt.startup import after_first_paint, finish_startup, start_application

    app, window, _settings = start_application(["genloom-app"])

    def complete() -> None:
        finish_startup(window, ["genloom-app"])
        window.start_engine()

    _watcher = after_first_paint(window, complete)
    window.show()

    def wait(condition, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            app.processEvents()
            if condition():
                return True
            time.sleep(0.02)
        return False

    if not wait(lambda: window.ready and window.engine is not None, 60):
        print("the window was not filled within 60 s", file=sys.stderr)
        return 1
    wait(lambda: False, 1.5)  # thumbnails, fonts and the first layout settle
    window.grab().save(str(target / "first-run.png"))
    print(f"first run: window {window.width()}x{window.height()} on a "
          f"{window.screen().availableGeometry().width()}x{window.screen().availableGeometry().height()} screen, "
          f"generator {window.generate_panel.form.spec.id}")

    panel = window.generate_panel
    panel.form.set_values({panel.form.prompt_field(): "red heart"})
    panel.generate_button.click()
    if not wait(lambda: window.inspector.asset() is not None, 600):
        print("no asset was shown within 600 s", file=sys.stderr)
        return 1
    wait(lambda: False, 2.0)
    window.grab().save(str(target / "first-run-generated.png"))
    asset = window.inspector.asset()
    print(f"generated: asset {asset.id} selected, seed {asset.recipe.get('seed')}")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/images"))
