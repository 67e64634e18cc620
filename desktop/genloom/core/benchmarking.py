"""`genloom bench`: how fast this machine runs the user's generators and models.

A benchmark runs one generator with one model, backend, device and set of parameters
in this process (as the worker would: the model library resolves the model, consent
comes from the library), once to warm up and then ``runs`` times, and records what a
user choosing between models, backends or precisions wants to know:

- image: steps per second and seconds per image;
- text and code: tokens per second and the time to the first token;
- video: frames per second (frames made per second of work);
- audio: times real time (seconds of sound made per second of work).

Results are kept per machine in ``benchmarks.json`` in Genloom's data folder (written
atomically; a damaged file is set aside, never lost silently) so the model library and
Help ▸ Benchmarks show them, and :func:`text_report` makes a report to share.

Front ends (the CLI, the app through a ``genloom bench`` subprocess, since the UI
process never loads torch) ask this module; the rules (which generators are
benchmarked by default, what the sample prompts are, how a rate is computed) live here.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genloom import __version__
from genloom.core import paths
from genloom.sdk.errors import GenloomError, ParameterError

if TYPE_CHECKING:
    from genloom.core.models import ModelLibrary
    from genloom.core.plugins import PluginManager
    from genloom.sdk import GeneratorSpec, ModelRef, Output, Progress

__all__ = ["BenchError", "BenchResult", "bench_candidates", "bench_params", "best_results",
           "load_results", "results_file", "run_benchmark", "save_result", "text_report"]

#: What each modality's rate is measured in (the first figure of a result).
UNITS: dict[str, str] = {"image": "steps/s", "text": "tokens/s", "code": "tokens/s",
                         "video": "frames/s", "audio": "x real time"}

#: The prompt given to a prompt parameter left empty, by the generator's output kind.
SAMPLE_PROMPTS: dict[str, str] = {
    "image": "red heart",
    "text": "A wise man once said",
    "code": "def read_config(path):\n",
    "video": "red heart, zoom in",
    "audio": "Hello there. This is a short test of the voice, read at an easy pace.",
}

#: The most results kept; the oldest go first (a benchmark a day for years fits).
MAX_KEPT = 2000

#: Most runs of one benchmark (each is a whole generation).
MAX_RUNS = 20


class BenchError(GenloomError):
    """A benchmark that cannot run as asked (the message says why and what to change)."""


@dataclass(frozen=True)
class BenchResult:
    """One benchmark: what ran, where, and how fast (medians over ``runs``)."""

    generator_id: str
    modality: str
    model_id: str
    model_hash: str
    model_title: str
    backend: str
    device: str
    dtype: str
    params: dict[str, Any]
    runs: int
    load_seconds: float
    seconds: float  # median wall time of one run
    rate: float  # in ``unit``
    unit: str
    first_seconds: float | None = None  # time to the first token (text, code)
    per_item_seconds: float | None = None  # seconds per image / per clip
    created: float = 0.0
    genloom_version: str = __version__
    machine: dict[str, str] = field(default_factory=dict)

    def key(self) -> tuple[str, str, str, str, str]:
        """What makes two results comparable: the same generator, model, backend and device."""
        return (self.generator_id, self.model_hash or self.model_id, self.backend, self.device, self.dtype)

    def summary(self) -> str:
        """One line: the figures a user compares."""
        parts = [f"{self.rate:.2f} {self.unit}"]
        if self.first_seconds is not None:
            parts.append(f"first token {self.first_seconds * 1000:.0f} ms")
        if self.per_item_seconds is not None:
            parts.append(f"{self.per_item_seconds:.2f} s per {'image' if self.modality == 'image' else 'clip'}")
        parts.append(f"load {self.load_seconds:.2f} s")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BenchResult:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def machine_info() -> dict[str, str]:
    """The machine a result was measured on (enough to tell two machines apart in a report)."""
    info = {"system": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "cpu": _cpu_name(), "cpus": str(os.cpu_count() or 0)}
    import sys

    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch"] = str(torch.__version__)
        info["torch_threads"] = str(torch.get_num_threads())
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    return info


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# -- what to run -----------------------------------------------------------------------


def bench_candidates(plugins: PluginManager, generator_ids: Iterable[str] = (),
                     modality: str | None = None) -> list[GeneratorSpec]:
    """The generators to benchmark: those named, else every one that runs with no input
    asset and has a model of its own (the ones a user can compare right away)."""
    wanted = list(generator_ids)
    if wanted:
        return [plugins.generator(gid) for gid in wanted]  # UnknownGeneratorError names close ones
    chosen = []
    for spec in plugins.generators.values():
        if spec.default_model is None:
            continue
        if any(slot.required for slot in spec.inputs):
            continue
        if modality and spec.modality != modality:
            continue
        chosen.append(spec)
    return sorted(chosen, key=lambda s: (s.modality, s.id))


def bench_params(spec: GeneratorSpec, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The generator's defaults, an empty prompt filled with a sample for its kind, then
    ``overrides``; validated by the spec (:class:`ParameterError` names a bad one)."""
    values: dict[str, Any] = {}
    for param in spec.params:
        if getattr(param, "role", "") == "prompt" and not param.default:
            values[param.name] = SAMPLE_PROMPTS.get(spec.outputs[0], SAMPLE_PROMPTS["text"])
    values.update(overrides or {})
    params = spec.validate_params(values)
    if spec.check is not None:
        spec.check(params)
    return params


