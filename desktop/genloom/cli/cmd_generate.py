"""``genloom generate`` and ``genloom rerun``: queue jobs, run them here, report."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

from genloom.cli import main as codes
from genloom.cli.context import (
    asset_dict,
    emit_json,
    job_dict,
    load_plugins,
    load_settings,
    open_project,
)
from genloom.cli.errors import Terminated
from genloom.cli.progress import ProgressPrinter
from genloom.sdk.errors import InputError, ParameterError

if TYPE_CHECKING:
    import argparse

    from genloom.core.jobs.engine import Engine
    from genloom.core.project import Asset, Job, Project
    from genloom.core.settings import Settings
    from genloom.sdk.spec import GeneratorSpec


def parse_sets(spec: GeneratorSpec, prompt: str | None, sets: list[str]) -> dict[str, Any]:
    """``--prompt`` and ``--set NAME=VALUE`` into typed values, each checked by its parameter."""
    values: dict[str, Any] = {}
    if prompt is not None:
        prompt_params = [p for p in spec.params if getattr(p, "role", "") == "prompt"]
        if not prompt_params:
            raise ParameterError("prompt", prompt, f"is not taken by {spec.id} (it has no prompt parameter)",
                                 "set its parameters with --set NAME=VALUE; `genloom generators "
                                 f"{spec.id}` lists them")
        values[prompt_params[0].name] = prompt_params[0].parse(prompt)
    for item in sets:
        if "=" not in item:
            raise ParameterError("--set", item, "is not NAME=VALUE", "write it like --set steps=20")
        name, text = item.split("=", 1)
        name = name.strip()
        try:
            param = spec.param(name)
        except KeyError:
            known = ", ".join(p.name for p in spec.params) or "(none)"
            raise ParameterError(name, text, f"is not a parameter of {spec.id}", f"use one of {known}") from None
        values[name] = param.parse(text)
    return values


def parse_inputs(items: list[str]) -> dict[str, int]:
    inputs: dict[str, int] = {}
    for item in items:
        role, sep, value = item.partition("=")
        if not sep or not value.strip().isascii() or not value.strip().isdigit():
            raise InputError(f"--input {item!r:.80} must be ROLE=ASSET_ID, like --input image=12")
        if len(value.strip()) > 18:
            raise InputError(f"--input {role}: {value.strip()[:20]}... is not an asset id in "
                             "this project (ids are far smaller); list them with `genloom assets`")
        inputs[role.strip()] = int(value)
    return inputs


def generate(args: argparse.Namespace) -> int:
    settings = load_settings()
    plugins = load_plugins(settings)
    spec = plugins.generator(args.generator)
    values = parse_sets(spec, args.prompt, args.sets)
    project = open_project(args, settings, create=True)
    from genloom.core.jobs.executors import make_engine

    engine = make_engine(project, plugins, settings, scope=(), executor=getattr(args, "executor", None),
                         address=getattr(args, "address", None))
    jobs = engine.submit(spec.id, values, seed=args.seed, count=args.count,
                         inputs=parse_inputs(args.inputs), model=args.model,
                         device=args.device)
    _licence_notice(jobs[0].model if jobs else None, settings)
    if args.queue_only:
        if args.json:
            emit_json({"jobs": [job_dict(j) for j in jobs]})
        else:
            for job in jobs:
                seeds = job.seeds
                which = f"seeds {seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else f"seed {job.seed}"
                print(f"queued job {job.id} ({which})")
        return codes.EXIT_OK
    return run_jobs(engine, project, [j.id for j in jobs], args)


def _licence_notice(model: Any, settings: Settings) -> None:
    """Say once per model (then remembered in the settings) that its licence restricts use."""
    from genloom.core.models import licences

    text = licences.notice(model, settings)
    if text is not None:
        print(f"genloom: note: {text}", file=sys.stderr)
        licences.acknowledge(model, settings)


def rerun(args: argparse.Namespace) -> int:
    settings = load_settings()
    plugins = load_plugins(settings)
    project = open_project(args, settings)
    from genloom.core.jobs.engine import Engine

    engine = Engine(project, plugins, settings, scope=())
    job = engine.rerun(args.asset, new_seed=args.new_seed, device=args.device)
    _licence_notice(job.model, settings)
    return run_jobs(engine, project, [job.id], args)


def run_jobs(engine: Engine, project: Project, job_ids: list[int], args: argparse.Namespace) -> int:
    """Run ``job_ids`` here with a progress display; Ctrl-C cancels them cleanly."""
    printer = ProgressPrinter(len(job_ids), enabled=not getattr(args, "quiet", False) and not args.json)
    printer.attach(engine)
    engine.start()
    interrupted = False
    try:
        jobs = engine.wait(job_ids)
    except Terminated:
        engine.stop(requeue_running=True)  # the job runs again later, nothing is lost
        raise
    except KeyboardInterrupt:
        interrupted = True
        print("\ngenloom: cancelling...", file=sys.stderr)
        for job_id in job_ids:
            try:
                if project.jobs.get(job_id).state in ("queued", "running"):
                    engine.cancel(job_id)
            except Exception:
                pass
        deadline = time.monotonic() + engine.settings.cancel_grace_s + 5
        jobs = [project.jobs.get(j) for j in job_ids]
        while time.monotonic() < deadline and any(j.state in ("queued", "running") for j in jobs):
            time.sleep(0.05)
            jobs = [project.jobs.get(j) for j in job_ids]
    finally:
        engine.stop()
    return report(project, jobs, args, interrupted)


def _still_there(project: Project, job: Job) -> list[Asset]:
    """The job's assets that still exist (another process may have deleted some)."""
    found = []
    for asset_id in job.asset_ids:
        try:
            found.append(project.get_asset(asset_id))
        except LookupError:
            continue
    return found


def report(project: Project, jobs: list[Job], args: argparse.Namespace, interrupted: bool = False) -> int:
    if args.json:
        emit_json({"jobs": [{**job_dict(job), "assets": [asset_dict(project, asset)
                                                          for asset in _still_there(project, job)]}
                            for job in jobs]})
    else:
        for job in jobs:
            for asset_id in job.asset_ids:
                try:
                    print(project.asset_path(project.get_asset(asset_id)))
                except LookupError:
                    print(f"genloom: asset {asset_id} of job {job.id} was deleted since "
                          "(by another process)", file=sys.stderr)
            if job.state == "failed":
                print(f"genloom: job {job.id} failed: {job.error}", file=sys.stderr)
    if interrupted:
        return codes.EXIT_INTERRUPTED
    if any(job.state == "failed" for job in jobs):
        return codes.EXIT_FAILED
    if any(job.state == "cancelled" for job in jobs):
        return codes.EXIT_INTERRUPTED
    return codes.EXIT_OK
