"""An evaluation's report: JSON data and a self-contained HTML page with inline SVG charts.

The page needs nothing beside itself (no script, no font, no network): charts are SVG
written here, image thumbnails are base64 PNG. Every text from the project (titles,
prompts, group names, a plugin's metric description) is escaped.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genloom.core.evaluation.store import Evaluation
    from genloom.core.project import Project

__all__ = ["format_value", "headline", "render_html", "report_data", "write_report"]

#: Thumbnails only for the first assets of a large set (the page stays small).
_THUMBNAILS = 200
_THUMB_SIDE = 64
_PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6", "#9d755d")


def report_data(project: Project, evaluation: Evaluation) -> dict[str, Any]:
    """The report as plain data: the job's results plus what each asset is."""
    data = {k: v for k, v in evaluation.report.items()}
    data.update(evaluation=evaluation.id, job=evaluation.job_id,
                report_asset=evaluation.report_asset_id, set_label=evaluation.set_label,
                group_by=evaluation.group_by,
                created=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(evaluation.created)))
    for row in data.get("assets", []):
        try:
            asset = project.get_asset(int(row["asset_id"]))
        except (LookupError, ValueError, TypeError, Exception):  # deleted since: keep the numbers
            continue
        params = asset.recipe.get("params") if isinstance(asset.recipe, dict) else None
        row.update(title=asset.title, prompt=asset.prompt[:300], generator=asset.generator_id,
                   model=asset.model_id, suffix=asset.suffix,
                   seed=asset.recipe.get("seed") if isinstance(asset.recipe, dict) else None,
                   params={k: v for k, v in (params or {}).items()
                           if isinstance(v, (int, float, str, bool)) and len(str(v)) < 200})
    return data


def format_value(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if value == 0 or 0.01 <= abs(value) < 10_000:
            return f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:.1f}"
        return f"{value:.3g}"
    return html.escape(str(value))


def _direction(metric: dict[str, Any]) -> str:
    better = metric.get("higher_is_better")
    return "higher is better" if better is True else "lower is better" if better is False else "no direction"


def _range(metric: dict[str, Any]) -> str:
    low, high = metric.get("low"), metric.get("high")
    return f"{format_value(low) if low is not None else '−∞'} to {format_value(high) if high is not None else '∞'}"


def headline(entry: dict[str, Any]) -> float | None:
    """The one number of a group for a metric: the set value, else the mean of the assets."""
    value = entry.get("value")
    return value if value is not None else entry.get("mean")


