"""``genloom sweep`` (a grid of jobs and its labelled grid asset), ``genloom judge`` (a
preference among assets) and ``genloom leaderboard`` (the ranking of the judgements)."""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING

from genloom.cli import main as codes
from genloom.cli.cmd_generate import parse_inputs, parse_sets, report
from genloom.cli.context import emit_json, load_plugins, load_settings, open_project
from genloom.cli.errors import Terminated
from genloom.cli.progress import ProgressPrinter
from genloom.sdk.errors import InputError, Remedy

if TYPE_CHECKING:
    import argparse

    from genloom.core.jobs.engine import Engine


def sweep(args: argparse.Namespace) -> int:
    from genloom.core.evaluation.sweeps import submit_sweep
    from genloom.core.jobs.engine import Engine

    settings = load_settings()
    plugins = load_plugins(settings)
    spec = plugins.generator(args.generator)
    values = parse_sets(spec, args.prompt, args.sets)
    project = open_project(args, settings, create=True)
    engine = Engine(project, plugins, settings, scope=())
    made = submit_sweep(engine, spec.id, args.axes, values, seed=args.seed,
                        inputs=parse_inputs(args.inputs), model=args.model, device=args.device)
    if not args.wait:
        if args.json:
            emit_json({"sweep": made.id, "cell_jobs": list(made.cell_jobs)})
        else:
            print(f"queued sweep {made.id}: {len(made.cell_jobs)} cell jobs "
                  f"({made.cell_jobs[0]}-{made.cell_jobs[-1]}); its grid is drawn when they have "
                  "run (here with --wait, or in the app)")
        return codes.EXIT_OK
    return _run_sweep(engine, made.id, args)


def _run_sweep(engine: Engine, sweep_id: int, args: argparse.Namespace) -> int:
    """Run the cells, then the grid, here; stdout gets the grid (its path, or JSON)."""
    from genloom.core.evaluation.sweeps import advance, follow, sweeps_of

    project = engine.project
    cells = list(sweeps_of(project).get(sweep_id).cell_jobs)
    follow(engine)  # the grid is queued (into this engine's scope) as the last cell ends
    printer = ProgressPrinter(len(cells) + 1, enabled=not args.quiet and not args.json)
    printer.attach(engine)
    engine.start()
    grid_id: int | None = None
    try:
        ended = engine.wait(cells)
        advance(engine)  # in case the last cell ended before follow() heard of it
        grid_id = sweeps_of(project).get(sweep_id).grid_job_id
        if grid_id is None:
            raise InputError(f"the grid of sweep {sweep_id} could not be queued; its cells' "
                             "jobs are listed in the queue", remedy=Remedy("list_jobs"))
        (grid,) = engine.wait([grid_id])
    except Terminated:
        engine.stop(requeue_running=True)  # the job runs again later, nothing is lost
        raise
    except KeyboardInterrupt:
        print("\ngenloom: cancelling the sweep...", file=sys.stderr)
        for job_id in [*cells, *([grid_id] if grid_id else [])]:
            with contextlib.suppress(Exception):
                if project.jobs.get(job_id).state in ("queued", "running"):
                    engine.cancel(job_id)
        return codes.EXIT_INTERRUPTED
    finally:
        engine.stop()
    for job in ended:
        if job.state != "done":
            print(f"genloom: cell job {job.id} {job.state}: {job.error}".rstrip(": "),
                  file=sys.stderr)
    status = report(project, [grid], args)
    if status == codes.EXIT_OK and any(job.state == "failed" for job in ended):
        return codes.EXIT_FAILED
    return status


def judge(args: argparse.Namespace) -> int:
    from genloom.core.evaluation.judgements import judgements_of

    project = open_project(args, load_settings())
    made = judgements_of(project).record(args.assets, None if args.tie else args.prefer, args.note)
    if args.json:
        emit_json({"judgement": made.id, "tie": made.tie, "note": made.note,
                   "entries": [{"asset": e.asset_id, "preferred": e.preferred,
                                "generator": e.generator_id, "model": e.model_id,
                                "setting": e.setting} for e in made.entries]})
    else:
        print(f"judgement {made.id}: " + ("a tie" if made.tie else
                                          f"asset {args.prefer} preferred") +
              f" among {', '.join(map(str, args.assets))}")
    return codes.EXIT_OK


def leaderboard(args: argparse.Namespace) -> int:
    from genloom.core.evaluation.judgements import judgements_of
    from genloom.core.evaluation.leaderboard import leaderboard as fit

    project = open_project(args, load_settings())
    rows = fit(judgements_of(project).all(), args.by, generator_id=args.generator)
    if args.json:
        emit_json([{"label": r.label, "generator": r.generator_id, "model": r.model_id,
                    "setting": r.setting, "score": round(r.score, 1), "error": round(r.error, 1),
                    "judgements": r.judgements, "wins": r.wins, "losses": r.losses, "ties": r.ties}
                   for r in rows])
        return codes.EXIT_OK
    if not rows:
        print("no judgements yet: compare assets in the app and prefer one", file=sys.stderr)
    for rank, r in enumerate(rows, start=1):
        print(f"{rank:>3}  {r.score:7.1f} ± {r.error:5.1f}  {r.judgements:>4} judged  {r.label}")
    return codes.EXIT_OK

