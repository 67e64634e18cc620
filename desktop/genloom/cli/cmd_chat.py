"""``genloom chat``: a conversation in the terminal, streamed; ``genloom conversations``:
list, show, search, export, rename and delete them.

Each line typed is a message, or a command: ``/regenerate``, ``/continue``, ``/system TEXT``,
``/edit TEXT`` (the last user message), ``/branches``, ``/switch N``, ``/thread``,
``/title TEXT``, ``/help``, ``/quit``. Ctrl-C while an answer streams stops it (the text so
far is kept); at the prompt it ends the session. Lines come from stdin when it is not a
terminal, and ``--message`` sends given messages; with ``--json`` each answer is printed as
one JSON object per line (JSON Lines), and the streamed text goes to stderr.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any, TextIO

from genloom.cli import main as codes
from genloom.cli.context import emit_json, load_plugins, load_settings, open_project

if TYPE_CHECKING:
    import argparse

    from genloom.core.conversations import ChatTurns, Message
    from genloom.core.jobs.engine import Engine, ProgressEvent
    from genloom.core.project import Project

HELP = """commands:
  /regenerate      a new answer to the last message (new seed), beside the old one
  /continue        go on with an answer that was cut off
  /system TEXT     the system prompt from here on (/system alone shows it)
  /edit TEXT       replace your last message (a new branch) and answer it
  /branches        the answers beside the last one
  /switch N        show branch N of the last answer (see /branches)
  /thread          the conversation so far
  /title TEXT      rename the conversation
  /quit            end (Ctrl-D too); Ctrl-C stops an answer while it streams"""


class _Stream:
    """Writes the streamed text of the job being waited for."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.job_id: int | None = None
        self.wrote = False
        self.lock = threading.Lock()

    def on_progress(self, event: ProgressEvent) -> None:
        text = event.progress.partial_text
        with self.lock:
            if text and event.job_id == self.job_id:
                self.out.write(text)
                self.out.flush()
                self.wrote = True


