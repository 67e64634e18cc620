"""``genloom board``: storyboards from the command line (see ``genloom.core.boards``)."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genloom.cli import main as codes
from genloom.cli.context import emit_json, load_plugins, load_settings, open_project
from genloom.sdk.errors import ParameterError

if TYPE_CHECKING:
    import argparse

    from genloom.core.boards import Board, Boards, Shot
    from genloom.core.project import Project

_SHOT_OPTIONS = ("description", "duration", "camera", "dialogue", "character", "notes", "scene")


def _open(args: argparse.Namespace, create: bool = False) -> tuple[Project, Boards]:
    from genloom.core.boards import Boards

    project = open_project(args, load_settings(), create=create)
    return project, Boards(project)


def _board_line(board: Board) -> str:
    return f"{board.id:>5}  {board.shot_count:>4} shots  {_clock(board.duration):>8}  {board.name}"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"


def _shot_line(shot: Shot) -> str:
    picked = " ".join(f"{t.track}={t.asset_id}" for t in shot.takes if t.selected) or "no takes"
    text = shot.description.replace("\n", " ")[:60]
    line = f"{shot.number:>4}. [{shot.id}] {shot.duration:>5.1f}s {shot.camera:<9} {text}"
    if shot.dialogue:
        line += f"\n        {shot.character or 'V.O.'}: {shot.dialogue[:70]}"
    return line + f"\n        takes: {len(shot.takes)} ({picked})"


def _shot_values(args: argparse.Namespace) -> dict[str, Any]:
    return {name: getattr(args, name) for name in _SHOT_OPTIONS
            if getattr(args, name, None) is not None}


def _parse_settings(items: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep:
            raise ParameterError("style", item, "is not KEY=VALUE", "write it like seed_policy=per-shot")
        key = key.strip()
        if key in ("seed", "width", "height"):
            if key == "seed" and text.strip().lower() in ("", "none", "random"):
                values[key] = None
                continue
            try:
                values[key] = int(text)
            except ValueError:
                raise ParameterError(key, text, "is not a whole number", "give one like 42") from None
        else:
            values[key] = text
    return values


def list_boards(args: argparse.Namespace) -> int:
    _, boards = _open(args)
    found = boards.all()
    if args.json:
        emit_json([b.to_dict() for b in found])
    elif not found:
        print("no boards; make one with `genloom board new NAME` or `genloom board import SCRIPT`",
              file=sys.stderr)
    for board in found if not args.json else ():
        print(_board_line(board))
    return codes.EXIT_OK


def new_board(args: argparse.Namespace) -> int:
    from genloom.core.boards import BoardStyle

    _, boards = _open(args, create=True)
    board = boards.create(args.name, BoardStyle.from_dict(_parse_settings(args.style)))
    if args.json:
        emit_json(board.to_dict())
    else:
        print(f"board {board.id}: {board.name}")
    return codes.EXIT_OK


def show_board(args: argparse.Namespace) -> int:
    _, boards = _open(args)
    board = boards.get(args.board)
    shots = boards.shots(board.id)
    if args.json:
        emit_json({**board.to_dict(), "shots": [s.to_dict() for s in shots],
                   "cuts": boards.cuts(board.id), "undo": boards.history(board.id)[:10]})
        return codes.EXIT_OK
    print(f"board {board.id}: {board.name} ({len(shots)} shots, {_clock(board.duration)})")
    for shot in shots:
        print(_shot_line(shot))
    return codes.EXIT_OK


def import_script(args: argparse.Namespace) -> int:
    from genloom.core.boards.script import import_script as run_import

    _, boards = _open(args, create=True)
    board_id, ids = run_import(boards, Path(args.script).expanduser(), fmt=args.format,
                               per=args.per, board_id=args.board, name=args.name)
    board = boards.get(board_id)
    if args.json:
        emit_json({**board.to_dict(), "added": ids})
    else:
        print(f"board {board.id}: {board.name}: {len(ids)} shots imported")
    return codes.EXIT_OK


def add_shot(args: argparse.Namespace) -> int:
    _, boards = _open(args)
    index = None if args.at is None else max(0, args.at - 1)
    shot = boards.add_shot(args.board, index=index, **_shot_values(args))
    _print_shot(args, shot)
    return codes.EXIT_OK


def _print_shot(args: argparse.Namespace, shot: Shot) -> None:
    if args.json:
        emit_json(shot.to_dict())
    else:
        print(_shot_line(shot))


def edit_shot(args: argparse.Namespace) -> int:
    _, boards = _open(args)
    _print_shot(args, boards.update_shot(args.shot, **_shot_values(args)))
    return codes.EXIT_OK


def move_shot(args: argparse.Namespace) -> int:
    _, boards = _open(args)
    shots = boards.move_shot(args.shot, args.number - 1)
    if args.json:
        emit_json([s.to_dict() for s in shots])
    else:
        for shot in shots:
            print(_shot_line(shot))
    return codes.EXIT_OK


def remove_shot(args: argparse.Namespace) -> int:
    _, boards = _open(args)
    boards.remove_shot(args.shot)
    if args.json:
        emit_json({"removed": args.shot})
    else:
        print(f"shot {args.shot} removed (`genloom board undo` brings it back)")
    return codes.EXIT_OK


def takes(args: argparse.Namespace) -> int:
    _, boards = _open(args)
    if args.add is not None:
        boards.add_take(args.shot, args.add, track=args.track)
    if args.remove is not None:
        if boards.take(args.remove).shot_id != args.shot:
            raise ParameterError("--remove", args.remove, f"is not a take of shot {args.shot}",
                                 f"list them with `genloom board takes {args.shot}`")
        boards.remove_take(args.remove)
    found = boards.takes(args.shot, args.track)
    if args.json:
        emit_json([t.to_dict() for t in found])
    elif not found:
        print(f"shot {args.shot} has no takes", file=sys.stderr)
    for take in found if not args.json else ():
        mark = "*" if take.selected else " "
        print(f"{mark} take {take.id:>5}  {take.track:<7}  asset {take.asset_id} ({take.kind})")
    return codes.EXIT_OK


def select_take(args: argparse.Namespace) -> int:
    _, boards = _open(args)
    take = boards.select_take(args.take)
    if args.json:
        emit_json(take.to_dict())
    else:
        print(f"take {take.id} (asset {take.asset_id}) is shot {take.shot_id}'s {take.track}")
    return codes.EXIT_OK


def style(args: argparse.Namespace) -> int:
    _, boards = _open(args)
    board = boards.get(args.board)
    if args.settings:
        board = boards.set_style(args.board, **_parse_settings(args.settings))
    if args.json:
        emit_json(board.style.to_dict())
    else:
        for key, value in board.style.to_dict().items():
            print(f"{key}: {json.dumps(value)}")
    return codes.EXIT_OK


def generate(args: argparse.Namespace) -> int:
    from genloom.cli.cmd_generate import run_jobs
    from genloom.core.boards.takes import advance, queue_takes
    from genloom.core.jobs.engine import Engine

    settings = load_settings()
    plugins = load_plugins(settings)
    project, boards = _open(args)
    engine = Engine(project, plugins, settings, scope=())
    jobs = queue_takes(engine, boards, args.board, args.shots,
                       tuple(args.tracks) if args.tracks else None)
    if args.queue_only:
        if args.json:
            emit_json({"jobs": [j.id for j in jobs]})
        else:
            for job in jobs:
                print(f"queued job {job.id} ({job.generator_id})")
        return codes.EXIT_OK
    if not jobs:
        print("nothing to generate (no shot needs a take on those tracks)", file=sys.stderr)
        return codes.EXIT_OK
    # Keyframes first; then their motion clips, when a video generator is installed. With
    # --json the jobs' own report goes to stderr: stdout carries the board alone.
    with contextlib.redirect_stdout(sys.stderr if args.json else sys.stdout):
        outcome = run_jobs(engine, project, [j.id for j in jobs], _quiet_json(args))
        follow_ups = advance(engine, boards)
        if follow_ups and outcome == codes.EXIT_OK:
            engine = Engine(project, plugins, settings, scope=[j.id for j in follow_ups])
            outcome = run_jobs(engine, project, [j.id for j in follow_ups], _quiet_json(args))
    if args.json:
        emit_json({"board": boards.get(args.board).to_dict(),
                   "shots": [s.to_dict() for s in boards.shots(args.board)]})
    return outcome


def _quiet_json(args: argparse.Namespace) -> argparse.Namespace:
    """``args`` for ``run_jobs`` whose report is not printed when this command prints JSON."""
    import argparse as _argparse

    copy = _argparse.Namespace(**vars(args))
    if args.json:
        copy.json, copy.quiet = False, True
    return copy


def cut(args: argparse.Namespace) -> int:
    from genloom.cli.cmd_generate import run_jobs
    from genloom.core.boards.cut import queue_cut
    from genloom.core.jobs.engine import Engine

    width, sep, height = args.size.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise ParameterError("--size", args.size, "is not WIDTHxHEIGHT", "write it like 1280x720")
    settings = load_settings()
    project, boards = _open(args)
    engine = Engine(project, load_plugins(settings), settings, scope=())
    job = queue_cut(engine, boards, args.board, width=int(width), height=int(height),
                    fps=args.fps, shot_numbers=not args.no_numbers, slate=args.slate,
                    music_gain_db=args.music_db, duck_db=args.duck_db)
    if args.queue_only:
        if args.json:
            emit_json({"job": job.id})
        else:
            print(f"queued job {job.id} (draft cut of board {args.board})")
        return codes.EXIT_OK
    return run_jobs(engine, project, [job.id], args)


def export(args: argparse.Namespace) -> int:
    from genloom.core.boards.exchange import export_board
    from genloom.core.boards.timeline import board_timeline

    _, boards = _open(args)
    written = export_board(board_timeline(boards, args.board), Path(args.dest), args.format)
    media = written.parent / f"{written.stem}_media"
    if args.json:
        emit_json({"path": str(written), "media": str(media) if media.is_dir() else None})
    else:
        print(written)
    return codes.EXIT_OK


def undo(args: argparse.Namespace) -> int:
    _, boards = _open(args)
    label = boards.undo(args.board)
    if args.json:
        emit_json({"undone": label})
    elif label is None:
        print(f"board {args.board} has nothing to undo", file=sys.stderr)
    else:
        print(f"undid: {label}")
    return codes.EXIT_OK


def delete_board(args: argparse.Namespace) -> int:
    _, boards = _open(args)
    boards.delete(args.board)
    if args.json:
        emit_json({"deleted": args.board})
    else:
        print(f"board {args.board} deleted (its assets stay in the project)")
    return codes.EXIT_OK