def _chart(metric_id: str, metric: dict[str, Any], groups: dict[str, Any], order: list[str]) -> str:
    """A horizontal bar per group (with a min-max whisker for per-asset metrics), as SVG."""
    rows = [(g, groups.get(g, {}).get(metric_id, {})) for g in order]
    rows = [(g, e) for g, e in rows if headline(e) is not None]
    if not rows:
        return ""
    values = [float(headline(e) or 0.0) for _, e in rows]
    extents = values + [float(e["max"]) for _, e in rows if e.get("max") is not None]
    extents += [float(e["min"]) for _, e in rows if e.get("min") is not None]
    low = min(0.0, *extents)
    high = max(extents) if max(extents) > low else low + 1.0
    if metric.get("high") is not None and metric.get("low") is not None and float(metric["high"]) >= high:
        low, high = min(low, float(metric["low"])), float(metric["high"])
    label_w, bar_w, row_h = 170, 360, 22
    height = row_h * len(rows) + 28

    def x(value: float) -> float:
        return label_w + (value - low) / (high - low) * bar_w

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 70}" height="{height}" '
             f'role="img" aria-label="{html.escape(metric.get("title", metric_id))} by group">']
    for index, (group, entry) in enumerate(rows):
        y = 6 + index * row_h
        value = float(headline(entry) or 0.0)
        colour = _PALETTE[index % len(_PALETTE)]
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">'
                     f'{html.escape(group[:28])}</text>')
        start, end = sorted((x(max(low, 0.0)), x(value)))
        parts.append(f'<rect x="{start:.1f}" y="{y + 3}" width="{max(1.0, end - start):.1f}" '
                     f'height="{row_h - 8}" fill="{colour}" opacity="0.85"/>')
        if entry.get("min") is not None and entry.get("max") is not None and entry.get("value") is None:
            a, b = x(float(entry["min"])), x(float(entry["max"]))
            mid = y + row_h / 2
            parts.append(f'<line x1="{a:.1f}" y1="{mid:.1f}" x2="{b:.1f}" y2="{mid:.1f}" stroke="#222"/>'
                         f'<line x1="{a:.1f}" y1="{mid - 4:.1f}" x2="{a:.1f}" y2="{mid + 4:.1f}" stroke="#222"/>'
                         f'<line x1="{b:.1f}" y1="{mid - 4:.1f}" x2="{b:.1f}" y2="{mid + 4:.1f}" stroke="#222"/>')
        parts.append(f'<text x="{max(x(value), x(float(entry.get("max") or value))) + 6:.1f}" y="{y + 14}" '
                     f'font-size="12">{format_value(value)}</text>')
    axis_y = height - 16
    parts.append(f'<line x1="{label_w}" y1="{axis_y}" x2="{label_w + bar_w}" y2="{axis_y}" stroke="#888"/>')
    for tick in (low, (low + high) / 2, high):
        parts.append(f'<text x="{x(tick):.1f}" y="{axis_y + 13}" font-size="10" text-anchor="middle" '
                     f'fill="#555">{format_value(tick)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _thumbnail(project: Project | None, asset_id: Any) -> str:
    if project is None:
        return ""
    try:
        from PIL import Image

        asset = project.get_asset(int(asset_id))
        if asset.kind != "image":
            return ""
        with Image.open(project.verified_path(asset)) as image:
            image = image.convert("RGB")
            image.thumbnail((_THUMB_SIDE, _THUMB_SIDE), Image.Resampling.NEAREST)
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
    except Exception:  # noqa: BLE001 - a missing or damaged file only loses its thumbnail
        return ""
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<img alt="" width="{_THUMB_SIDE}" height="{_THUMB_SIDE}" style="image-rendering:pixelated" '
            f'src="data:image/png;base64,{encoded}">')


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;
color:#222;padding:0 16px}h1{font-size:22px}h2{font-size:18px;margin-top:32px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;
text-align:right;vertical-align:middle}th{background:#f4f4f4}td.l,th.l{text-align:left}
.metric{margin:16px 0;padding:8px 12px;border-left:3px solid #4c78a8;background:#fafafa}
.muted{color:#666;font-size:12px}.fail{color:#a00;white-space:pre-wrap;font-size:12px}
"""


def render_html(data: dict[str, Any], project: Project | None = None) -> str:
    """The page for ``data`` (from :func:`report_data`); ``project`` adds image thumbnails."""
    metrics: dict[str, Any] = data.get("metrics", {})
    groups: dict[str, Any] = data.get("groups", {})
    order: list[str] = [g for g in data.get("group_order", list(groups)) if g in groups]
    assets: list[dict[str, Any]] = data.get("assets", [])
    title = f"Evaluation of {data.get('set_label') or 'a set'}"
    out = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
           f"</title><style>{_STYLE}</style></head><body>",
           f"<h1>{html.escape(title)}</h1>",
           f"<p class=\"muted\">{len(assets)} assets · grouped by {html.escape(str(data.get('group_by', 'none')))}"
           f" · {html.escape(str(data.get('created', '')))} · evaluation {format_value(data.get('evaluation'))}"
           " · made offline by Genloom</p>"]
    out.append("<h2>Summary by group</h2><p class=\"muted\">For a set metric, its value on the group; "
               "for a per-asset metric, the mean over the group's assets.</p><table><tr><th class=\"l\">group"
               "</th><th>assets</th>")
    out += [f"<th>{html.escape(m.get('title', mid))}</th>" for mid, m in metrics.items()]
    out.append("</tr>")
    for group in order:
        count = sum(1 for a in assets if group == "all" or a.get("group") == group)
        cells = "".join(f"<td>{format_value(headline(groups[group].get(mid, {})))}</td>" for mid in metrics)
        out.append(f"<tr><td class=\"l\">{html.escape(group)}</td><td>{count}</td>{cells}</tr>")
    out.append("</table><h2>Metrics</h2>")
    for metric_id, metric in metrics.items():
        chart = _chart(metric_id, metric, groups, order)
        kind = "set" if metric.get("per_set") and not metric.get("per_asset") else "asset"
        out.append(f"<div class=\"metric\"><b>{html.escape(metric.get('title', metric_id))}</b> "
                   f"<span class=\"muted\">{html.escape(metric_id)} v{format_value(metric.get('version'))} · "
                   f"per {kind} · range {_range(metric)} · {_direction(metric)}</span>"
                   f"<p>{html.escape(str(metric.get('description', '')))}</p>{chart}")
        failure = data.get("failures", {}).get(metric_id)
        if failure:
            out.append(f"<p class=\"fail\">Failed: {html.escape(str(failure).splitlines()[0])}</p>")
        out.append("</div>")
    per_asset = [mid for mid, m in metrics.items() if m.get("per_asset")]
    out.append("<h2>Assets</h2><table><tr><th></th><th>id</th><th class=\"l\">group</th>"
               "<th class=\"l\">prompt</th><th>seed</th>")
    out += [f"<th>{html.escape(metrics[mid].get('title', mid))}</th>" for mid in per_asset]
    out.append("</tr>")
    for index, row in enumerate(assets):
        thumb = _thumbnail(project, row.get("asset_id")) if index < _THUMBNAILS else ""
        row_cells: list[str] = []
        for mid in per_asset:
            error = row.get("errors", {}).get(mid)
            shown = format_value(row.get("values", {}).get(mid)) if mid in row.get("values", {}) else ""
            row_cells.append(f"<td title=\"{html.escape(str(error).splitlines()[0])}\">failed</td>"
                         if error else f"<td>{shown}</td>")
        out.append(f"<tr><td>{thumb}</td><td>{format_value(row.get('asset_id'))}</td>"
                   f"<td class=\"l\">{html.escape(str(row.get('group', '')))}</td>"
                   f"<td class=\"l\">{html.escape(str(row.get('prompt', ''))[:80])}</td>"
                   f"<td>{format_value(row.get('seed'))}</td>{''.join(row_cells)}</tr>")
    out.append("</table>")
    if data.get("failures"):
        out.append("<h2>Failures</h2><p class=\"muted\">A metric that failed is left out where it failed; "
                   "the others ran.</p>")
        for metric_id, error in data["failures"].items():
            out.append(f"<p><b>{html.escape(metric_id)}</b></p><p class=\"fail\">{html.escape(str(error))}</p>")
    out.append("</body></html>")
    return "\n".join(out)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        # mkstemp makes the file private; a report is an ordinary document.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_report(project: Project, evaluation: Evaluation, folder: Path, stem: str = "evaluation") -> tuple[Path, Path]:
    """Write ``STEM.html`` and ``STEM.json`` into ``folder`` (atomically); their paths."""
    data = report_data(project, evaluation)
    json_path, html_path = folder / f"{stem}.json", folder / f"{stem}.html"
    _atomic_write(json_path, json.dumps(_finite(data), indent=1, sort_keys=False) + "\n")
    _atomic_write(html_path, render_html(data, project))
    return html_path, json_path


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
