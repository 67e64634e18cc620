"""The evaluation job: core's generator ``eval.metrics`` measures a set in the worker.

:func:`queue_evaluation` (the engine's side) resolves the set, picks the metrics that
apply and the models they need, and queues one job whose inputs are the set's assets
(``image.N``, ``text.N``...: the engine checks every file against its hash and the
report's lineage lists them). The ``plan`` parameter says each input's group and prompt
and names the models by bundled id or library hash, never by path. In the worker,
:class:`Evaluate` runs :func:`~genloom.core.evaluation.compute.compute` with the worker's
plugins' metrics and returns the results as one JSON report asset, which
:mod:`.store` records in the project's metric tables when the job is done.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genloom.core.evaluation.sets import (
    EVAL_GENERATOR,
    EvalSet,
    group_of,
    parse_group_by,
    resolve_set,
)
from genloom.sdk.errors import InputError, ParameterError
from genloom.sdk.params import StringParam
from genloom.sdk.spec import MODALITIES, GeneratorSpec, InputSpec

if TYPE_CHECKING:
    from genloom.core.jobs.engine import Engine
    from genloom.core.plugins import PluginManager
    from genloom.core.project import Asset, Job
    from genloom.sdk.metrics import MetricSpec
    from genloom.sdk.models import ModelRef
    from genloom.sdk.run import Generator, Output, Request, RunState

__all__ = ["EVAL_GENERATOR", "Evaluate", "applicable_metrics", "evaluation_spec", "model_choices",
           "queue_evaluation"]

_PLAN_LIMIT = 20_000_000
_PROMPT_LIMIT = 10_000
#: Sub-folders of a bundled model a metric may ask for (a diffusers model's VAE).
_SUBFOLDERS = ("", "vae")


def _factory() -> Generator:
    return Evaluate()


def _check(params: dict[str, Any]) -> None:
    try:
        plan = json.loads(params.get("plan", ""))
    except ValueError:
        raise ParameterError("plan", params.get("plan", "")[:40], "is not JSON",
                             "let Genloom make the plan from a set") from None
    if not isinstance(plan, dict) or not isinstance(plan.get("assets"), list) or not plan["assets"]:
        raise ParameterError("plan", params.get("plan", "")[:40], "names no assets",
                             "choose a set with assets in it")


def evaluation_spec() -> GeneratorSpec:
    """The spec of ``eval.metrics`` (plain data)."""
    from genloom import __version__

    return GeneratorSpec(
        id=EVAL_GENERATOR, modality="code", title="Evaluation",
        description="Measures a set of assets with the chosen metrics; the result is a JSON report.",
        factory=_factory, uses_seed=False, check=_check, plugin="genloom", plugin_version=__version__,
        inputs=tuple(InputSpec(f"{kind}.*", kind, required=False) for kind in MODALITIES),
        params=(StringParam("plan", "", min_length=2, max_length=_PLAN_LIMIT,
                            description="What to measure (made from the set)."),),
    )


# -- the engine's side -----------------------------------------------------------------


def model_choices(plugins: PluginManager, library: Any = None,
                  reference_model: str | None = None) -> dict[str, dict[str, str]]:
    """The models the metrics' roles would use now: role -> a reference the worker resolves.

    ``image_vae``: the VAE of the first bundled diffusers model; ``reference_text``: the
    model the user named, else the bundled model of the first text generator; ``clip``:
    a CLIP-family model in the model library (none is bundled, so it is offered only then).
    """
    chosen: dict[str, dict[str, str]] = {}
    for model_id in sorted(plugins.models):
        model = plugins.models[model_id]
        if model.kind == "diffusers" and (Path(model.path) / "vae" / "config.json").is_file():
            chosen["image_vae"] = {"source": "bundled", "id": model_id, "sub": "vae"}
            break
    if reference_model:
        if reference_model in plugins.models:
            chosen["reference_text"] = {"source": "bundled", "id": reference_model, "sub": ""}
        elif library is not None:
            entry = library.get(reference_model)  # ModelNotFoundError names close matches
            chosen["reference_text"] = {"source": "library", "id": entry.hash, "sub": ""}
        else:
            raise ParameterError("reference model", reference_model, "is not a bundled model",
                                 "pick one from the model library")
    else:
        for spec in sorted(plugins.generators.values(), key=lambda s: s.id):
            if spec.modality == "text" and spec.default_model in plugins.models:
                chosen["reference_text"] = {"source": "bundled", "id": spec.default_model, "sub": ""}
                break
    if library is not None:
        for entry in library.models():
            names = f"{entry.architecture} {(entry.details or {}).get('architectures', '')}"
            if "clip" in names.lower() and entry.status != "missing":
                chosen["clip"] = {"source": "library", "id": entry.hash, "sub": ""}
                break
    return chosen


def applicable_metrics(metrics: dict[str, MetricSpec], assets: Sequence[Asset],
                       models: dict[str, Any]) -> list[MetricSpec]:
    """The metrics that measure at least one of ``assets`` and whose model is available."""
    return [m for m in metrics.values()
            if (not m.needs_model or m.needs_model in models)
            and any(m.applies_to(a.kind, a.suffix) for a in assets)]


def queue_evaluation(engine: Engine, selection: EvalSet, *, metrics: Sequence[str] | None = None,
                     group_by: str | Sequence[str] | None = None,
                     reference_model: str | None = None, skip_inapplicable: bool = False) -> Job:
    """Queue the evaluation of ``selection`` (``metrics``: ids; default every one that applies).

    A named metric that measures none of the set's assets, or whose model is missing, is
    refused, or with ``skip_inapplicable`` left out (a view offering every metric).
    """
    from genloom.core.evaluation.store import evaluations_of

    how, name = parse_group_by(group_by)
    assets = resolve_set(engine.project, selection)
    if not assets:
        raise ParameterError("set", selection.label, "has no assets", "choose a set with assets in it")
    available = engine.plugins.all_metrics()
    library = engine.model_library() if any(m.needs_model == "clip" for m in available.values()) else None
    models = model_choices(engine.plugins, library, reference_model)
    if metrics:
        chosen = []
        for metric_id in dict.fromkeys(metrics):
            if metric_id not in available:
                close = difflib.get_close_matches(metric_id, list(available), n=3)
                raise ParameterError("metric", metric_id, "is not a metric",
                                     f"did you mean {', '.join(close)}?" if close else
                                     f"use one of {', '.join(sorted(available))}")
            spec = available[metric_id]
            if skip_inapplicable and spec not in applicable_metrics({spec.id: spec}, assets, models):
                continue
            if spec.needs_model and spec.needs_model not in models:
                raise ParameterError("metric", metric_id, f"needs a {spec.needs_model.replace('_', ' ')} "
                                     "model and none is available", "add one to the model library")
            if not any(spec.applies_to(a.kind, a.suffix) for a in assets):
                raise ParameterError("metric", metric_id, "measures none of the set's assets "
                                     f"(it measures {', '.join(spec.modalities)})",
                                     "choose a metric for the set's kinds")
            chosen.append(spec)
        if not chosen:
            raise ParameterError("metrics", ", ".join(metrics)[:80], "measure none of the set's assets",
                                 "choose metrics for the set's kinds")
    else:
        chosen = applicable_metrics(available, assets, models)
        if not chosen:
            raise ParameterError("set", selection.label, "has no assets any metric measures",
                                 "choose a set of images, text, code, audio or video")
    counts: dict[str, int] = {}
    inputs: dict[str, int] = {}
    entries = []
    for asset in assets:
        role = f"{asset.kind}.{counts.get(asset.kind, 0)}"
        counts[asset.kind] = counts.get(asset.kind, 0) + 1
        inputs[role] = asset.id
        entries.append({"role": role, "group": group_of(asset, how, name),
                        "prompt": (asset.prompt or "")[:_PROMPT_LIMIT]})
    needed = {m.needs_model for m in chosen if m.needs_model}
    plan = {"set": selection.to_dict(), "set_key": selection.key,
            "group_by": how if how != "param" else f"param:{name}",
            "metrics": [m.id for m in chosen], "assets": entries,
            "models": {role: ref for role, ref in models.items() if role in needed}}
    evaluations_of(engine.project)  # records the results when the job is done
    (job,) = engine.submit(EVAL_GENERATOR, {"plan": json.dumps(plan)}, inputs=inputs)
    return job


# -- the worker's side -----------------------------------------------------------------


def _model_path(ref: Any, plugins: PluginManager) -> Path:
    if not isinstance(ref, dict) or ref.get("sub", "") not in _SUBFOLDERS:
        raise InputError(f"the plan names a model in a way Genloom does not make: {ref!r:.80}")
    if ref.get("source") == "bundled" and ref.get("id") in plugins.models:
        folder = Path(plugins.models[ref["id"]].path)
    elif ref.get("source") == "library" and isinstance(ref.get("id"), str):
        from genloom.core.models import ModelLibrary

        entry = ModelLibrary(None, hf_cache=False).get(ref["id"])
        paths = [Path(loc.path) for loc in entry.locations if Path(loc.path).exists()]
        if not paths:
            raise InputError(f"the model {entry.title!r} is no longer where the library found it")
        folder = paths[0]
    else:
        raise InputError(f"the model {ref.get('id')!r:.80} is not available in the worker")
    return folder / ref["sub"] if ref["sub"] else folder


class Evaluate:
    """The ``eval.metrics`` generator (runs in the worker)."""

    def __init__(self, plugins: PluginManager | None = None) -> None:
        self._plugins = plugins

    def load(self, model: ModelRef | None, device: str, dtype: str) -> None:
        pass

    def run(self, request: Request, state: RunState) -> list[Output]:
        from genloom.core.evaluation.compute import compute
        from genloom.core.internal import worker_plugins
        from genloom.sdk.metrics import MetricAsset, MetricContext
        from genloom.sdk.run import Output, fit_title

        plugins = self._plugins or worker_plugins()
        plan = json.loads(request.params["plan"])
        known = plugins.all_metrics()
        metrics = [known[m] for m in plan.get("metrics", []) if m in known]
        missing = [m for m in plan.get("metrics", []) if m not in known]
        models: dict[str, Path] = {}
        model_errors: dict[str, str] = {}
        for role, ref in (plan.get("models") or {}).items():
            try:
                models[str(role)] = _model_path(ref, plugins)
            except Exception as exc:  # noqa: BLE001 - one missing model fails only its metrics
                model_errors[str(role)] = str(exc)
        assets: list[MetricAsset] = []
        groups: dict[int, str] = {}
        for entry in plan["assets"]:
            item = request.inputs.get(entry.get("role", ""))
            if item is None:
                raise InputError(f"the plan's asset {entry.get('role')!r:.40} is not among the job's inputs")
            groups[len(assets)] = str(entry.get("group", "all"))[:200]
            assets.append(MetricAsset(asset_id=item.asset_id, kind=item.kind, path=Path(item.path),
                                      prompt=str(entry.get("prompt", "")), metadata=dict(item.metadata)))
        context = MetricContext(device=request.device, models=models, scratch=request.output_dir / "work",
                                is_cancelled=lambda: state.cancelled)
        context.scratch.mkdir(parents=True, exist_ok=True)
        result = compute(assets, groups, metrics, context,
                         progress=lambda step, total, message: state.progress(step, total, message))
        for metric_id in missing:
            result["failures"][metric_id] = "this metric is not available in the worker (its plugin " \
                                            "is missing, disabled or failed to load)"
        for metric in metrics:
            if metric.needs_model in model_errors:
                result["failures"].setdefault(metric.id, model_errors[metric.needs_model])
        result.update(set=plan.get("set", {}), set_key=str(plan.get("set_key", "")),
                      group_by=str(plan.get("group_by", "none")))
        out = request.output_dir / "evaluation.json"
        out.write_text(json.dumps(result, indent=1, allow_nan=False), encoding="utf-8")
        label = str((plan.get("set") or {}).get("label", "") or "")
        title = fit_title(f"Evaluation of {label or f'{len(assets)} assets'}: "
                          f"{len(metrics)} metric{'s' if len(metrics) != 1 else ''}")
        return [Output(kind="code", path=out, suffix=".json", title=title, metadata={
            "evaluation": True, "set": plan.get("set", {}), "metrics": len(metrics),
            "assets": len(assets)})]

    def unload(self) -> None:
        pass
