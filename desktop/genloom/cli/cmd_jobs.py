"""``genloom jobs``: the durable queue from the command line."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

from genloom.cli import main as codes
from genloom.cli.context import emit_json, job_dict, load_plugins, load_settings, open_project
from genloom.cli.errors import Terminated

if TYPE_CHECKING:
    import argparse

    from genloom.core.project import Job


def _line(job: Job) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(job.created))
    text = f"{job.id:>6}  {job.state:<9}  {job.generator_id:<28}  seed {job.seed!s:<10}  {when}"
    if job.asset_ids:
        text += "  assets " + ",".join(map(str, job.asset_ids))
    if job.error:
        text += "  " + job.error.splitlines()[0][:80]
    return text


def list_jobs(args: argparse.Namespace) -> int:
    project = open_project(args, load_settings())
    jobs = project.jobs.list(states=args.state, limit=args.limit)
    if args.json:
        emit_json([job_dict(j) for j in jobs])
    elif not jobs:
        print("no jobs", file=sys.stderr)
    else:
        for job in jobs:
            print(_line(job))
    return codes.EXIT_OK


def show_jobs(args: argparse.Namespace) -> int:
    project = open_project(args, load_settings())
    job = project.jobs.get(args.job)
    if args.json:
        emit_json(job_dict(job))
    else:
        for key, value in job_dict(job).items():
            if key == "error" and value:
                print("error:\n  " + "\n  ".join(str(value).splitlines()))
            else:
                print(f"{key}: {value}")
    return codes.EXIT_OK


def cancel_jobs(args: argparse.Namespace) -> int:
    project = open_project(args, load_settings())
    changed = [project.jobs.cancel(job_id) for job_id in args.job]
    _print_changed(args, changed, lambda j: "cancelled" if j.state == "cancelled" else
                   "asked to stop (it is running; its engine stops it within a second)")
    return codes.EXIT_OK


def retry_jobs(args: argparse.Namespace) -> int:
    project = open_project(args, load_settings())
    changed = [project.jobs.retry(job_id) for job_id in args.job]
    _print_changed(args, changed, lambda j: f"queued again (retry of job {j.retry_of})")
    return codes.EXIT_OK


def move_job(args: argparse.Namespace) -> int:
    project = open_project(args, load_settings())
    queued = project.jobs.move(args.job, args.index)
    if args.json:
        emit_json([job_dict(j) for j in queued])
    else:
        for job in queued:
            print(_line(job))
    return codes.EXIT_OK


def run_queue(args: argparse.Namespace) -> int:
    """Run every queued job in this process, like the app's engine would."""
    settings = load_settings()
    plugins = load_plugins(settings)
    project = open_project(args, settings)
    from genloom.cli.progress import ProgressPrinter
    from genloom.core.evaluation.sweeps import follow as follow_sweeps
    from genloom.core.jobs.engine import Engine

    engine = Engine(project, plugins, settings)
    follow_sweeps(engine)  # a sweep whose last cell runs here gets its grid queued (and run)
    pending = project.jobs.list(states=["queued"])
    printer = ProgressPrinter(len(pending), enabled=not args.quiet and not args.json)
    printer.attach(engine)
    seen: list[int] = []
    engine.events.job_started.connect(lambda job: seen.append(job.id))
    idle_since: list[float] = []
    engine.events.idle.connect(lambda: idle_since.append(time.monotonic()))
    engine.start()
    try:
        while True:
            time.sleep(0.1)
            if args.watch:
                continue
            running = project.jobs.list(states=["running"])
            if idle_since and not project.jobs.list(states=["queued"]) and \
                    not any(j.owner == engine.owner for j in running):
                break
    except Terminated:
        engine.stop(requeue_running=True)  # the running job goes back to the queue
        raise
    except KeyboardInterrupt:
        print("\ngenloom: stopping; the running job is cancelled, queued jobs stay queued", file=sys.stderr)
        engine.stop()
        return codes.EXIT_INTERRUPTED
    engine.stop()
    jobs = [project.jobs.get(j) for j in seen]
    if args.json:
        emit_json([job_dict(j) for j in jobs])
    return codes.EXIT_FAILED if any(j.state == "failed" for j in jobs) else codes.EXIT_OK


def _print_changed(args: argparse.Namespace, jobs: list[Job], describe: Any) -> None:
    if args.json:
        emit_json([job_dict(j) for j in jobs])
    else:
        for job in jobs:
            print(f"job {job.id}: {describe(job)}")