def backends(spec: GeneratorSpec) -> tuple[str, ...]:
    """The backends a generator offers (its ``backend`` choices), or ``("",)`` if it has one."""
    for param in spec.params:
        if param.name == "backend":
            return tuple(getattr(param, "choices", ()) or (str(param.default),))
    return ("",)


# -- running ---------------------------------------------------------------------------


def run_benchmark(spec: GeneratorSpec, library: ModelLibrary, *, model: str | None = None,
                  params: Mapping[str, Any] | None = None, device: str = "auto", runs: int = 3,
                  progress: Callable[[str], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> BenchResult:
    """Load ``spec`` with ``model`` (its default when None) and time ``runs`` generations.

    :raises BenchError: the generator takes no model, or ``runs`` is out of range.
    :raises ParameterError: a parameter the generator refuses.
    """
    from genloom.core.devices import resolve_device
    from genloom.sdk import Request, RunState
    from genloom.sdk.runtime import apply_thread_pool_defaults

    apply_thread_pool_defaults()  # measure the models as the worker runs them
    if not 1 <= runs <= MAX_RUNS:
        raise ParameterError("runs", runs, f"is outside 1 to {MAX_RUNS}", "choose 3 to 5")
    say = progress or (lambda message: None)
    stop = cancelled or (lambda: False)
    full = bench_params(spec, params)
    ref = _model_ref(spec, library, model)
    dev, dtype = resolve_device(device, spec.devices)
    generator = spec.factory()
    say(f"{spec.id}: loading {ref.id if ref else 'no model'} on {dev}")
    started = time.perf_counter()
    generator.load(ref, dev, dtype)
    load_seconds = time.perf_counter() - started
    timings: list[tuple[float, float | None, list[Output]]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="genloom-bench-") as tmp:
            for index in range(runs + 1):  # the first run warms up and is not counted
                if stop():
                    raise BenchError(f"the benchmark of {spec.id} was cancelled")
                first: list[float] = []
                begun = time.perf_counter()

                def report(update: Progress, first: list[float] = first, begun: float = begun) -> None:
                    if not first and update.partial_text:
                        first.append(time.perf_counter() - begun)

                state = RunState(report=report)
                out_dir = Path(tmp) / f"run{index}"
                out_dir.mkdir()
                request = Request(generator_id=spec.id, params=full, seed=1234, seeds=(1234,),
                                  inputs={}, model=ref, device=dev, dtype=dtype, output_dir=out_dir,
                                  job_id=0)
                outputs = list(generator.run(request, state) or [])
                elapsed = time.perf_counter() - begun
                if not outputs:
                    raise BenchError(f"{spec.id} made nothing to measure")
                if index:
                    timings.append((elapsed, first[0] if first else None, outputs))
                    say(f"{spec.id}: run {index} of {runs}: {elapsed:.2f} s")
                else:
                    say(f"{spec.id}: warm-up run {elapsed:.2f} s")
                for output in outputs:  # measured before the folder goes
                    _measure(output, spec, full)
    finally:
        unload = getattr(generator, "unload", None)
        if callable(unload):
            unload()
    return _result(spec, ref, full, dev, dtype, load_seconds, timings)


def _model_ref(spec: GeneratorSpec, library: ModelLibrary, model: str | None) -> ModelRef | None:
    """The model as the worker would load it: resolved by the library, consent from it."""
    from genloom.core.jobs.worker import with_consent
    from genloom.core.models import resolve_model

    name = model or spec.default_model
    if name is None:
        if model:
            raise BenchError(f"{spec.id} takes no model; leave the model out")
        return None
    return with_consent(resolve_model(name, library).check_usable().ref, lambda: library)


def _measure(output: Output, spec: GeneratorSpec, params: Mapping[str, Any]) -> None:
    """Note what rate the output stands for in its metadata (``_bench_amount``): tokens,
    frames or seconds of sound; images count their steps."""
    meta = output.metadata
    kind = output.kind
    if kind in ("text", "code"):
        amount = meta.get("generated_tokens")
        if amount is None:
            amount = len((output.text or "").split())  # a generator without token counts: words
    elif kind == "image":
        amount = float(params.get("steps") or 1)
    elif kind == "video":
        amount = meta.get("frames") or meta.get("frame_count")
        if not amount and output.path is not None:
            from genloom.sdk.video import probe

            amount = probe(output.path).frame_count
    elif kind == "audio":
        amount = meta.get("duration")
        if not amount and output.path is not None and output.path.suffix.lower() in (".wav", ".flac", ".ogg"):
            import soundfile

            amount = soundfile.info(str(output.path)).duration
    else:
        amount = 1
    meta["_bench_amount"] = float(amount or 0.0)


def _result(spec: GeneratorSpec, ref: ModelRef | None, params: dict[str, Any], device: str, dtype: str,
            load_seconds: float, timings: list[tuple[float, float | None, list[Output]]]) -> BenchResult:
    kind = spec.outputs[0]
    seconds = statistics.median(t for t, _, _ in timings)
    rates, firsts = [], []
    for elapsed, first, outputs in timings:
        amount = sum(o.metadata.get("_bench_amount", 0.0) for o in outputs)
        if kind in ("text", "code") and first is not None and elapsed > first:
            rates.append(amount / (elapsed - first))  # decoding speed, after the first token
            firsts.append(first)
        else:
            rates.append(amount / elapsed if elapsed > 0 else 0.0)
    per_item = None
    if kind in ("image", "video"):
        count = max(1, len(timings[0][2]))
        per_item = seconds / count
    return BenchResult(
        generator_id=spec.id, modality=kind, model_id=ref.id if ref else "", model_hash=ref.hash if ref else "",
        model_title=(ref.title or ref.id) if ref else "",
        backend=str(params.get("backend", "")), device=device, dtype=dtype,
        params={k: v for k, v in params.items() if isinstance(v, (str, int, float, bool))},
        runs=len(timings), load_seconds=round(load_seconds, 4), seconds=round(seconds, 4),
        rate=round(statistics.median(rates), 4), unit=UNITS.get(kind, "runs/s"),
        first_seconds=round(statistics.median(firsts), 4) if firsts else None,
        per_item_seconds=round(per_item, 4) if per_item is not None else None,
        created=time.time(), machine=machine_info())


# -- keeping results -------------------------------------------------------------------


def results_file() -> Path:
    """Where results are kept (one file per machine, in Genloom's data folder)."""
    return paths.data_dir() / "benchmarks.json"


def load_results(path: Path | None = None) -> list[BenchResult]:
    """Every stored result, oldest first. A damaged file is moved aside (``.damaged``) and
    reads as none, so the next save starts afresh without destroying it."""
    path = path or results_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        items = data["results"] if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ValueError("no results list")
        return [BenchResult.from_dict(item) for item in items if isinstance(item, dict)]
    except FileNotFoundError:
        return []
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        path.replace(path.with_name(path.name + ".damaged"))
        return []


def save_result(result: BenchResult, path: Path | None = None) -> None:
    """Add ``result`` to the stored ones (atomically: a temp file, fsync, rename)."""
    path = path or results_file()
    results = load_results(path) + [result]
    results = results[-MAX_KEPT:]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".benchmarks-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"version": 1, "results": [r.to_dict() for r in results]}, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def best_results(results: Iterable[BenchResult]) -> list[BenchResult]:
    """The newest result of each generator, model, backend and device, fastest first per generator."""
    newest: dict[tuple[str, ...], BenchResult] = {}
    for result in results:
        if result.key() not in newest or result.created >= newest[result.key()].created:
            newest[result.key()] = result
    return sorted(newest.values(), key=lambda r: (r.modality, r.generator_id, -r.rate))


def for_model(results: Iterable[BenchResult], model_hash: str, model_id: str = "") -> list[BenchResult]:
    """The newest results measured with one model (by content hash, else id)."""
    return [r for r in best_results(results)
            if (model_hash and r.model_hash == model_hash) or (not model_hash and model_id and r.model_id == model_id)]


def text_report(results: Iterable[BenchResult]) -> str:
    """A plain-text report to paste into a forum post or a bug report."""
    chosen = best_results(results)
    if not chosen:
        return "No benchmarks yet."
    machine = chosen[-1].machine
    lines = [f"Genloom {__version__} benchmarks",
             "machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()), ""]
    width = max(len(r.generator_id) for r in chosen)
    for r in chosen:
        where = "/".join(x for x in (r.backend, r.device, r.dtype) if x)
        lines.append(f"{r.generator_id:<{width}}  {r.model_title or r.model_id or '-':<28.28}  "
                     f"{where:<20}  {r.summary()}")
    return "\n".join(lines)
