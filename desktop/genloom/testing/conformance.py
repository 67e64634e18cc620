"""The generator contract, as a test any plugin can run on itself."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genloom.core.plugins import PluginConfig, PluginManager
from genloom.sdk import (
    MODALITIES,
    CancelledError,
    FloatParam,
    GeneratorSpec,
    InputAsset,
    IntParam,
    Output,
    ParameterError,
    Request,
    RunState,
)


def isolated_plugins(modules: Iterable[str] = (), dirs: Iterable[str | Path] = (),
                     entry_points: bool = False, disabled: Iterable[str] = ()) -> PluginManager:
    """A plugin manager that loads only the named plugin modules and folders."""
    config = PluginConfig(entry_points=entry_points, plugin_dirs=[str(d) for d in dirs],
                          modules=list(modules), disabled=list(disabled))
    return PluginManager(config).load()


@dataclass
class ConformanceReport:
    """What :func:`check_generator` saw (useful in a test's own assertions)."""

    generator_id: str
    outputs: list[Output] = field(default_factory=list)
    progress_reports: int = 0
    deterministic: bool | None = None
    cancel_honoured: bool | None = None
    batch_matches_alone: bool | None = None
    checks: list[str] = field(default_factory=list)


def check_generator(spec: GeneratorSpec, params: Mapping[str, Any] | None = None, *,
                    inputs: Mapping[str, InputAsset] | None = None, model: Any = None,
                    device: str = "cpu", dtype: str = "float32", seed: int = 1234,
                    check_determinism: bool = True, check_cancel: bool = True,
                    workdir: Path | None = None) -> ConformanceReport:
    """Run ``spec``'s generator through the Genloom contract; AssertionError on a breach.

    ``params`` are given to ``validate_params`` (so defaults fill the rest); give
    ``inputs`` for generators that need input assets and ``model`` (a ModelRef)
    for ones that need a model other than none.
    """
    report = ConformanceReport(spec.id)
    _check_spec(spec, report)
    values = spec.validate_params(dict(params or {}))
    _check_validation(spec, values, report)
    base = Path(workdir or tempfile.mkdtemp(prefix="genloom-conformance-"))

    generator = spec.factory()
    for method in ("load", "run", "unload"):
        assert callable(getattr(generator, method, None)), f"{spec.id}: the generator has no {method}() method"
    generator.load(model, device, dtype)
    try:
        first = _run(generator, spec, values, inputs, model, device, dtype, seed, base / "run-1", report)
        report.outputs = first
        if check_determinism and spec.uses_seed:
            second = _run(generator, spec, values, inputs, model, device, dtype, seed, base / "run-2", None)
            report.deterministic = [_bytes(o) for o in first] == [_bytes(o) for o in second]
            assert report.deterministic, (
                f"{spec.id}: the same request and seed gave different outputs; "
                "seed every random source from request.seed"
            )
            report.checks.append("same seed gives the same outputs")
        if spec.uses_seed and spec.batch_size > 1:
            _check_batch(generator, spec, values, inputs, model, device, dtype, seed, base, report)
        if check_cancel:
            state = RunState()
            state.cancel()
            request = _request(spec, values, inputs, model, device, dtype, seed, base / "run-cancelled")
            try:
                outputs = generator.run(request, state)
            except CancelledError:
                report.cancel_honoured = True
            else:
                report.cancel_honoured = all(o.partial for o in outputs or [])
            assert report.cancel_honoured, (
                f"{spec.id}: a run cancelled before its first step still returned complete outputs; "
                "check state.cancelled between steps (or call state.raise_if_cancelled())"
            )
            report.checks.append("cancellation is honoured")
    finally:
        generator.unload()
    return report


def _check_spec(spec: GeneratorSpec, report: ConformanceReport) -> None:
    assert spec.modality in MODALITIES, f"{spec.id}: modality {spec.modality!r} is not one of {MODALITIES}"
    try:
        json.dumps(spec.to_dict())
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"{spec.id}: the spec does not turn into plain JSON data: {exc}") from exc
    for param in spec.params:
        assert param.description, f"{spec.id}: parameter {param.name!r} has no description (it is the tooltip)"
    report.checks.append("spec is plain data and every parameter is described")


