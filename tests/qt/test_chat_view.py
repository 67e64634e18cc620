"""The chat view in the app window, driven as a person would: sending, streaming, stop,
regenerate, edit, continue, branches, code blocks and infill, with the bundled text model and
a tiny Llama with a chat template built for the test (real worker process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from genloom._qt.main_window import MainWindow
from genloom.core.settings import Settings

TIMEOUT = 240_000
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tiny_chat_llama(tmp_path_factory) -> Path:
    """A tiny random Llama whose tokenizer has a chat template, saved with save_pretrained;
    built in a subprocess, so that this process (the app's UI) stays without torch."""
    out = tmp_path_factory.mktemp("tiny-chat-llama")
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                    "from tests.plugins.genloom_text.tiny_models import build_llama; "
                    "build_llama(Path(sys.argv[1]))", str(out)],
                   check=True, cwd=ROOT, timeout=600)
    assert "add_generation_prompt" in (out / "chat_template.jinja").read_text()
    return out


@pytest.fixture
def window(qtbot, genloom_plugins, genloom_project):
    win = MainWindow(Settings(), genloom_plugins(entry_points=True), genloom_project)
    qtbot.addWidget(win)
    win.show()
    win.start_engine()
    yield win
    win.stop_engine()


def _chat(window, max_new_tokens=40, model=None, seed=None):
    """A new conversation; ``seed`` fixes the thread's seed (regenerating still draws a new
    one), so a test that needs a long answer, or a cut-off one that goes on, gets it."""
    window.show_chat(new=True)
    chat = window.chat
    settings = dict(chat.store.get(chat.conversation_id).settings)
    settings["params"] = {**settings.get("params", {}), "max_new_tokens": max_new_tokens}
    if model is not None:
        settings["model"] = model
    if seed is not None:
        settings["seed"] = seed
    chat.store.update_settings(chat.conversation_id, settings)
    chat.show_conversation(chat.conversation_id)
    return chat


def _last_turn(chat):
    """The answer a click just asked for: the last message of the thread, read from the store.
    (``chat._streaming`` is None again once the answer has settled, which a short answer from
    an unloaded machine may do before the click returns.)"""
    return chat.store.thread(chat.conversation_id)[-1]


def _settled(qtbot, chat, message):
    qtbot.waitUntil(lambda: chat.store.message(message.id).state != "pending", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: chat.bubbles and chat.bubbles[-1].message.state != "pending",
                    timeout=TIMEOUT)
    return chat.store.message(message.id)


def test_send_streams_then_stop_keeps_the_text_and_regenerate_makes_a_branch(qtbot, window):
    # Seed 33: the bundled fortune model answers this in 137 tokens, time to press Stop
    # while it streams (with a seed drawn at random most answers end within 30 tokens,
    # and a fast machine finished before the click: CI saw 'done' instead of 'cancelled').
    chat = _chat(window, max_new_tokens=400, seed=33)
    assert window.centre_tabs.currentWidget() is chat
    chat.composer.setPlainText("Tell me a long fortune")
    qtbot.mouseClick(chat.send_button, _left())
    assert chat.composer.toPlainText() == ""
    pending = chat._streaming
    assert pending is not None and chat.stop_button.isEnabled()
    assert [b.message.role for b in chat.bubbles] == ["user", "assistant"]
    # Token by token: the answer's bubble grows while the job runs.
    qtbot.waitUntil(lambda: len(chat._streamed) > 0, timeout=TIMEOUT)
    first_seen = chat.bubbles[-1].text()
    assert first_seen and chat.store.message(pending.id).state == "pending"
    qtbot.mouseClick(chat.stop_button, _left())
    stopped = _settled(qtbot, chat, pending)
    assert stopped.state == "cancelled" and stopped.content.startswith(first_seen.rstrip("…"))
    bubble = chat.bubbles[-1]
    assert bubble.text() == stopped.content.strip("\n") or stopped.content.strip() in bubble.text()
    assert "Stopped" in bubble.note.text() and bubble.continue_button.isVisibleTo(bubble)

    # Regenerate: a sibling with its own seed, shown; the switcher goes back to the first.
    settings = dict(chat.store.get(chat.conversation_id).settings)
    settings["params"]["max_new_tokens"] = 12
    chat.store.update_settings(chat.conversation_id, settings)
    chat.show_conversation(chat.conversation_id)
    qtbot.mouseClick(chat.bubbles[-1].regenerate_button, _left())
    again = _settled(qtbot, chat, _last_turn(chat))
    assert again.state == "done" and again.info["seed"] != stopped.info["seed"]
    last = chat.bubbles[-1]
    assert last.branch_label.text() == "2/2" and last.prev_button.isEnabled()
    qtbot.mouseClick(last.prev_button, _left())
    qtbot.waitUntil(lambda: chat.bubbles[-1].message.id == stopped.id, timeout=10_000)
    assert chat.store.thread(chat.conversation_id)[-1].id == stopped.id
    assert chat.usage_label.text().endswith("of 512 tokens")


