"""``genloom assets``: list, search, inspect, export, import and annotate assets."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from genloom.cli import main as codes
from genloom.cli.context import asset_dict, emit_json, load_settings, open_project

if TYPE_CHECKING:
    import argparse

    from genloom.core.project import Asset, Project


def _line(project: Project, asset: Asset) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(asset.created))
    stars = "*" * asset.rating
    label = (asset.title or asset.prompt or "").replace("\n", " ")[:60]
    tags = (" #" + " #".join(asset.tags)) if asset.tags else ""
    return f"{asset.id:>7}  {asset.kind:<5}  {when}  {stars:<5}  {label}{tags}"


def _print_assets(project: Project, assets: list[Asset], args: argparse.Namespace) -> None:
    if args.json:
        emit_json([asset_dict(project, a) for a in assets])
    elif not assets:
        print("no assets", file=sys.stderr)
    else:
        for asset in assets:
            print(_line(project, asset))


def list_assets(args: argparse.Namespace) -> int:
    project = open_project(args, load_settings())
    assets = project.list_assets(kind=args.kind, tag=args.tag, min_rating=args.min_rating,
                                 generator_id=args.generator, model_id=args.model, order=args.order,
                                 limit=args.limit, offset=args.offset)
    _print_assets(project, assets, args)
    return codes.EXIT_OK


def search_assets(args: argparse.Namespace) -> int:
    project = open_project(args, load_settings())
    _print_assets(project, project.search(args.query, limit=args.limit), args)
    return codes.EXIT_OK


def show_asset(args: argparse.Namespace) -> int:
    import json

    project = open_project(args, load_settings())
    asset = project.get_asset(args.asset)
    parents = project.parents(asset.id)
    children = project.children(asset.id)
    if args.json:
        emit_json({**asset_dict(project, asset, full=True), "file": _file_state(project, asset),
                   "parents": [p.id for p in parents],
                   "children": [c.id for c in children]})
        return codes.EXIT_OK
    data = asset_dict(project, asset)
    for key in ("id", "kind", "path", "hash", "size", "title", "prompt", "rating", "tags",
                "generator", "model", "job"):
        if data[key] not in ("", None, [], 0) or key in ("id", "rating"):
            print(f"{key}: {data[key]}")
    print("created: " + time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(asset.created)))
    print("file: " + _file_state(project, asset))
    if asset.notes:
        print("notes: " + asset.notes)
    print("parents: " + (", ".join(f"{p.id} ({p.kind})" for p in parents) or "none"))
    print("children: " + (", ".join(f"{c.id} ({c.kind})" for c in children) or "none"))
    if asset.recipe:
        print("recipe:")
        print("  " + json.dumps(asset.recipe, indent=2, sort_keys=True, default=str).replace("\n", "\n  "))
    if asset.metadata:
        print("metadata: " + json.dumps(asset.metadata, sort_keys=True, default=str))
    return codes.EXIT_OK


def _file_state(project: Project, asset: Asset) -> str:
    """"intact", or what is wrong with the asset's file (checked against its hash)."""
    from genloom.core.project import ProjectError

    try:
        project.verified_path(asset)
    except ProjectError as exc:
        return f"DAMAGED: {exc}"
    return "intact"


def export_asset(args: argparse.Namespace) -> int:
    from genloom.core.exporting import export_asset as export

    settings = load_settings()
    project = open_project(args, settings)
    # A damaged file is reported, never exported (export_asset checks it against its hash).
    asset = project.get_asset(args.asset)
    written = export(project, asset, Path(args.dest), settings,
                     audio_format=getattr(args, "audio_format", None),
                     target_lufs=getattr(args, "loudness", None))
    if args.json:
        emit_json({"asset": asset.id, "path": str(written)})
    else:
        print(written)
    return codes.EXIT_OK


def frame_asset(args: argparse.Namespace) -> int:
    from genloom.core.frames import extract_frame

    settings = load_settings()
    project = open_project(args, settings)
    which: int | str = args.which
    try:
        which = int(args.which)
    except ValueError:
        pass
    image = extract_frame(project, args.asset, which)
    _print_assets(project, [image], args)
    return codes.EXIT_OK


def import_assets(args: argparse.Namespace) -> int:
    from genloom.core.importing import import_file
    from genloom.core.models import ModelLibrary

    settings = load_settings()
    project = open_project(args, settings)
    library = ModelLibrary(None, hf_cache=settings.scan_hf_cache)  # what is indexed; no scan
    try:
        added = [import_file(project, Path(name), tags=args.tag, library=library, settings=settings)
                 for name in args.files]
    finally:
        library.close()
    for asset in added:
        if asset.metadata.get("recipe_ignored"):
            print(f"genloom: asset {asset.id}: {asset.metadata['recipe_ignored']}; imported "
                  "without it", file=sys.stderr)
        if asset.metadata.get("recipe_model_missing"):
            print(f"genloom: asset {asset.id}: {asset.metadata['recipe_model_missing']}", file=sys.stderr)
        credentials = asset.metadata.get("credentials") or {}
        if credentials.get("status") == "tampered":
            print(f"genloom: asset {asset.id}: its content credentials do not match the file "
                  "(changed after signing); `genloom verify` the original for details", file=sys.stderr)
    _print_assets(project, added, args)
    return codes.EXIT_OK


def tag_asset(args: argparse.Namespace) -> int:
    project = open_project(args, load_settings())
    asset = (project.remove_tags if args.remove else project.add_tags)(args.asset, args.tags)
    _print_assets(project, [asset], args)
    return codes.EXIT_OK


def rate_asset(args: argparse.Namespace) -> int:
    project = open_project(args, load_settings())
    _print_assets(project, [project.set_rating(args.asset, args.rating)], args)
    return codes.EXIT_OK


def note_asset(args: argparse.Namespace) -> int:
    project = open_project(args, load_settings())
    _print_assets(project, [project.set_notes(args.asset, args.notes)], args)
    return codes.EXIT_OK


def delete_assets(args: argparse.Namespace) -> int:
    project = open_project(args, load_settings())
    for asset_id in args.asset:
        project.delete_asset(asset_id)
    if args.json:
        emit_json({"deleted": args.asset})
    else:
        print("deleted " + ", ".join(map(str, args.asset)))
    return codes.EXIT_OK