def _check_validation(spec: GeneratorSpec, values: dict[str, Any], report: ConformanceReport) -> None:
    for param in spec.params:
        bad: list[Any] = [object()]
        if isinstance(param, (IntParam, FloatParam)):
            if param.maximum is not None:
                bad.append(param.maximum + 1)
            if param.minimum is not None:
                bad.append(param.minimum - 1)
        for value in bad:
            try:
                spec.validate_params({**values, param.name: value})
            except ParameterError as exc:
                assert param.name in str(exc), f"{spec.id}: the error for {param.name} does not name it: {exc}"
            else:
                raise AssertionError(f"{spec.id}: parameter {param.name!r} accepted the bad value {value!r}")
    report.checks.append("bad parameter values are refused with errors naming the parameter")


def _check_batch(generator: Any, spec: GeneratorSpec, values: dict[str, Any], inputs: Any, model: Any,
                 device: str, dtype: str, seed: int, base: Path, report: ConformanceReport) -> None:
    """A batching generator makes one output per seed, each the same as its seed alone."""
    seeds = (seed, seed + 1)
    request = _request(spec, values, inputs, model, device, dtype, seed, base / "run-batch", seeds)
    batch = generator.run(request, RunState())
    assert isinstance(batch, list) and len(batch) == len(seeds), (
        f"{spec.id}: with batch_size {spec.batch_size}, a run given seeds {list(seeds)} returned "
        f"{len(batch) if isinstance(batch, list) else batch!r} outputs; return one Output per seed "
        "in request.seeds, in order"
    )
    alone = _run(generator, spec, values, inputs, model, device, dtype, seeds[1], base / "run-alone", None)
    report.batch_matches_alone = len(alone) == 1 and _bytes(batch[1]) == _bytes(alone[0])
    assert report.batch_matches_alone, (
        f"{spec.id}: the output for seed {seeds[1]} made in a batch differs from the one it makes "
        "alone; each output of a batch must be what its seed makes alone (its recipe records only "
        "its own seed)"
    )
    report.checks.append("a batch makes one output per seed, each as its seed alone")


def _request(spec: GeneratorSpec, values: dict[str, Any], inputs: Any, model: Any, device: str, dtype: str,
             seed: int, out_dir: Path, seeds: tuple[int, ...] = ()) -> Request:
    out_dir.mkdir(parents=True, exist_ok=True)
    return Request(generator_id=spec.id, params=dict(values), seed=seed, inputs=dict(inputs or {}),
                   model=model, device=device, dtype=dtype, output_dir=out_dir, seeds=seeds)


def _run(generator: Any, spec: GeneratorSpec, values: dict[str, Any], inputs: Any, model: Any, device: str,
         dtype: str, seed: int, out_dir: Path, report: ConformanceReport | None) -> list[Output]:
    state = RunState()
    outputs = generator.run(_request(spec, values, inputs, model, device, dtype, seed, out_dir), state)
    assert isinstance(outputs, list) and outputs, f"{spec.id}: run() must return a non-empty list of Output"
    for output in outputs:
        assert isinstance(output, Output), f"{spec.id}: run() returned a {type(output).__name__}, not an Output"
        assert output.kind in spec.outputs, (
            f"{spec.id}: returned a {output.kind} output but its spec lists outputs {spec.outputs}"
        )
        assert not output.partial, f"{spec.id}: an uncancelled run returned an output marked partial"
        if output.path is not None:
            assert Path(output.path).is_file(), f"{spec.id}: output file {output.path} does not exist"
            assert Path(output.path).resolve().is_relative_to(out_dir.resolve()), (
                f"{spec.id}: output file {output.path} is outside request.output_dir ({out_dir})"
            )
    last = -1
    for item in state.reports:
        assert 0 <= item.step <= max(item.total, 0), f"{spec.id}: progress step {item.step} of {item.total}"
        assert item.step >= last or item.total == 0, f"{spec.id}: progress went backwards ({last} -> {item.step})"
        last = item.step
    if report is not None:
        report.progress_reports = len(state.reports)
        report.checks.append("run returns valid outputs and sane progress")
    return outputs


def _bytes(output: Output) -> bytes:
    if output.data is not None:
        return output.data
    return Path(output.path).read_bytes()  # type: ignore[arg-type]
