"""``genloom plugins`` and ``genloom generators``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from genloom.cli import main as codes
from genloom.cli.context import emit_json, load_plugins, load_settings

if TYPE_CHECKING:
    import argparse

    from genloom.core.plugins import PluginManager, PluginRecord
    from genloom.core.settings import Settings
    from genloom.sdk.params import Param


def plugins(args: argparse.Namespace) -> int:
    if args.action in ("install", "uninstall", "rollback", "snapshots"):
        from genloom.cli import cmd_plugin_install

        return cmd_plugin_install.run(args)
    settings = load_settings()
    if args.action in ("enable", "disable"):
        return _toggle(settings, args)
    if getattr(args, "no_load", False):
        from genloom.core.plugins import PluginConfig, PluginManager

        manager = PluginManager(PluginConfig.from_settings(settings))
        records = manager.survey()
    else:
        manager = load_plugins(settings)
        records = list(manager.plugins.values())
    failed = [r for r in records if r.status == "failed"]
    exit_code = codes.EXIT_PLUGINS if failed else codes.EXIT_OK
    if getattr(args, "trace", False):
        return _trace(manager, args) or exit_code
    if args.json:
        emit_json([r.to_dict() for r in records])
        return exit_code
    for record in records:
        _print_record(record, args)
    if failed and not args.traceback:
        print(f"\n{len(failed)} plugin(s) failed; `genloom plugins --traceback` shows why in full")
    return exit_code


def _print_record(record: PluginRecord, args: argparse.Namespace) -> None:
    where = f"{record.source} {record.location}"
    version = f" {record.version}" if record.version else ""
    title = f" ({record.display_name})" if record.display_name and record.display_name != record.name else ""
    print(f"{record.name}{title}{version}  [{record.status}]  {where}")
    summary = record.generator_summary()
    if summary:
        print("    generators: " + summary)
    if not record.manifest:
        print("    no manifest (genloom-plugin.toml): listed only after its import")
    if record.models:
        print("    models: " + ", ".join(record.models))
    if record.status == "failed":
        lines = record.error.splitlines()
        shown = lines if args.traceback else lines[:1] + lines[-1:] if len(lines) > 1 else lines
        for line in shown:
            print("    " + line)
    for warning in record.warnings:
        print("    warning: " + warning)


def _trace(manager: PluginManager, args: argparse.Namespace) -> int:
    """Where each plugin was found, in order, and what became of it."""
    if not manager.trace:
        manager.load()
    if args.json:
        emit_json([step.to_dict() for step in manager.trace])
        return 0
    print("plugins are looked for in this order: entry points (by name), the plugin folders "
          "(user plugins folder, settings.plugin_dirs, GENLOOM_PLUGIN_PATH), explicit modules")
    for step in manager.trace:
        print(f"{step.order:>3}. {step.name}  [{step.outcome}]  {step.source} {step.location}")
        print(f"       found through: {step.origin}")
        if step.reason:
            print(f"       why: {step.reason}")
    return 0


def _toggle(settings: Settings, args: argparse.Namespace) -> int:
    from genloom.core.plugins import PluginConfig, PluginManager, set_plugin_enabled
    from genloom.sdk.errors import GenloomError

    if not args.name:
        raise GenloomError(f"name the plugin to {args.action}: genloom plugins {args.action} NAME")
    known = [r.name for r in PluginManager(PluginConfig.from_settings(settings)).survey()]
    changed = set_plugin_enabled(settings, args.name, args.action == "enable", known)
    if not changed:
        state = "enabled (it is not disabled)" if args.action == "enable" else "disabled"
        print(f"plugin {args.name} is already {state}; nothing changed")
        return codes.EXIT_OK
    print(f"plugin {args.name} {args.action}d (takes effect the next time plugins load)")
    return codes.EXIT_OK


def generators(args: argparse.Namespace) -> int:
    if getattr(args, "no_load", False) and not args.generator:
        return _declared_generators(args)
    if not args.generator and not args.json and _confirmed_generators(args):
        return codes.EXIT_OK
    manager = load_plugins(load_settings())
    if args.generator:
        spec = manager.generator(args.generator)
        if args.json:
            emit_json(spec.to_dict())
            return codes.EXIT_OK
        print(f"{spec.id}  ({spec.modality})  {spec.title}  — plugin {spec.plugin} {spec.plugin_version}")
        if spec.description:
            print(f"  {spec.description}")
        for param in spec.params:
            print("  " + _describe_param(param))
        for item in spec.inputs:
            need = "required" if item.required else "optional"
            print(f"  input {item.role}: {item.kind} asset ({need})  {item.description}".rstrip())
        if spec.default_model:
            print(f"  default model: {spec.default_model}")
        return codes.EXIT_OK
    specs = [s for s in manager.generators.values() if not args.modality or s.modality == args.modality]
    if args.json:
        emit_json([s.to_dict() for s in specs])
        return codes.EXIT_OK
    for spec in sorted(specs, key=lambda s: (s.modality, s.id)):
        print(f"{spec.id:<32} {spec.modality:<6} {spec.title}")
    for record in manager.failed():  # listed as unavailable, as `genloom plugins` lists them
        declared = ", ".join(g["id"] for g in record.declared) or "not known (no manifest)"
        print(f"genloom: plugin {record.name} failed to load; its generators are unavailable: "
              f"{declared}; `genloom plugins` shows why", file=sys.stderr)
    return codes.EXIT_OK


def _confirmed_generators(args: argparse.Namespace) -> bool:
    """List the generators from the plugins' manifests when core confirms each manifest
    matches its code (a clean load of the same files before); False when it cannot, and
    the plugins must be imported."""
    from genloom.core.plugins import PluginConfig, PluginManager

    records = PluginManager(PluginConfig.from_settings(load_settings())).survey_confirmed()
    if records is None:
        return False
    declared = [g for r in records if r.status != "disabled" for g in r.declared
                if not args.modality or g["modality"] == args.modality]
    for item in sorted(declared, key=lambda g: (g["modality"], g["id"])):
        print(f"{item['id']:<32} {item['modality']:<6} {item['title']}")
    return True


def _declared_generators(args: argparse.Namespace) -> int:
    """The generators the enabled plugins' manifests declare: fast, nothing imported."""
    from genloom.core.plugins import PluginConfig, PluginManager

    records = PluginManager(PluginConfig.from_settings(load_settings())).survey()
    declared = [dict(g, plugin=r.name) for r in records if r.status != "disabled" for g in r.declared
                if not args.modality or g["modality"] == args.modality]
    if args.json:
        emit_json(declared)
        return codes.EXIT_OK
    for item in sorted(declared, key=lambda g: (g["modality"], g["id"])):
        print(f"{item['id']:<32} {item['modality']:<6} {item['title']}")
    return codes.EXIT_OK


def _describe_param(param: Param) -> str:
    data = param.to_dict()
    bits = [f"{param.name} ({param.type})", f"default {param.default!r}"]
    if data.get("minimum") is not None or data.get("maximum") is not None:
        bits.append(f"range {data.get('minimum')}..{data.get('maximum')}")
    if data.get("choices"):
        bits.append("choices " + "/".join(data["choices"]))
    text = ", ".join(bits)
    if param.description:
        text += f"  — {param.description}"
    return text
