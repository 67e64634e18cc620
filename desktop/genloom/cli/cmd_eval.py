"""``genloom eval``: measure a set with offline metrics and write its report
(see ``genloom.core.evaluation``)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genloom.cli import main as codes
from genloom.cli.context import emit_json, load_plugins, load_settings, open_project
from genloom.sdk.errors import ParameterError

if TYPE_CHECKING:
    import argparse

    from genloom.core.evaluation.sets import EvalSet
    from genloom.core.plugins import PluginManager


def _selection(args: argparse.Namespace) -> EvalSet:
    from genloom.core.evaluation.sets import EvalSet

    given = [(kind, value) for kind, value in (("tag", args.tag), ("search", args.search),
                                               ("batch", args.batch), ("parent", args.parent))
             if value is not None]
    if given and args.assets:
        raise ParameterError("set", given[0][0], "was given beside asset ids", "give one or the other")
    if given:
        return EvalSet(*given[0])
    if not args.assets:
        raise ParameterError("set", "nothing", "was not given",
                             "give asset ids, --tag, --search, --batch or --parent")
    return EvalSet("ids", list(args.assets))


def _list_metrics(plugins: PluginManager, as_json: bool) -> int:
    metrics = plugins.all_metrics()
    if as_json:
        emit_json({"metrics": [m.to_dict() for m in metrics.values()]})
        return codes.EXIT_OK
    for metric in sorted(metrics.values(), key=lambda m: (m.modalities, m.id)):
        direction = {True: "higher is better", False: "lower is better", None: "no direction"}[
            metric.higher_is_better]
        scope = " and ".join(s for s, f in (("asset", metric.per_asset), ("set", metric.per_set)) if f)
        print(f"{metric.id:<32} {'/'.join(metric.modalities):<11} per {scope}; {direction}"
              + (f"; needs a {metric.needs_model.replace('_', ' ')} model" if metric.needs_model else ""))
        print(f"    {metric.description}")
    return codes.EXIT_OK


def evaluate(args: argparse.Namespace) -> int:
    from genloom.cli.cmd_generate import run_jobs
    from genloom.core.evaluation.job import queue_evaluation
    from genloom.core.evaluation.report import report_data, write_report
    from genloom.core.evaluation.store import evaluations_of
    from genloom.core.jobs.engine import Engine

    settings = load_settings()
    plugins = load_plugins(settings)
    if args.list_metrics:
        return _list_metrics(plugins, args.json)
    selection = _selection(args)
    group_by = args.group_by or []
    if len(group_by) > 2:
        raise ParameterError("--group-by", " ".join(group_by), "has too many words",
                             "write generator, model or param NAME")
    project = open_project(args, settings)
    engine = Engine(project, plugins, settings, scope=())
    job = queue_evaluation(engine, selection, metrics=args.metric, group_by=group_by or None,
                           reference_model=args.reference_model)
    # The job's own report (the JSON asset) is not this command's output: stdout carries the
    # evaluation alone.
    with contextlib.redirect_stdout(sys.stderr):
        outcome = run_jobs(engine, project, [job.id], argparse_copy(args))
    done = project.jobs.get(job.id)
    if done.state != "done":
        if outcome == codes.EXIT_OK:
            outcome = codes.EXIT_FAILED
        print(f"genloom: the evaluation did not finish ({done.state}): {done.error}", file=sys.stderr)
        return outcome
    evaluation = evaluations_of(project).record(done)
    if evaluation is None:
        print("genloom: the evaluation finished but its report is missing", file=sys.stderr)
        return codes.EXIT_FAILED
    html_path, json_path = write_report(project, evaluation, Path(args.out),
                                        stem=f"evaluation-{evaluation.id}")
    if args.json:
        emit_json({**report_data(project, evaluation), "html": str(html_path), "json": str(json_path)})
    else:
        _print_summary(evaluation.report)
        print(f"report: {html_path}\n        {json_path}")
        for metric_id, error in evaluation.report.get("failures", {}).items():
            print(f"genloom: metric {metric_id} failed: {str(error).splitlines()[0]}", file=sys.stderr)
    return codes.EXIT_OK


def argparse_copy(args: argparse.Namespace) -> argparse.Namespace:
    """``args`` for ``run_jobs``: its own job report is not printed (this command prints one)."""
    import argparse as _argparse

    copy = _argparse.Namespace(**vars(args))
    copy.json, copy.quiet = False, True if args.json else args.quiet
    return copy


def _print_summary(report: dict[str, Any]) -> None:
    from genloom.core.evaluation.report import format_value, headline

    metrics = report.get("metrics", {})
    groups = report.get("groups", {})
    order = report.get("group_order", list(groups))
    width = max([len(g) for g in order] + [8])
    print(f"{'group':<{width}}  " + "  ".join(f"{m.split('.', 1)[-1][:14]:>14}" for m in metrics))
    for group in order:
        cells = "  ".join(f"{format_value(headline(groups.get(group, {}).get(m, {}))):>14}" for m in metrics)
        print(f"{group:<{width}}  {cells}")
