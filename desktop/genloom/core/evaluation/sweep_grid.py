"""The grid of a sweep: core's own generators ``sweep.grid`` (a labelled PNG) and
``sweep.sheet`` (an HTML index, for sweeps of text, code, audio or video).

Like the storyboard's draft cut (:mod:`genloom.core.internal`) they run as jobs in the
worker, with the sweep's cells as inputs (``image.0``, ``text.3``...: the engine checks
each file against its hash first, and the grid's lineage lists every cell). The
``plan`` parameter (from :func:`genloom.core.evaluation.sweeps.grid_plan`) holds the
sweep's definition, its axes' labels and each cell's state; it names inputs by role,
never by path. The first axis runs across, the second down, and a third stacks one
labelled grid per value. A failed, cancelled or deleted cell is drawn as such.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genloom.sdk.errors import ParameterError
from genloom.sdk.params import StringParam
from genloom.sdk.spec import GeneratorSpec, InputSpec

if TYPE_CHECKING:
    from genloom.sdk.models import ModelRef
    from genloom.sdk.run import Output, Request, RunState

__all__ = ["GRID_ID", "SHEET_ID", "grid_shape", "sweep_grid_specs"]

GRID_ID = "sweep.grid"
SHEET_ID = "sweep.sheet"
_PLAN_LIMIT = 1_000_000
#: Cells smaller than this (the bundled 32-pixel model's) are enlarged, pixel for pixel,
#: so that the labels do not dwarf them.
_MIN_CELL = 128
_TEXT_LIMIT = 4000
_KINDS = ("image", "text", "code", "audio", "video")


def _check(params: dict[str, Any]) -> None:
    plan = params.get("plan", "")
    try:
        data = json.loads(plan)
    except ValueError:
        raise ParameterError("plan", plan[:40], "is not JSON", "let the sweep make the plan") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list) or not data["cells"] \
            or not isinstance(data.get("axes"), list):
        raise ParameterError("plan", plan[:40], "has no cells", "let the sweep make the plan")


def _grid_factory() -> Any:
    return SweepGrid()


def _sheet_factory() -> Any:
    return SweepSheet()


def sweep_grid_specs() -> list[GeneratorSpec]:
    """The specs of ``sweep.grid`` and ``sweep.sheet`` (plain data)."""
    from genloom import __version__

    plan = StringParam("plan", "", min_length=2, max_length=_PLAN_LIMIT,
                       description="The sweep's axes and cells (made by the sweep).")
    return [
        GeneratorSpec(id=GRID_ID, modality="image", title="Sweep grid",
                      description="A sweep's images in a grid with axis labels.",
                      factory=_grid_factory, inputs=(InputSpec("image.*", "image", required=False),),
                      params=(plan,), uses_seed=False, check=_check, plugin="genloom",
                      plugin_version=__version__),
        GeneratorSpec(id=SHEET_ID, modality="text", title="Sweep sheet",
                      description="A sweep's results as an HTML page with axis labels.",
                      factory=_sheet_factory, params=(plan,),
                      inputs=tuple(InputSpec(f"{k}.*", k, required=False) for k in _KINDS),
                      uses_seed=False, check=_check, plugin="genloom", plugin_version=__version__),
    ]


def grid_shape(plan: dict[str, Any]) -> tuple[int, int, int]:
    """(columns, rows, blocks): the sizes of the first, second and third axis (1 if none)."""
    sizes = [len(a.get("values") or a.get("labels") or ()) for a in plan["axes"]] + [1, 1, 1]
    return sizes[0], sizes[1], sizes[2]


def _place(position: int, shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """(x, y, z) of the cell at ``position``: cells come in itertools.product order of
    the axes, so the last axis varies fastest."""
    _, rows, blocks = shape
    x, rest = divmod(position, rows * blocks)
    y, z = divmod(rest, blocks)
    return x, y, z


def _axis_labels(plan: dict[str, Any], which: int) -> list[str]:
    axes = plan["axes"]
    return list(axes[which].get("labels") or []) if which < len(axes) else [""]


def _title(plan: dict[str, Any], what: str) -> str:
    """The grid's or sheet's asset title: its generator by its axes, e.g. 'image.text_to_image
    sweep grid: steps × guidance_scale' (a plan may hold anything: made fit to be a title)."""
    from genloom.sdk.run import fit_title

    axes = " × ".join(str(a.get("name", "")) for a in plan.get("axes", []) if isinstance(a, dict))
    return fit_title(f"{plan.get('generator', '')} sweep {what}" + (f": {axes}" if axes else ""))


