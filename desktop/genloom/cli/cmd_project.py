"""``genloom project``: create, describe and check project folders."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from genloom.cli import main as codes
from genloom.cli.context import emit_json, load_settings, project_path

if TYPE_CHECKING:
    from genloom.core.project import Project


def new_project(args: argparse.Namespace) -> int:
    from genloom.core.project import Project

    project = Project.create(Path(args.path).expanduser(), name=args.name)
    settings = load_settings()
    settings.remember_project(project.path)
    settings.save()
    if args.json:
        emit_json({"path": str(project.path), "name": project.name})
    else:
        print(f"created project {project.name!r} in {project.path}")
    return codes.EXIT_OK


def _open(args: argparse.Namespace) -> Project:
    from genloom.core.project import Project

    return Project.open(project_path(argparse.Namespace(project=args.path), load_settings()))


def project_info(args: argparse.Namespace) -> int:
    project = _open(args)
    counts = {kind: project.count_assets(kind=kind) for kind in ("text", "image", "audio", "video", "code")}
    jobs: dict[str, int] = {}
    for job in project.jobs.list(limit=1_000_000):
        jobs[job.state] = jobs.get(job.state, 0) + 1
    tags = dict(project.all_tags()[:20])
    info = {"path": str(project.path), "name": project.name, "assets": counts,
            "total_assets": sum(counts.values()), "jobs": jobs, "tags": tags}
    if args.json:
        emit_json(info)
    else:
        print(f"project {project.name!r} at {project.path}")
        print(f"assets: {info['total_assets']} (" + ", ".join(f"{k} {v}" for k, v in counts.items() if v) + ")")
        print("jobs: " + (", ".join(f"{k} {v}" for k, v in sorted(jobs.items())) or "none"))
        if tags:
            print("tags: " + ", ".join(f"{k} ({v})" for k, v in tags.items()))
    return codes.EXIT_OK


def check_project(args: argparse.Namespace) -> int:
    project = _open(args)
    report = project.check(repair=args.repair)
    data = report.to_dict() if hasattr(report, "to_dict") else vars(report)
    if args.json:
        emit_json(data)
    else:
        for key, value in data.items():
            print(f"{key}: {value}")
    problems = getattr(report, "ok", None)
    return codes.EXIT_OK if problems in (None, True) else codes.EXIT_FAILED


def archive_project(args: argparse.Namespace) -> int:
    from genloom.core.project.archive import SUFFIX, archive_project

    project = _open(args)
    dest = Path(args.output).expanduser() if args.output else Path.cwd() / f"{project.name}{SUFFIX}"
    written = archive_project(project, dest)
    if args.json:
        emit_json({"project": str(project.path), "archive": str(written), "size": written.stat().st_size})
    else:
        print(written)
    return codes.EXIT_OK


def unarchive_project(args: argparse.Namespace) -> int:
    from genloom.core.project.archive import unarchive

    project = unarchive(Path(args.archive), Path(args.target))
    assets = project.count_assets()
    if args.json:
        emit_json({"path": str(project.path), "name": project.name, "assets": assets})
    else:
        print(f"unpacked project {project.name!r} ({assets} assets) into {project.path}")
    return codes.EXIT_OK
