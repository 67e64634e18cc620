"""What every command needs: settings, plugins and the project, found the same way."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from genloom.core.plugins import PluginManager
    from genloom.core.project import Asset, Job, Project
    from genloom.core.settings import Settings


def load_settings() -> Settings:
    from genloom.core.settings import Settings

    return Settings.load()


def load_plugins(settings: Settings) -> PluginManager:
    from genloom.core.plugins import PluginConfig, PluginManager

    return PluginManager(PluginConfig.from_settings(settings)).load()


def project_path(args: argparse.Namespace, settings: Settings) -> Path:
    """--project, then $GENLOOM_PROJECT, then the current folder if it is a
    project, then the last project used, then a default one in the user's documents."""
    from genloom.core import paths

    if getattr(args, "project", None):
        return Path(args.project).expanduser()
    if os.environ.get("GENLOOM_PROJECT"):
        return Path(os.environ["GENLOOM_PROJECT"]).expanduser()
    if (Path.cwd() / "genloom.db").exists():
        return Path.cwd()
    if settings.last_project and (Path(settings.last_project) / "genloom.db").exists():
        return Path(settings.last_project)
    return paths.default_project_dir()  # the app's first project too


def open_project(args: argparse.Namespace, settings: Settings, *, create: bool = False) -> Project:
    from genloom.core.project import Project

    path = project_path(args, settings)
    if create and not (path / "genloom.db").exists():
        project = Project.create(path)
        print(f"genloom: created project {path}", file=sys.stderr)
    else:
        project = Project.open(path)
    try:
        settings.remember_project(path)
        settings.save()
    except OSError:
        pass  # a read-only config folder must not stop the command
    return project


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def asset_dict(project: Project, asset: Asset, full: bool = False) -> dict[str, Any]:
    from genloom.core.project import ProjectError

    try:
        path = str(project.asset_path(asset))
    except ProjectError as exc:  # a crafted row or a link: say so instead of failing the listing
        path = f"(not usable: {exc})"
    data = {"id": asset.id, "kind": asset.kind, "path": path,
            "hash": asset.hash, "size": asset.size, "created": asset.created, "title": asset.title,
            "prompt": asset.prompt, "rating": asset.rating, "tags": list(asset.tags),
            "generator": asset.generator_id, "model": asset.model_id, "job": asset.job_id}
    if full:
        data.update(recipe=asset.recipe, metadata=asset.metadata, notes=asset.notes)
    return data


def job_dict(job: Job) -> dict[str, Any]:
    return {"id": job.id, "state": job.state, "position": job.position, "generator": job.generator_id,
            "params": job.params, "seed": job.seed, "seeds": list(job.seeds), "inputs": job.inputs, "model": job.model,
            "device": job.device, "batch": job.batch, "created": job.created, "started": job.started,
            "finished": job.finished, "error": job.error, "assets": list(job.asset_ids),
            "retry_of": job.retry_of, "rerun_of": job.rerun_of, "attempts": job.attempts}
