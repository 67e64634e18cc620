"""``genloom plugins`` and ``genloom generators``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from genloom.cli import main as codes
from genloom.cli.context import emit_json, load_plugins, load_settings

if TYPE_CHECKING:
    import argparse

    from genloom.core.settings import Settings
    from genloom.sdk.params import Param


def plugins(args: argparse.Namespace) -> int:
    if args.action in ("install", "uninstall", "rollback", "snapshots"):
        from genloom.cli import cmd_plugin_install

        return cmd_plugin_install.run(args)
    settings = load_settings()
    if args.action in ("enable", "disable"):
        return _toggle(settings, args)
    manager = load_plugins(settings)
    records = list(manager.plugins.values())
    if args.json:
        emit_json([r.to_dict() for r in records])
        return codes.EXIT_OK
    for record in records:
        where = f"{record.source} {record.location}"
        version = f" {record.version}" if record.version else ""
        print(f"{record.name}{version}  [{record.status}]  {where}")
        if record.generators:
            print("    generators: " + ", ".join(record.generators))
        if record.models:
            print("    models: " + ", ".join(record.models))
        if record.status == "failed":
            lines = record.error.splitlines()
            shown = lines if args.traceback else lines[:1] + lines[-1:] if len(lines) > 1 else lines
            for line in shown:
                print("    " + line)
        for warning in record.warnings:
            print("    warning: " + warning)
    failed = manager.failed()
    if failed and not args.traceback:
        print(f"\n{len(failed)} plugin(s) failed; `genloom plugins --traceback` shows why in full")
    return codes.EXIT_OK


def _toggle(settings: Settings, args: argparse.Namespace) -> int:
    from genloom.sdk.errors import GenloomError

    if not args.name:
        raise GenloomError(f"name the plugin to {args.action}: genloom plugins {args.action} NAME")
    disabled = set(settings.disabled_plugins)
    if args.action == "disable":
        disabled.add(args.name)
    else:
        disabled.discard(args.name)
    settings.disabled_plugins = sorted(disabled)
    settings.save()
    print(f"plugin {args.name} {args.action}d (takes effect the next time plugins load)")
    return codes.EXIT_OK


def generators(args: argparse.Namespace) -> int:
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
