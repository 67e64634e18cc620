"""Screenshots of the app's main views, taken from a real window.

Run under Xvfb (a real X server, so the window manager-free window renders as
on a desktop):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tests/screenshots.py docs/images

It builds a sample project with assets of every kind, made by the built-in
generators through the real engine and worker (images, audio), plus imported
text, code and (with ffmpeg) a video, then opens the main window and saves one
PNG per view. ``--only chat`` makes only the chat view's picture: a conversation of
several turns with the bundled text model (a regenerated answer, a system prompt)
and a fill-in-the-middle in the code editor, all made by the real worker.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SAMPLE_TEXT = """The loom remembers every thread.
Warp holds still; weft travels; the pattern appears only when both agree.
Draft quickly, keep what works, and let the rest unravel.
"""

SAMPLE_CODE = '''"""Weave a simple twill pattern as text."""

from itertools import cycle


def twill(width: int, height: int, step: int = 2) -> list[str]:
    rows = []
    for y in range(height):
        row = "".join("#" if (x + y) % (step * 2) < step else "." for x in range(width))
        rows.append(row)
    return rows


if __name__ == "__main__":
    for line in twill(24, 8):
        print(line)
'''


def build_sample(project, plugins, workdir: Path) -> None:
    """Fill ``project`` with a few assets of each kind through the real engine."""
    from genloom.core.importing import import_file
    from genloom.core.jobs.engine import Engine

    engine = Engine(project, plugins).start()
    try:
        jobs = []
        for palette, seed in (("aurora", 7), ("ember", 11), ("ocean", 3), ("moss", 21), ("mono", 5)):
            jobs += engine.submit("procedural.pattern", {"palette": palette, "width": 512, "height": 384},
                                  seed=seed)
        if "image.text_to_image" in plugins.generators:
            for prompt, seed in (("red heart", 3), ("smiling cat face", 5), ("thumbs up", 8),
                                 ("green apple", 2), ("sun with face", 4)):
                jobs += engine.submit("image.text_to_image", {"prompt": prompt}, seed=seed)
        if "text.complete" in plugins.generators:
            jobs += engine.submit("text.complete", {"prompt": "A wise man once said"}, seed=7)
        if "code.complete" in plugins.generators:
            jobs += engine.submit("code.complete", {"prompt": "def read_config(path):"}, seed=1)
        jobs += engine.submit("procedural.tones", {"duration": 6.0, "scale": "pentatonic"}, seed=4)
        jobs += engine.submit("procedural.tones", {"duration": 3.0, "waveform": "triangle"}, seed=9)
        done = engine.wait([j.id for j in jobs], timeout=600)
        first_image = done[0].asset_ids[0]
        (vary,) = [engine.rerun(first_image, new_seed=True)]
        engine.wait([vary.id], timeout=120)
    finally:
        engine.stop()
    text = workdir / "loom-notes.txt"
    text.write_text(SAMPLE_TEXT)
    code = workdir / "twill.py"
    code.write_text(SAMPLE_CODE)
    for path in (text, code):
        import_file(project, path, tags=["sample"])
    if shutil.which("ffmpeg"):
        video = workdir / "draft-shot.mp4"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                        "mandelbrot=size=320x240:rate=24", "-f", "lavfi", "-i", "sine=frequency=330",
                        "-t", "3", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-c:a", "aac", "-shortest",
                        str(video)], check=True, timeout=120)
        import_file(project, video, tags=["sample", "draft"])
    for asset in project.list_assets(kind="image")[:2]:
        project.set_rating(asset.id, 4)
        project.add_tags(asset.id, ["moodboard"])


CHAT_TURNS = ("What does the week ahead hold for me?", "Should I learn to weave?",
              "Any advice for a beginner?")


def build_chat(project, plugins) -> int:
    """A conversation of several turns with the bundled text model, one answer regenerated."""
    from genloom.core.conversations import ChatTurns, default_settings
    from genloom.core.jobs.engine import Engine

    engine = Engine(project, plugins).start()
    try:
        store = project.conversations
        settings = default_settings(plugins.generators.values())
        settings["params"] = {"max_new_tokens": 48, "temperature": 0.7,
                              "context_overflow": "drop_oldest"}
        conversation = store.create("Fortunes for the week", settings)
        turns = ChatTurns(engine)
        turns.set_system_prompt(conversation.id, "You tell short, kind fortunes.")
        for seed, text in enumerate(CHAT_TURNS, 1):
            store.update_settings(conversation.id, {**settings, "seed": seed * 7})
            answer = turns.send(conversation.id, text)
            engine.wait([answer.job_id], timeout=300)
            store.settle_job(answer.job_id)
        store.update_settings(conversation.id, settings)
        last = store.thread(conversation.id)[-1]
        again = turns.regenerate(last.id)
        engine.wait([again.job_id], timeout=300)
        store.settle_job(again.job_id)
        return conversation.id
    finally:
        engine.stop()


def shoot_chat(out: Path) -> int:
    """Only the chat view, with a conversation made by the bundled model."""
    home = Path(tempfile.mkdtemp(prefix="genloom-shots-"))
    os.environ["GENLOOM_HOME"] = str(home)
    from genloom.core.plugins import PluginConfig, PluginManager
    from genloom.core.project import Project
    from genloom.core.settings import Settings

    plugins = PluginManager(PluginConfig.from_settings(Settings())).load()
    project_path = home / "projects" / "Chats"
    project = Project.create(project_path, name="Chats")
    build_chat(project, plugins)
    project.close()
    settings = Settings()
    settings.remember_project(project_path)
    settings.save()

    from PySide6.QtWidgets import QApplication

    from genloom._qt.startup import build_window

    app, window = build_window(["genloom-app"])  # the app's own size for a first window
    window.show()
    window.start_engine()

    def settle(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.02)

    settle(2.0)
    # Room for the conversation: the docks are closed as View > Generate/Queue would.
    window.generate_dock.hide()
    window.queue_dock.hide()
    window.show_chat()
    chat = window.chat
    chat.code_button.setChecked(True)
    editor = chat.infill.editor
    editor.setPlainText('def mean(values):\n    """The average of values."""\n    \n\n\n'
                        'print(mean([1, 2, 3]))\n')
    cursor = editor.textCursor()
    cursor.setPosition(len('def mean(values):\n    """The average of values."""\n    '))
    editor.setTextCursor(cursor)
    chat.infill.fill()
    end = time.monotonic() + 300
    while chat.infill.job_id is not None and time.monotonic() < end:
        settle(0.2)
    settle(1.5)
    pixmap = QApplication.primaryScreen().grabWindow(window.winId())
    if pixmap.isNull() or pixmap.width() < 10:
        pixmap = window.grab()
    pixmap.save(str(out / "chat-view.png"))
    print(f"saved {out / 'chat-view.png'}")
    window.close()
    settle(1.0)
    window.stop_engine()
    return 0


def main(out_dir: str, only: str = "") -> int:
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if only == "chat":
        return shoot_chat(out)
    home = Path(tempfile.mkdtemp(prefix="genloom-shots-"))
    os.environ["GENLOOM_HOME"] = str(home)
    from genloom.core.plugins import PluginConfig, PluginManager
    from genloom.core.project import Project
    from genloom.core.settings import Settings

    plugins = PluginManager(PluginConfig.from_settings(Settings())).load()
    project_path = home / "projects" / "Moodboard"
    project = Project.create(project_path, name="Moodboard")
    build_sample(project, plugins, home)
    project.close()
    settings = Settings()
    settings.remember_project(project_path)
    settings.save()

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from genloom._qt.startup import build_window

    # The window keeps the size and place the app gives a first window on this screen
    # (a scripted resize kept the centred position and pushed the right edge off screen).
    app, window = build_window(["genloom-app"])
    window.show()
    window.start_engine()

    def settle(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.02)

    def shoot(name: str, widget=None) -> None:
        settle(0.6)
        target = widget or window
        screen = QApplication.primaryScreen()
        pixmap = screen.grabWindow(target.winId()) if widget is None else target.grab()
        if pixmap.isNull() or pixmap.width() < 10:
            pixmap = target.grab()
        pixmap.save(str(out / f"{name}.png"))
        print(f"saved {out / f'{name}.png'}")

    settle(2.0)
    by_kind = {kind: window.project.list_assets(kind=kind, limit=1) for kind in
               ("image", "audio", "text", "code", "video")}
    window.generate_panel.picker.select("procedural.pattern")
    if by_kind["image"]:
        window.jump_to_asset(by_kind["image"][0].id)
    shoot("main-window")
    for kind in ("audio", "code", "video", "text"):
        if by_kind[kind]:
            window.jump_to_asset(by_kind[kind][0].id)
            settle(1.0)
            shoot(f"inspector-{kind}")
    # A running job with its progress and preview in the queue.
    window.generate_panel.form.set_values({"width": 2048, "height": 2048, "octaves": 10})
    window.generate_panel.generate()
    settle(2.5)
    shoot("queue-running")
    from genloom._qt.dialogs import PluginDialog

    dialog = PluginDialog(window.plugins, window.settings, window)
    dialog.show()
    shoot("plugins-dialog", dialog)
    dialog.close()
    QTimer.singleShot(0, window.close)
    settle(1.0)
    window.stop_engine()
    return 0


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--only")]
    only = next((a.split("=", 1)[1] if "=" in a else "chat" for a in sys.argv[1:]
                 if a.startswith("--only")), "")
    raise SystemExit(main(arguments[0] if arguments else "docs/images", only))
