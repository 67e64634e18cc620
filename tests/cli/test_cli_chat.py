"""`genloom chat` and `genloom conversations`, run as real processes with the bundled model."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.fixture
def cli(genloom_home, tmp_path):
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home)}
    env.pop("GENLOOM_PROJECT", None)
    project = tmp_path / "proj"

    def run(*args, check_code=0, stdin=None, timeout=300):
        argv = [sys.executable, "-m", "genloom", *map(str, args), "--project", str(project)]
        result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout,
                                input=stdin if stdin is not None else "")
        if check_code is not None:
            assert result.returncode == check_code, (result.returncode, result.stdout, result.stderr)
        return result

    run.project = project
    return run


def test_chat_script_streams_regenerates_edits_and_prints_json_lines(cli, tmp_path):
    script = "What will happen today?\n/regenerate\n/edit What about tomorrow?\n/branches\n" \
             "/system Answer in one line.\n/quit\nnever sent\n"
    result = cli("chat", "--json", "--model", "text.fortune-llama", "--title", "Fortunes",
                 "--set", "max_new_tokens=20", stdin=script)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == 3  # the answer, the regenerated one, the edited question's answer
    first, again, edited = (a["message"] for a in answers)
    assert all(m["state"] == "done" and m["asset_id"] for m in (first, again, edited))
    assert first["parent_id"] == again["parent_id"]
    assert first["info"]["seed"] != again["info"]["seed"]
    assert again["content"] in result.stderr  # streamed to stderr, results on stdout
    assert "system prompt set" in result.stderr

    shown = json.loads(cli("conversations", "show", "1", "--json").stdout)
    by_id = {m["id"]: m for m in shown["messages"]}
    thread = [by_id[i] for i in shown["thread"]]
    # The edit branched off before the first question; the system prompt follows its answer.
    assert [m["role"] for m in thread] == ["user", "assistant", "system"]
    assert thread[0]["content"] == "What about tomorrow?" and thread[1]["id"] == edited["id"]
    assert thread[2]["content"] == "Answer in one line."
    assert not any(m["content"] == "never sent" for m in shown["messages"])
    assert json.loads(cli("conversations", "--json").stdout)["conversations"][0]["title"] == \
        "Fortunes"

    out = tmp_path / "chat.md"
    assert cli("conversations", "export", "1", out).stdout.strip() == str(out)
    text = out.read_text()
    assert text.startswith("# Fortunes") and "## User\n\nWhat about tomorrow?" in text
    hits = json.loads(cli("conversations", "search", "tomorrow", "--json").stdout)["hits"]
    assert [h["conversation"]["id"] for h in hits] == [1]

    # Going on with the same conversation later: the thread (and the system prompt) go on.
    more = cli("chat", "1", "--json", "-m", "And the day after?")
    message = json.loads(more.stdout)["message"]
    shown = json.loads(cli("conversations", "show", "1", "--json").stdout)
    assert shown["thread"][-1] == message["id"] and shown["thread"][-3] == thread[2]["id"]
    recipe = json.loads(cli("assets", "show", message["asset_id"], "--json").stdout)["recipe"]
    assert recipe["params"]["system_prompt"] == "Answer in one line."
    assert json.loads(recipe["params"]["conversation"])[0]["content"] == "What about tomorrow?"
    assets = json.loads(cli("assets", "--json").stdout)
    asset_ids = {a["id"] for a in (assets["assets"] if isinstance(assets, dict) else assets)}
    cli("conversations", "delete", "1")
    after = json.loads(cli("assets", "--json").stdout)
    assert {a["id"] for a in (after["assets"] if isinstance(after, dict) else after)} == asset_ids
    assert message["asset_id"] in asset_ids


def test_chat_errors_have_their_exit_codes(cli):
    cli("chat", "-m", "hi", "--set", "temperature=9", check_code=2)
    missing = cli("chat", "42", "-m", "hi", check_code=None)
    assert missing.returncode == 3 and "no conversation 42" in missing.stderr
    wrong = cli("chat", "--generator", "code.complete", "-m", "hi", check_code=2)
    assert "not a chat generator" in wrong.stderr
    cli("conversations", "rename", "5", "x", check_code=3)


def test_interactive_session_in_a_terminal_streams_and_takes_commands(genloom_home, tmp_path):
    """`genloom chat` on a real terminal (a pseudo-terminal): the prompt, a streamed answer,
    /regenerate and /quit."""
    import pty
    import select
    import time

    env = {**os.environ, "GENLOOM_HOME": str(genloom_home), "TERM": "dumb"}
    env.pop("GENLOOM_PROJECT", None)
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "genloom", "chat", "--project", str(tmp_path / "proj"),
         "--set", "max_new_tokens=8"], stdin=child, stdout=child, stderr=child, env=env)
    os.close(child)
    seen = b""

    def until(marker: bytes, count: int = 1, timeout: float = 240) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while seen.count(marker) < count:
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            ready, _, _ = select.select([main], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(main, 4096)
                except OSError:
                    break

    try:
        until(b"you> ")
        assert b"/help lists the commands" in seen
        os.write(main, b"Hello there\n")
        until(b"you> ", 2)
        assert b"assistant> " in seen
        os.write(main, b"/regenerate\n")
        until(b"you> ", 3)
        os.write(main, b"/branches\n")
        until(b"* 2:")
        os.write(main, b"/quit\n")
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