def test_edit_a_user_message_and_continue_a_cut_off_answer(qtbot, window):
    # Seed 1: cut off at 6 tokens, and the continuation goes on (with a seed drawn at random
    # the model may end the answer at once, and CI saw a continuation no longer than the cut).
    chat = _chat(window, max_new_tokens=6, seed=1)
    first = _settled(qtbot, chat, chat.send("Who are you?"))
    assert first.state == "done" and first.info["stop_reason"] == "max_tokens"
    bubble = chat.bubbles[-1]
    assert "Cut off" in bubble.note.text()
    qtbot.mouseClick(bubble.continue_button, _left())
    longer = _settled(qtbot, chat, _last_turn(chat))
    assert longer.content.startswith(first.content) and len(longer.content) > len(first.content)
    assert chat.bubbles[-1].branch_label.text() == "2/2"

    user = chat.bubbles[0]
    qtbot.mouseClick(user.edit_button, _left())
    assert user.editor is not None
    user.editor.setPlainText("What is your name?")
    user.finish_editing()
    answer = _settled(qtbot, chat, _last_turn(chat))
    assert answer.state == "done"
    assert [b.message.content for b in chat.bubbles][0] == "What is your name?"
    assert chat.bubbles[0].branch_label.text() == "2/2"
    params = window.project.get_asset(answer.asset_id).recipe["params"]
    assert params["prompt"] == "What is your name?" and params["conversation"] == ""


def test_a_tiny_llama_with_its_own_chat_template_answers_in_the_view(qtbot, window,
                                                                     tiny_chat_llama):
    chat = _chat(window, max_new_tokens=8, model=str(tiny_chat_llama))
    chat.system_edit.setPlainText("Be brief.")
    qtbot.mouseClick(chat.system_button, _left())
    assert [b.message.role for b in chat.bubbles] == ["system"]
    answer = _settled(qtbot, chat, chat.send("Hello"))
    assert answer.state == "done", answer.error
    assert answer.info["chat_template"] == "model"
    recipe = window.project.get_asset(answer.asset_id).recipe
    assert recipe["model"]["path"] == str(tiny_chat_llama)
    assert recipe["params"]["system_prompt"] == "Be brief."
    second = _settled(qtbot, chat, chat.send("And then?"))
    assert second.state == "done", second.error
    assert [a.id for a in window.project.parents(second.asset_id)] == [answer.asset_id]
    assert [b.message.role for b in chat.bubbles] == ["system", "user", "assistant", "user",
                                                      "assistant"]