class ChatSession:
    """One terminal session on one conversation."""

    def __init__(self, project: Project, engine: Engine, conversation_id: int, *,
                 as_json: bool, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
        from genloom.core.conversations import ChatTurns

        self.project = project
        self.engine = engine
        self.turns: ChatTurns = ChatTurns(engine)
        self.store = project.conversations
        self.conversation_id = conversation_id
        self.as_json = as_json
        self.out, self.err = out, err
        self.stream = _Stream(err if as_json else out)
        engine.events.job_progress.connect(self.stream.on_progress)
        self.failed = False

    # -- one line ------------------------------------------------------------------

    def handle(self, line: str) -> bool:
        """Act on one line; False when the session should end."""
        from genloom.core.conversations import ConversationError

        text = line.rstrip("\n")
        if not text.strip():
            return True
        if not text.startswith("/"):
            return self._answer(lambda: self.turns.send(self.conversation_id, text))
        command, _, rest = text[1:].partition(" ")
        try:
            return self._command(command.lower(), rest.strip())
        except ConversationError as exc:
            self._say(str(exc))
            return True

    def _command(self, command: str, rest: str) -> bool:
        from genloom.core.conversations import system_prompt_of

        if command in ("quit", "exit", "q"):
            return False
        if command == "help":
            self._say(HELP)
        elif command in ("regenerate", "regen", "r"):
            last = self._last("assistant")
            return self._answer(lambda: self.turns.regenerate(last.id))
        elif command == "continue":
            last = self._last("assistant")
            return self._answer(lambda: self.turns.continue_answer(last.id))
        elif command == "edit":
            if not rest:
                self._say("/edit needs the new text: /edit TEXT")
                return True
            last = self._last("user")
            return self._answer(lambda: self.turns.edit(last.id, rest))
        elif command == "system":
            if not rest:
                current = system_prompt_of(self.store.thread(self.conversation_id))
                self._say(f"system prompt: {current or '(none)'}")
            else:
                self.turns.set_system_prompt(self.conversation_id, rest)
                self._say("system prompt set; it applies from the next message on")
        elif command == "branches":
            last = self._last("assistant")
            for number, sibling in enumerate(self.store.siblings(last.id), 1):
                mark = "*" if sibling.id == last.id else " "
                preview = " ".join(sibling.content.split())[:70]
                self._say(f"{mark} {number}: [{sibling.state}] seed {sibling.info.get('seed', '?')}: "
                          f"{preview}")
        elif command == "switch":
            last = self._last("assistant")
            siblings = self.store.siblings(last.id)
            if not rest.isdigit() or not 1 <= int(rest) <= len(siblings):
                self._say(f"/switch needs a branch number from 1 to {len(siblings)} (see /branches)")
                return True
            self.store.choose(siblings[int(rest) - 1].id)
            self._print_thread()
        elif command == "thread":
            self._print_thread()
        elif command == "title":
            conversation = self.store.rename(self.conversation_id, rest)
            self._say(f"renamed to {conversation.title!r}")
        else:
            self._say(f"/{command} is not a command; /help lists them")
        return True

    def _last(self, role: str) -> Message:
        from genloom.core.conversations import ConversationError

        for message in reversed(self.store.thread(self.conversation_id)):
            if message.role == role:
                return message
        raise ConversationError(f"the conversation has no {'answer' if role == 'assistant' else 'message of yours'} yet")

    # -- an answer -------------------------------------------------------------------

    def _answer(self, start: Any) -> bool:
        from genloom.core.conversations import ConversationError
        from genloom.sdk.errors import GenloomError

        try:
            message = start()
        except ConversationError as exc:
            self._say(str(exc))
            return True
        except GenloomError as exc:  # refused at submit: a parameter, the model
            self._say(str(exc))
            self.failed = True
            return True
        with self.stream.lock:
            self.stream.job_id, self.stream.wrote = message.job_id, False
        if not self.as_json:
            self.out.write("assistant> ")
            self.out.flush()
        assert message.job_id is not None
        try:
            self.engine.wait([message.job_id])
        except KeyboardInterrupt:
            self.turns.stop(message.id)
            self.engine.wait([message.job_id])
        self.store.settle_job(message.job_id)
        message = self.store.message(message.id)
        self._finish(message)
        return True

    def _finish(self, message: Message) -> None:
        from genloom.core.conversations.export import message_dict

        if message.state == "failed":
            self.failed = True
        if self.as_json:
            if self.stream.wrote:
                self.err.write("\n")
            emit_json_line({"conversation": self.conversation_id, "message": message_dict(message)})
            return
        if not self.stream.wrote:
            self.out.write(message.content)  # nothing streamed (fast, or from the store)
        self.out.write("\n")
        notes = []
        if message.state == "failed":
            notes.append(f"failed: {message.error}")
        elif message.state == "cancelled":
            notes.append("stopped; /continue goes on from here")
        elif message.info.get("stop_reason") == "max_tokens":
            notes.append("cut off at max_new_tokens; /continue goes on")
        dropped = message.info.get("dropped_messages")
        if dropped:
            notes.append(f"{dropped} earlier messages were left out to fit the model's context")
        usage = _usage(message)
        if usage:
            notes.append(usage)
        if notes:
            self._say("  (" + "; ".join(notes) + ")")
        self.out.flush()

    def _print_thread(self) -> None:
        for message in self.store.thread(self.conversation_id):
            label = {"user": "you", "assistant": "assistant", "system": "system"}[message.role]
            self.out.write(f"{label}> {message.content}\n")
        self.out.flush()

    def _say(self, text: str) -> None:
        stream = self.err if self.as_json else self.out
        stream.write(text + "\n")
        stream.flush()


def _usage(message: Message) -> str:
    info = message.info
    if "prompt_tokens" not in info:
        return ""
    used = int(info["prompt_tokens"]) + int(info.get("generated_tokens", 0))
    context = int(info.get("context_length", 0))
    return f"{used} of {context} tokens" if context else f"{used} tokens"


def emit_json_line(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def chat(args: argparse.Namespace) -> int:
    from genloom.cli.cmd_generate import parse_sets
    from genloom.core.conversations import (
        ConversationError,
        chat_generators,
        default_settings,
        is_chat_generator,
    )
    from genloom.core.jobs.engine import Engine

    settings = load_settings()
    plugins = load_plugins(settings)
    project = open_project(args, settings, create=args.conversation is None)
    store = project.conversations
    if args.conversation is None:
        conv_settings = default_settings(plugins.generators.values())
    else:
        conv_settings = dict(store.get(args.conversation).settings)
    if args.generator:
        conv_settings["generator"] = args.generator
    spec = plugins.generator(conv_settings.get("generator") or "")
    if args.model:
        conv_settings["model"] = args.model
    if args.sets:
        conv_settings["params"] = {**(conv_settings.get("params") or {}),
                                   **parse_sets(spec, None, args.sets)}
    if args.seed is not None:
        conv_settings["seed"] = args.seed
    if not is_chat_generator(spec):
        raise ConversationError(f"{spec.id} is not a chat generator (it takes no conversation); "
                                "use one of " + ", ".join(
                                    s.id for s in chat_generators(plugins.generators.values())))
    engine = Engine(project, plugins, settings, scope=())
    if args.conversation is None:
        conversation = store.create(args.title or "", conv_settings)
    else:
        conversation = store.update_settings(args.conversation, conv_settings)
        if args.title:
            store.rename(conversation.id, args.title)
    session = ChatSession(project, engine, conversation.id, as_json=args.json)
    if args.system is not None:
        session.turns.set_system_prompt(conversation.id, args.system)
    engine.start()
    interactive = not args.message and sys.stdin.isatty()
    try:
        if args.message:
            for text in args.message:
                session.handle(text)
        elif interactive:
            _repl(session, spec.id, conversation.id, conversation.settings.get("model"))
        else:
            for line in sys.stdin:
                if not session.handle(line):
                    break
    finally:
        engine.stop()
    return codes.EXIT_FAILED if session.failed else codes.EXIT_OK


def _repl(session: ChatSession, generator: str, conversation_id: int, model: object) -> None:
    try:
        import readline  # noqa: F401 - line editing and history for input()
    except ImportError:
        pass
    session.out.write(f"conversation {conversation_id} with {model or 'the default model'} "
                      f"({generator}); /help lists the commands\n")
    for message in session.store.thread(conversation_id):
        label = {"user": "you", "assistant": "assistant", "system": "system"}[message.role]
        session.out.write(f"{label}> {message.content}\n")
    while True:
        try:
            line = input("you> ")
        except EOFError:
            session.out.write("\n")
            return
        except KeyboardInterrupt:
            session.out.write("\n")
            return
        if not session.handle(line):
            return


# -- genloom conversations ----------------------------------------------------------


def list_conversations(args: argparse.Namespace) -> int:
    project = open_project(args, load_settings())
    found = project.conversations.list(limit=args.limit)
    if args.json:
        emit_json({"conversations": [_conversation_dict(c) for c in found]})
        return codes.EXIT_OK
    for conversation in found:
        print(f"{conversation.id:>5}  {conversation.title or '(untitled)'}")
    return codes.EXIT_OK


def show_conversation(args: argparse.Namespace) -> int:
    from genloom.core.conversations import to_json, to_markdown

    project = open_project(args, load_settings())
    if args.json:
        emit_json(to_json(project.conversations, args.conversation))
    else:
        sys.stdout.write(to_markdown(project.conversations, args.conversation))
    return codes.EXIT_OK


def export_conversation(args: argparse.Namespace) -> int:
    """Write the conversation as Markdown or JSON to FILE (``-``: stdout), atomically."""
    from pathlib import Path

    from genloom.core.conversations.export import export_text, write_export

    project = open_project(args, load_settings())
    store = project.conversations
    if args.file == "-":
        sys.stdout.write(export_text(store, args.conversation, args.format))
        return codes.EXIT_OK
    target = write_export(store, args.conversation, Path(args.file), args.format)
    if args.json:
        emit_json({"conversation": args.conversation, "path": str(target), "format": args.format})
    else:
        print(target)
    return codes.EXIT_OK


def search_conversations(args: argparse.Namespace) -> int:
    project = open_project(args, load_settings())
    hits = project.conversations.search(args.query, limit=args.limit)
    if args.json:
        emit_json({"hits": [{"conversation": _conversation_dict(h.conversation),
                             "message": h.message.id, "role": h.message.role,
                             "content": h.message.content} for h in hits]})
        return codes.EXIT_OK
    for hit in hits:
        preview = " ".join(hit.message.content.split())[:60]
        print(f"{hit.conversation.id:>5}  {hit.conversation.title}: [{hit.message.role}] {preview}")
    return codes.EXIT_OK


def rename_conversation(args: argparse.Namespace) -> int:
    project = open_project(args, load_settings())
    conversation = project.conversations.rename(args.conversation, args.title)
    if args.json:
        emit_json(_conversation_dict(conversation))
    else:
        print(f"conversation {conversation.id}: {conversation.title}")
    return codes.EXIT_OK


def delete_conversation(args: argparse.Namespace) -> int:
    project = open_project(args, load_settings())
    for conversation_id in args.conversation:
        project.conversations.delete(conversation_id)
    if args.json:
        emit_json({"deleted": args.conversation})
    else:
        print(f"deleted {len(args.conversation)} conversation(s); their answers stay in the "
              "project as assets")
    return codes.EXIT_OK


def _conversation_dict(conversation: Any) -> dict[str, Any]:
    return {"id": conversation.id, "title": conversation.title, "created": conversation.created,
            "updated": conversation.updated, "settings": conversation.settings}
