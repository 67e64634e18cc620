"""Sweeps: a grid over up to three parameters, run as jobs, drawn as one labelled asset.

An axis is a parameter of the generator's spec with a list of values (``steps=10,20,30``,
``scheduler=euler,ddim``), a whole-number range (``seed=1..4``, ``steps=10..40:10``) or a
float range with a step (``guidance=3..9:3``), or one of three names that are not
parameters: ``seed`` (the recipe's seed), ``model`` (the model, by any name the model
library resolves) and ``prompt_sr`` (prompt search/replace, as AUTOMATIC1111's XYZ plot:
the first value must occur in the prompt and each value replaces it). ``NAME_sr`` does
the same in any text parameter ``NAME``: ``loras_sr==0.4,=0.8`` sweeps a LoRA's weight
in the image plugin's ``loras`` text without core knowing that parameter's format.

:func:`plan_sweep` checks every axis and every cell's complete parameters against the
spec (and the spec's own check) before anything is queued; :func:`submit_sweep` then
queues one job per cell and records the sweep, all in one database transaction, so a
cell the engine refuses (a model the library does not have, an input that is gone)
leaves nothing queued. Without a ``seed`` axis every cell has the same seed: the one
given, else the one the engine drew for the first cell.

When every cell's job has ended (done, failed or cancelled), :func:`advance` queues the
grid job once (core's own generator, :mod:`.sweep_grid`): its inputs are the cells'
assets, so its lineage lists each of them, and its ``plan`` parameter, kept in its
recipe, holds the sweep's definition and each cell's labels and state. Image sweeps
draw one PNG with axis labels (a third axis stacks a labelled grid per value); other
kinds make an HTML sheet. :func:`follow` keeps an engine advancing sweeps as jobs end.
"""

from __future__ import annotations

import csv
import itertools
import json
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from genloom.core.project.per_project import PerProject
from genloom.sdk.errors import ParameterError
from genloom.sdk.models import ModelRef
from genloom.sdk.params import ChoiceParam, FloatParam, IntParam, StringParam
from genloom.sdk.spec import check_seed

if TYPE_CHECKING:
    from genloom.core.jobs.engine import Engine
    from genloom.core.project import Job, Project
    from genloom.sdk.spec import GeneratorSpec

__all__ = ["MAX_AXES", "MAX_CELLS", "Axis", "Cell", "Sweep", "SweepPlan", "Sweeps", "advance",
           "follow", "parse_axis", "plan_sweep", "submit_sweep", "sweeps_of"]

MAX_AXES = 3
MAX_CELLS = 100
MAX_VALUES = 32
SPECIAL_AXES = ("seed", "model", "prompt_sr")
_ENDED = ("done", "failed", "cancelled")