def test_markdown_code_blocks_copy_save_and_check_and_the_infill_editor(qtbot, window):
    from PySide6.QtGui import QGuiApplication

    chat = _chat(window)
    store = chat.store
    user = store.add_message(chat.conversation_id, None, "user", "Show me code")
    store.add_message(chat.conversation_id, user.id, "assistant",
                      "Here is **bold** text.\n\n```python\ndef broken(:\n    pass\n```\n"
                      "and\n\n```python\nx = 1\n```\n")
    chat.reload()
    bubble = chat.bubbles[-1]
    views = bubble.code_views()
    assert [v.block.code for v in views] == ["def broken(:\n    pass", "x = 1"]
    assert views[0].highlighter is not None
    qtbot.mouseClick(views[1].copy_button, _left())
    assert QGuiApplication.clipboard().text() == "x = 1"
    job_ids = [chat.save_code(bubble.message.id, v.block) for v in views]
    assert all(job_ids)
    qtbot.waitUntil(lambda: all("asset" in v.status.text() for v in chat.bubbles[-1].code_views()),
                    timeout=TIMEOUT)
    statuses = [v.status.text() for v in chat.bubbles[-1].code_views()]
    assert "syntax error at line 1" in statuses[0] and "syntax ok" in statuses[1]
    codes = [window.project.get_asset(window.project.jobs.get(j).asset_ids[0]) for j in job_ids]
    assert [a.kind for a in codes] == ["code", "code"]

    qtbot.mouseClick(chat.code_button, _left())
    assert chat.infill.isVisible()
    editor = chat.infill.editor
    editor.setPlainText("def add(a, b):\n    \n\nprint(add(1, 2))\n")
    cursor = editor.textCursor()
    cursor.setPosition(len("def add(a, b):\n    "))
    editor.setTextCursor(cursor)
    assert chat.infill.fill() is not None
    qtbot.waitUntil(lambda: chat.infill.job_id is None, timeout=TIMEOUT)
    text = editor.toPlainText()
    assert text.startswith("def add(a, b):\n    ") and text.endswith("\n\nprint(add(1, 2))\n")
    assert len(text) > len("def add(a, b):\n    \n\nprint(add(1, 2))\n")


def test_conversations_list_new_rename_search_export_delete_keeps_assets(qtbot, window,
                                                                         tmp_path):
    chat = _chat(window, max_new_tokens=4)
    answer = _settled(qtbot, chat, chat.send("A question about looms"))
    first = chat.conversation_id
    chat.rename_conversation("Loom talk")
    qtbot.waitUntil(lambda: chat.list.count() and chat.list.item(0).text() == "Loom talk",
                    timeout=10_000)
    chat.new_conversation()
    assert chat.list.count() == 2 and chat.bubbles == []
    chat.search.setText("loom")
    assert [chat.list.item(i).text() for i in range(chat.list.count())] == ["Loom talk"]
    chat.search.setText("")
    chat.show_conversation(first)
    written = chat.export_conversation(tmp_path / "loom.md")
    assert written.read_text().startswith("# Loom talk\n")
    assert '"format": "genloom-conversation"' in chat.export_conversation(
        tmp_path / "loom.json").read_text()
    chat.delete_conversation(confirm=False)
    assert chat.list.count() == 1
    assert window.project.get_asset(answer.asset_id).id == answer.asset_id


def _left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_the_settings_column_is_as_wide_as_its_form_on_a_normal_screen(qtbot, window):
    """At 1600x1000 the splitter's first sizes gave the settings column 280 px, less than the
    form needs; with no horizontal scroll bar the fields and the model name were cut off."""
    window.resize(1600, 1000)
    window.centre_tabs.setCurrentIndex(0)
    chat = _chat(window)
    qtbot.waitUntil(lambda: chat.form is not None and chat.settings_scroll.viewport().width() > 0)
    panel = chat.settings_scroll.widget()
    viewport = chat.settings_scroll.viewport()
    qtbot.waitUntil(lambda: chat.form.isVisible() and viewport.width() >= panel.minimumSizeHint().width()
                    and chat.form.width() <= viewport.width())


def test_with_no_conversation_the_thread_says_what_to_do_in_full(qtbot, window):
    """On a 1366x768 screen the heading read "No conversation: press": the hint is now in the
    thread, wrapped to its width, and goes once a conversation is open."""
    from genloom._qt.chat_view import NO_CONVERSATION_HINT

    window.show_chat()
    chat = window.chat
    qtbot.waitUntil(lambda: chat.isVisible())
    assert chat.conversation_id is None
    assert chat.title_label.text() == "No conversation"
    hint = chat.empty_hint
    qtbot.waitUntil(lambda: hint.isVisible())
    assert hint.text() == NO_CONVERSATION_HINT and "New" in hint.text()
    assert hint.width() <= chat.scroll.viewport().width()
    assert hint.height() >= hint.heightForWidth(hint.width())  # every wrapped line shown
    _chat(window)
    assert not hint.isVisible()