class SweepGrid:
    """``sweep.grid``: one PNG, columns by the first axis, rows by the second, blocks by the third."""

    def load(self, model: ModelRef | None, device: str, dtype: str) -> None:
        pass

    def run(self, request: Request, state: RunState) -> list[Output]:
        from PIL import Image, ImageDraw, ImageFont

        from genloom.sdk.run import Output

        plan = json.loads(request.params["plan"])
        shape = grid_shape(plan)
        columns, rows, blocks = shape
        images: dict[int, Image.Image] = {}
        cells = plan["cells"]
        for n, cell in enumerate(cells):
            state.raise_if_cancelled()
            role = cell.get("input")
            if role and role in request.inputs:
                with Image.open(request.inputs[role].path) as opened:
                    images[int(cell["position"])] = opened.convert("RGB")
            state.progress(n + 1, len(cells) + 1, message="reading cells")
        width = max([im.width for im in images.values()] or [_MIN_CELL])
        height = max([im.height for im in images.values()] or [_MIN_CELL])
        scale = max(1, -(-_MIN_CELL // max(1, min(width, height))))
        cell_w, cell_h = width * scale, height * scale
        font = ImageFont.load_default(size=max(12, min(24, cell_h // 8)))
        small = ImageFont.load_default(size=max(10, min(18, cell_h // 10)))
        x_labels, y_labels, z_labels = (_axis_labels(plan, i) for i in range(3))
        line = int(font.getbbox("Ag")[3]) + 6
        left = max([int(font.getlength(t)) for t in y_labels] + [0]) + 16 if rows > 1 or y_labels[0] else 8
        top = line * 2 + 8
        block_title = line + 8 if blocks > 1 else 0
        gap = 4
        block_h = block_title + top + rows * (cell_h + gap)
        sheet = Image.new("RGB", (left + columns * (cell_w + gap) + 8, blocks * block_h + 8),
                          (250, 250, 250))
        draw = ImageDraw.Draw(sheet)
        title = f"{plan.get('generator', '')} sweep"
        for z in range(blocks):
            y0 = z * block_h
            if blocks > 1:
                draw.text((8, y0 + 6), z_labels[z], fill=(20, 20, 20), font=font)
            if z == 0:
                draw.text((8, y0 + block_title + 4), title, fill=(90, 90, 90), font=small)
            for x, label in enumerate(x_labels):
                cx = left + x * (cell_w + gap) + cell_w // 2
                draw.text((cx, y0 + block_title + top - 6), label, fill=(20, 20, 20), font=font,
                          anchor="md")
            for y in range(rows):
                cy = y0 + block_title + top + y * (cell_h + gap) + cell_h // 2
                if y_labels[y]:
                    draw.text((left - 8, cy), y_labels[y], fill=(20, 20, 20), font=font, anchor="rm")
        for cell in cells:
            x, y, z = _place(int(cell["position"]), shape)
            px = left + x * (cell_w + gap)
            py = z * block_h + block_title + top + y * (cell_h + gap)
            image = images.get(int(cell["position"]))
            if image is not None:
                if image.size != (width, height):
                    image = image.resize((width, height))
                sheet.paste(image.resize((cell_w, cell_h), Image.Resampling.NEAREST), (px, py))
            else:
                draw.rectangle((px, py, px + cell_w - 1, py + cell_h - 1), fill=(200, 200, 204),
                               outline=(150, 60, 60), width=2)
                draw.text((px + cell_w // 2, py + cell_h // 2), str(cell.get("state", "missing")),
                          fill=(150, 40, 40), font=font, anchor="mm")
        state.progress(len(cells) + 1, len(cells) + 1, message="grid drawn")
        out = request.output_dir / "sweep-grid.png"
        sheet.save(out, format="PNG")
        return [Output(kind="image", path=out, title=_title(plan, "grid"), metadata={
            "sweep": plan.get("sweep"), "sweep_grid": True, "columns": columns, "rows": rows,
            "blocks": blocks, "cell_size": [width, height], "scale": scale,
            "width": sheet.width, "height": sheet.height,
            "cell_states": [c.get("state") for c in cells]})]

    def unload(self) -> None:
        pass


class SweepSheet:
    """``sweep.sheet``: an HTML page with a table per value of the third axis."""

    def load(self, model: ModelRef | None, device: str, dtype: str) -> None:
        pass

    def run(self, request: Request, state: RunState) -> list[Output]:
        from genloom.sdk.run import Output

        plan = json.loads(request.params["plan"])
        shape = grid_shape(plan)
        columns, rows, blocks = shape
        by_place = {_place(int(c["position"]), shape): c for c in plan["cells"]}
        x_labels, y_labels, z_labels = (_axis_labels(plan, i) for i in range(3))
        parts = ["<!doctype html><meta charset='utf-8'>",
                 f"<title>{html.escape(str(plan.get('generator', '')))} sweep</title>",
                 "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:6px;"
                 "vertical-align:top}pre{white-space:pre-wrap;max-width:40em;margin:0}"
                 ".failed,.cancelled,.missing{background:#fdd}</style>",
                 f"<h1>{html.escape(str(plan.get('generator', '')))} sweep</h1>"]
        for z in range(blocks):
            state.raise_if_cancelled()
            if blocks > 1:
                parts.append(f"<h2>{html.escape(z_labels[z])}</h2>")
            parts.append("<table><tr><th></th>" + "".join(f"<th>{html.escape(t)}</th>"
                                                          for t in x_labels) + "</tr>")
            for y in range(rows):
                parts.append(f"<tr><th>{html.escape(y_labels[y])}</th>")
                for x in range(columns):
                    parts.append(self._cell(by_place.get((x, y, z)), request))
                parts.append("</tr>")
            parts.append("</table>")
        state.progress(1, 1, message="sheet written")
        out = request.output_dir / "sweep-sheet.html"
        out.write_text("".join(parts), encoding="utf-8")
        return [Output(kind="text", path=out, suffix=".html", title=_title(plan, "sheet"), metadata={
            "sweep": plan.get("sweep"), "sweep_grid": True, "columns": columns, "rows": rows,
            "blocks": blocks, "cell_states": [c.get("state") for c in plan["cells"]]})]

    @staticmethod
    def _cell(cell: dict[str, Any] | None, request: Request) -> str:
        if cell is None:
            return "<td></td>"
        role = cell.get("input")
        item = request.inputs.get(role) if role else None
        if item is None:
            why = html.escape(str(cell.get("state", "missing")))
            error = html.escape(str(cell.get("error", "")))
            return f"<td class='{why}'><b>{why}</b><br><small>{error}</small></td>"
        label = f"asset {item.asset_id} ({item.kind})"
        if item.kind in ("text", "code"):
            text = Path(item.path).read_text(encoding="utf-8", errors="replace")[:_TEXT_LIMIT]
            return f"<td><small>{label}</small><pre>{html.escape(text)}</pre></td>"
        return f"<td>{html.escape(label)}</td>"

    def unload(self) -> None:
        pass
