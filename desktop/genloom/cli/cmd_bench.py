"""``genloom bench``: measure this machine with the user's models; list or share the results."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from genloom.cli import main as codes
from genloom.cli.cmd_generate import parse_sets
from genloom.cli.context import emit_json, load_plugins, load_settings
from genloom.sdk.errors import ParameterError

if TYPE_CHECKING:
    import argparse


def bench(args: argparse.Namespace) -> int:
    from genloom.core import benchmarking

    if args.list or args.report:
        results = benchmarking.best_results(benchmarking.load_results())
        if args.json:
            emit_json([r.to_dict() for r in results])
        elif args.report:
            print(benchmarking.text_report(results))
            if not results:
                print("Run `genloom bench` to measure the generators that have a model.")
        else:
            _print_table(results)
        return codes.EXIT_OK

    from genloom.core.models import ModelLibrary

    settings = load_settings()
    plugins = load_plugins(settings)
    specs = benchmarking.bench_candidates(plugins, args.generators, args.modality)
    if not specs:
        print("genloom: no generator to benchmark: none of the installed ones has a model of its own "
              "and needs no input; name one (`genloom generators` lists them)", file=sys.stderr)
        return codes.EXIT_NOT_FOUND
    library = ModelLibrary(plugins, hf_cache=settings.scan_hf_cache)
    device = args.device or settings.device
    names = {item.split("=", 1)[0].strip() for item in args.sets}
    for name in sorted(names):
        if not any(p.name == name for spec in specs for p in spec.params):
            raise ParameterError(name, "", "is not a parameter of any generator measured here",
                                 "`genloom generators GENERATOR` lists a generator's parameters")
    results = []
    for spec in specs:
        own = {p.name for p in spec.params}
        values = parse_sets(spec, None, [item for item in args.sets if item.split("=", 1)[0].strip() in own])
        chosen = benchmarking.backends(spec) if args.backend == "all" else (args.backend or "",)
        for backend in chosen:
            if backend:
                values = {**values, "backend": backend}
            result = benchmarking.run_benchmark(
                spec, library, model=args.model, params=values, device=device, runs=args.runs,
                progress=None if args.json or args.quiet else _say)
            if not args.no_save:
                benchmarking.save_result(result)
            results.append(result)
            if not args.json:
                _print_table([result], header=len(results) == 1)
    if args.json:
        emit_json([r.to_dict() for r in results])
    return codes.EXIT_OK


def _say(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def _print_table(results: list[Any], header: bool = True) -> None:
    if not results:
        print("no benchmarks yet; run `genloom bench` to measure the generators that have a model")
        return
    if header:
        print(f"{'generator':<22} {'model':<30} {'backend/device':<20} figures")
    for r in results:
        where = "/".join(x for x in (r.backend, r.device, r.dtype) if x)
        print(f"{r.generator_id:<22} {(r.model_title or r.model_id or '-')[:30]:<30} {where:<20} {r.summary()}")
