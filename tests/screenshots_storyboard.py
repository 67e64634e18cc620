"""Screenshots of the Storyboard view, from a real window with real takes.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tests/screenshots_storyboard.py docs/images

It imports a short Fountain script into a board, makes keyframes with the bundled
text-to-image model and a music bed with the tone sketcher through the real engine
and worker, renders the draft cut, then opens the app on the Storyboard tab and
saves ``storyboard.png`` and the board's contact sheet ``storyboard-contact-sheet.png``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = """Title: The Lighthouse Keeper

EXT. LIGHTHOUSE - DUSK

A white lighthouse on a black rock, waves breaking. The camera pushes in.

KEEPER (V.O.)
Every night the same light.

INT. LAMP ROOM - NIGHT

An old brass lamp turns slowly; the glass glows orange.

EXT. SEA - NIGHT

A small red boat on dark water pans left into the beam.

KEEPER
There you are.

EXT. BEACH - DAWN

Footprints in wet sand lead to the tide line. The camera pulls back.
"""


def main(out_dir: str) -> int:
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="genloom-board-shots-"))
    os.environ["GENLOOM_HOME"] = str(home)
    from genloom.core.boards import Boards
    from genloom.core.boards.cut import queue_cut
    from genloom.core.boards.exchange import export_board
    from genloom.core.boards.script import import_script
    from genloom.core.boards.takes import queue_takes
    from genloom.core.boards.timeline import board_timeline
    from genloom.core.jobs.engine import Engine
    from genloom.core.plugins import PluginConfig, PluginManager
    from genloom.core.project import Project
    from genloom.core.settings import Settings

    plugins = PluginManager(PluginConfig.from_settings(Settings())).load()
    project_path = home / "projects" / "Lighthouse"
    project = Project.create(project_path, name="Lighthouse")
    boards = Boards(project)
    script = home / "lighthouse.fountain"
    script.write_text(SCRIPT)
    board_id, _ = import_script(boards, script)
    boards.set_style(board_id, style_suffix="storybook illustration, soft light", seed=7)
    engine = Engine(project, plugins, Settings()).start()
    jobs = queue_takes(engine, boards, board_id, tracks=("picture", "music"))
    engine.wait([j.id for j in jobs], timeout=1800)
    first = boards.shots(board_id)[0]
    more = queue_takes(engine, boards, board_id, [first.id], tracks=("picture",))
    engine.wait([j.id for j in more], timeout=600)
    cut = queue_cut(engine, boards, board_id, width=640, height=360, slate=2.0)
    engine.wait([cut.id], timeout=1800)
    engine.stop()
    export_board(board_timeline(boards, board_id), out / "storyboard-contact-sheet.png",
                 "contact-sheet")
    project.close()
    settings = Settings()
    settings.remember_project(project_path)
    settings.save()

    from PySide6.QtWidgets import QApplication

    from genloom._qt.startup import build_window

    app, window = build_window(["genloom-app"])
    window.show()

    def settle(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.02)

    settle(2.0)
    window.show_storyboard()
    settle(1.5)
    pixmap = QApplication.primaryScreen().grabWindow(window.winId())
    if pixmap.isNull() or pixmap.width() < 10:
        pixmap = window.grab()
    pixmap.save(str(out / "storyboard.png"))
    print(f"saved {out / 'storyboard.png'}")
    window.close()
    settle(0.5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/images"))