@dataclass(frozen=True)
class Axis:
    """One axis: a name and its values (typed), with the label each shows in the grid."""

    name: str
    values: tuple[Any, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(f"{self.name}={_label(v)}" for v in self.values)


@dataclass(frozen=True)
class Cell:
    """One cell: its place on each axis and what its job is given."""

    index: tuple[int, ...]
    labels: tuple[str, ...]
    params: dict[str, Any]
    seed: int | None
    model: str | ModelRef | None


@dataclass(frozen=True)
class SweepPlan:
    generator_id: str
    axes: tuple[Axis, ...]
    cells: tuple[Cell, ...]
    base: dict[str, Any] = field(default_factory=dict)

    def definition(self) -> dict[str, Any]:
        """What the sweep's recipe records: generator, axes (as values) and fixed params."""
        return {"generator": self.generator_id, "base": self.base,
                "axes": [{"name": a.name, "values": list(a.values), "labels": list(a.labels)}
                         for a in self.axes]}


@dataclass(frozen=True)
class Sweep:
    """A recorded sweep: its definition, its cells' jobs (in grid order) and the grid job."""

    id: int
    created: float
    generator_id: str
    definition: dict[str, Any]
    cell_jobs: tuple[int, ...]
    cell_labels: tuple[tuple[str, ...], ...]
    grid_job_id: int | None


def parse_axis(spec: GeneratorSpec, text: str) -> Axis:
    """``NAME=V1,V2,...`` or ``NAME=A..B[:STEP]`` into an :class:`Axis` of checked values."""
    if not isinstance(text, str) or "=" not in text:
        raise ParameterError("axis", text, "is not NAME=VALUES",
                             "write it like steps=10,20,30 or seed=1..4")
    name, _, values_text = text.partition("=")
    name = name.strip()
    if name not in SPECIAL_AXES and not _is_param(spec, name) and _sr_target(spec, name) is None:
        known = ", ".join([*SPECIAL_AXES, *(p.name for p in spec.params)])
        raise ParameterError(name, values_text, f"is not a parameter of {spec.id} to sweep",
                             f"use one of {known} (or NAME_sr for a text parameter)")
    if name == "prompt_sr" and _prompt_param(spec) is None:
        raise ParameterError("prompt_sr", values_text, f"needs a prompt, and {spec.id} takes none",
                             "sweep one of its parameters instead")
    values = _range(spec, name, values_text.strip()) if ".." in values_text else \
        [_value(spec, name, item) for item in _split(values_text)]
    if not values:
        raise ParameterError(name, values_text, "has no values", "give at least one, like 10,20")
    if len(values) > MAX_VALUES:
        raise ParameterError(name, values_text, f"has {len(values)} values, more than {MAX_VALUES}",
                             "sweep fewer values")
    if len({_canonical(v) for v in values}) != len(values):
        raise ParameterError(name, values_text, "repeats a value", "list each value once")
    return Axis(name, tuple(values))


def plan_sweep(spec: GeneratorSpec, axes: Sequence[Axis | str], params: Mapping[str, Any] | None = None,
               *, seed: int | None = None, model: str | ModelRef | None = None) -> SweepPlan:
    """Every cell of the grid, each checked against the spec; raises ParameterError."""
    parsed = [a if isinstance(a, Axis) else parse_axis(spec, a) for a in axes]
    if not parsed or len(parsed) > MAX_AXES:
        raise ParameterError("axes", len(parsed), f"is not 1 to {MAX_AXES} axes",
                             "sweep one, two or three parameters")
    names = [a.name for a in parsed]
    for name in names:
        if names.count(name) > 1:
            raise ParameterError(name, "", "is given as two axes", "give each parameter one axis")
    base = dict(params or {})
    for name in names:
        if name in base:
            raise ParameterError(name, base[name], "is both an axis and a fixed parameter",
                                 "leave it out of the fixed parameters")
    if "seed" in names and seed is not None:
        raise ParameterError("seed", seed, "is both an axis and a fixed seed", "leave out the seed")
    if "model" in names and model is not None:
        raise ParameterError("model", model, "is both an axis and a fixed model", "leave out the model")
    if "seed" in names and not spec.uses_seed:
        raise ParameterError("seed", "", f"is not used by {spec.id}", "sweep one of its parameters")
    given_seed = check_seed(seed)
    total = 1
    for axis in parsed:
        total *= len(axis.values)
    if total > MAX_CELLS:
        raise ParameterError("axes", " x ".join(str(len(a.values)) for a in parsed),
                             f"make {total} cells, more than {MAX_CELLS}", "sweep fewer values")
    fixed = spec.validate_params(base)
    cells = []
    for index in itertools.product(*(range(len(a.values)) for a in parsed)):
        cell_params = dict(base)
        cell_seed, cell_model = given_seed, model
        for axis, i in zip(parsed, index, strict=True):
            value = axis.values[i]
            if axis.name == "seed":
                cell_seed = value
            elif axis.name == "model":
                cell_model = value
            elif (target := _sr_target(spec, axis.name)) is not None:
                text = str(cell_params.get(target, fixed[target]))
                search = str(axis.values[0])
                if search not in text:
                    raise ParameterError(axis.name, search, f"does not occur in {target} "
                                         f"{text[:60]!r}", f"make the first value a part of {target}")
                cell_params[target] = text.replace(search, str(value))
            else:
                cell_params[axis.name] = value
        labels = tuple(axis.labels[i] for axis, i in zip(parsed, index, strict=True))
        try:
            checked = spec.validate_params(cell_params)
        except ParameterError as exc:
            raise ParameterError(exc.param, exc.value, f"{exc.problem} (in the cell "
                                 f"{', '.join(labels)})", exc.fix) from None
        cells.append(Cell(tuple(index), labels, checked, cell_seed, cell_model))
    return SweepPlan(spec.id, tuple(parsed), tuple(cells), base=_jsonable(base))


def submit_sweep(engine: Engine, generator_id: str, axes: Sequence[Axis | str],
                 params: Mapping[str, Any] | None = None, *, seed: int | None = None,
                 inputs: Mapping[str, int] | None = None, model: str | ModelRef | None = None,
                 device: str | None = None) -> Sweep:
    """Check the whole sweep, then queue its cells and record it, in one transaction."""
    spec = engine.plugins.generator(generator_id)
    plan = plan_sweep(spec, axes, params, seed=seed, model=model)
    sweeps = sweeps_of(engine.project)
    shown_model = model.to_dict() if isinstance(model, ModelRef) else model
    definition = {**plan.definition(), "seed": seed, "model": shown_model, "inputs": dict(inputs or {}),
                  "device": device}
    drawn: int | None = None
    with engine.project.db.transaction() as conn:
        cur = conn.execute("INSERT INTO sweeps (created, generator_id, definition) VALUES (?, ?, ?)",
                           (time.time(), spec.id, "{}"))
        sweep_id = int(cur.lastrowid or 0)
        for position, cell in enumerate(plan.cells):
            cell_seed = cell.seed if cell.seed is not None else drawn
            (job,) = engine.submit(spec.id, cell.params, seed=cell_seed, inputs=inputs,
                                   model=cell.model, device=device)
            if drawn is None and cell.seed is None and spec.uses_seed:
                drawn = job.seed  # the engine drew it; every other cell shares it
            conn.execute("INSERT INTO sweep_cells (sweep_id, position, job_id, labels) "
                         "VALUES (?, ?, ?, ?)", (sweep_id, position, job.id, json.dumps(cell.labels)))
        definition["seed"] = seed if seed is not None else drawn
        conn.execute("UPDATE sweeps SET definition = ? WHERE id = ?",
                     (json.dumps(_jsonable(definition)), sweep_id))
    return sweeps.get(sweep_id)


class Sweeps:
    """The sweeps of one project."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._db = project.db

    def get(self, sweep_id: int) -> Sweep:
        conn = self._db.connection()
        row = conn.execute("SELECT id, created, generator_id, definition, grid_job_id FROM sweeps "
                           "WHERE id = ?", (sweep_id,)).fetchone()
        if row is None:
            raise ParameterError("sweep", sweep_id, "is not a sweep of this project",
                                 "give the id a sweep was started with")
        cells = conn.execute("SELECT job_id, labels FROM sweep_cells WHERE sweep_id = ? "
                             "ORDER BY position", (sweep_id,)).fetchall()
        return Sweep(int(row[0]), float(row[1]), str(row[2]), json.loads(row[3]),
                     tuple(int(c[0]) for c in cells), tuple(tuple(json.loads(c[1])) for c in cells),
                     None if row[4] is None else int(row[4]))

    def all(self) -> list[Sweep]:
        ids = self._db.connection().execute("SELECT id FROM sweeps ORDER BY id").fetchall()
        return [self.get(int(r[0])) for r in ids]

    def ready(self) -> list[Sweep]:
        """Sweeps whose cells have all ended and whose grid is not queued yet."""
        rows = self._db.connection().execute(
            "SELECT s.id FROM sweeps s WHERE s.claimed = 0 AND NOT EXISTS ("
            " SELECT 1 FROM sweep_cells c JOIN jobs j ON j.id = c.job_id"
            f" WHERE c.sweep_id = s.id AND j.state NOT IN ({', '.join('?' * len(_ENDED))}))"
            " ORDER BY s.id", _ENDED).fetchall()
        return [self.get(int(r[0])) for r in rows]

    def claim(self, sweep_id: int) -> bool:
        """Take the right to queue the sweep's grid (once, across processes)."""
        with self._db.transaction() as conn:
            cur = conn.execute("UPDATE sweeps SET claimed = 1 WHERE id = ? AND claimed = 0",
                               (sweep_id,))
            return cur.rowcount == 1

    def set_grid_job(self, sweep_id: int, job_id: int) -> None:
        with self._db.transaction() as conn:
            conn.execute("UPDATE sweeps SET grid_job_id = ? WHERE id = ?", (job_id, sweep_id))


def grid_plan(project: Project, sweep: Sweep) -> tuple[dict[str, Any], dict[str, int], str]:
    """The grid job's plan parameter, its inputs (role -> asset id) and the cells' kind."""
    inputs: dict[str, int] = {}
    cells = []
    kind = ""
    for position, (job_id, labels) in enumerate(zip(sweep.cell_jobs, sweep.cell_labels, strict=True)):
        try:
            job = project.jobs.get(job_id)
        except LookupError:  # the job was cleared from the queue since: the cell is missing
            cells.append({"position": position, "labels": list(labels), "job": job_id,
                          "state": "missing", "input": None, "error": "its job is gone"})
            continue
        role = None
        for asset_id in job.asset_ids:
            try:
                asset = project.get_asset(asset_id)
            except LookupError:
                continue  # deleted since: the cell shows as missing
            kind = kind or asset.kind
            if asset.kind == kind:
                role = f"{asset.kind}.{len(inputs)}"
                inputs[role] = asset.id
                break
        state = job.state if role is not None or job.state != "done" else "missing"
        cells.append({"position": position, "labels": list(labels), "job": job_id,
                      "state": state, "input": role, "error": (job.error or "")[:200]})
    plan = {"sweep": sweep.id, **sweep.definition, "cells": cells}
    return plan, inputs, kind


def advance(engine: Engine) -> list[Job]:
    """Queue the grid of every sweep whose cells have all ended; returns the new jobs.

    Safe to call any time from any process: each grid is queued once (claimed first).
    """
    from genloom.core.evaluation.sweep_grid import GRID_ID, SHEET_ID

    sweeps = sweeps_of(engine.project)
    queued = []
    for sweep in sweeps.ready():
        # Claimed, queued and linked in one transaction: a grid the engine refuses leaves
        # the sweep unclaimed, and two processes never both queue it.
        with engine.project.db.transaction():
            if not sweeps.claim(sweep.id):
                continue
            plan, inputs, kind = grid_plan(engine.project, sweep)
            generator = GRID_ID if kind in ("image", "") else SHEET_ID
            (job,) = engine.submit(generator, {"plan": json.dumps(plan)}, inputs=inputs)
            sweeps.set_grid_job(sweep.id, job.id)
        queued.append(job)
    return queued


_FOLLOWED: weakref.WeakSet[Engine] = weakref.WeakSet()
_FOLLOW_LOCK = threading.Lock()


def follow(engine: Engine) -> None:
    """Keep ``engine`` queueing sweep grids as cell jobs end (and once now). Idempotent."""
    import logging

    with _FOLLOW_LOCK:
        if engine in _FOLLOWED:
            return
        _FOLLOWED.add(engine)
    ref = weakref.ref(engine)

    def on_ended(job: Job, *rest: object) -> None:
        found = ref()
        if found is not None:
            try:
                advance(found)
            except Exception:  # a sweep that cannot be drawn must not stop the engine
                logging.getLogger(__name__).exception("could not queue a sweep's grid")

    for signal in (engine.events.job_finished, engine.events.job_failed,
                   engine.events.job_cancelled):
        signal.connect(on_ended)
    on_ended(None)  # type: ignore[arg-type]


_SWEEPS: PerProject[Sweeps] = PerProject(Sweeps)


def sweeps_of(project: Project) -> Sweeps:
    """The project's :class:`Sweeps`."""
    return _SWEEPS(project)


# -- values ---------------------------------------------------------------------------


def _split(text: str) -> list[str]:
    # CSV rules, so a prompt value may hold a comma inside quotes.
    return [item.strip() for item in next(csv.reader([text], skipinitialspace=True), [])
            if item.strip()]


def _value(spec: GeneratorSpec, name: str, text: str) -> Any:
    if name == "seed":
        try:
            return check_seed(int(text))
        except ValueError:
            raise ParameterError("seed", text, "is not a whole-number seed", "use e.g. seed=1..4") from None
    if name == "model" or _sr_target(spec, name) is not None:
        return text
    param = spec.param(name)
    return param.validate(param.parse(text))


def _range(spec: GeneratorSpec, name: str, text: str) -> list[Any]:
    span, _, step_text = text.partition(":")
    start_text, _, end_text = span.partition("..")
    param = spec.param(name) if _is_param(spec, name) and name != "seed" else None
    if name != "seed" and (param is None or isinstance(param, (StringParam, ChoiceParam))):
        raise ParameterError(name, text, "is not a number, so it has no range",
                             "list the values, like a,b,c")
    if isinstance(param, FloatParam) and not step_text:
        raise ParameterError(name, text, "is a range of decimals without a step",
                             f"add one, like {start_text}..{end_text}:0.5")
    try:
        if isinstance(param, FloatParam):
            start, end, step = float(start_text), float(end_text), float(step_text)
        else:
            start, end = int(start_text), int(end_text)
            step = int(step_text) if step_text else 1
    except ValueError:
        raise ParameterError(name, text, "is not a range", "write it like 1..4 or 10..40:10") from None
    if step <= 0 or end < start:
        raise ParameterError(name, text, "is not an increasing range with a positive step",
                             "write the smaller end first, like 1..4")
    count = int((end - start) / step + 1e-9) + 1
    if count > MAX_VALUES:
        raise ParameterError(name, text, f"has {count} values, more than {MAX_VALUES}",
                             "sweep fewer values")
    values = [start + k * step for k in range(count)]
    if isinstance(param, FloatParam):
        values = [round(v, 10) for v in values]
    if name == "seed":
        return [check_seed(int(v)) for v in values]
    assert isinstance(param, (IntParam, FloatParam))
    return [param.validate(v) for v in values]


def _is_param(spec: GeneratorSpec, name: str) -> bool:
    return any(p.name == name for p in spec.params)


def _sr_target(spec: GeneratorSpec, name: str) -> str | None:
    """The text parameter a search/replace axis edits (``prompt_sr``: the prompt), if any."""
    if name == "prompt_sr":
        prompt = _prompt_param(spec)
        return prompt.name if prompt is not None else None
    if name.endswith("_sr") and not _is_param(spec, name):
        target = name[:-3]
        if any(p.name == target and isinstance(p, StringParam) for p in spec.params):
            return target
    return None


def _prompt_param(spec: GeneratorSpec) -> StringParam | None:
    found = [p for p in spec.params if getattr(p, "role", "") == "prompt"]
    return found[0] if found and isinstance(found[0], StringParam) else None


def _label(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 32 else text[:29] + "..."


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
