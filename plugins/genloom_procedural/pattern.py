"""Seeded fractal value noise mapped through a palette."""

from __future__ import annotations

from genloom.sdk import Output, ParameterError, Request, RunState

PALETTE_STOPS = {
    "aurora": [(8, 12, 40), (20, 90, 120), (60, 200, 150), (200, 240, 170), (250, 250, 240)],
    "ember": [(10, 5, 5), (90, 15, 10), (200, 60, 20), (250, 170, 60), (255, 240, 200)],
    "ocean": [(2, 10, 30), (10, 40, 90), (30, 110, 170), (120, 190, 220), (235, 248, 255)],
    "moss": [(15, 20, 10), (40, 70, 30), (90, 130, 50), (170, 190, 100), (235, 240, 200)],
    "mono": [(0, 0, 0), (255, 255, 255)],
}


class PatternGenerator:
    def load(self, model, device, dtype) -> None:
        import numpy  # noqa: F401 - imported here, not when the plugin is listed

    def run(self, request: Request, state: RunState) -> list[Output]:
        import numpy as np
        from PIL import Image

        p = request.params
        for name in ("width", "height"):
            if p[name] % 8:
                raise ParameterError(name, p[name], "is not a multiple of 8",
                                     f"use {p[name] - p[name] % 8} or {p[name] - p[name] % 8 + 8}")
        width, height, octaves = p["width"], p["height"], p["octaves"]
        rng = np.random.default_rng(request.seed)
        field = np.zeros((height, width), dtype=np.float32)
        amplitude, total = 1.0, 0.0
        for octave in range(octaves):
            state.raise_if_cancelled()
            cells = p["scale"] * (2**octave)
            field += amplitude * _value_noise(rng, width, height, cells)
            total += amplitude
            amplitude *= 0.5
            normalised = field / total
            state.progress(octave + 1, octaves, f"octave {octave + 1} of {octaves}",
                           preview=Image.fromarray(_colour(normalised, p["palette"])))
        image = Image.fromarray(_colour(field / total, p["palette"]))
        path = request.output_dir / "pattern.png"
        image.save(path)
        return [Output(kind="image", path=path, metadata={"width": width, "height": height})]

    def unload(self) -> None:
        pass


def _value_noise(rng, width: int, height: int, cells: float):
    """Random values on a coarse grid, smoothly interpolated to full size."""
    import numpy as np

    gx, gy = int(np.ceil(cells)) + 2, int(np.ceil(cells * height / width)) + 2
    grid = rng.random((gy, gx), dtype=np.float32)
    xs = np.linspace(0, cells, width, endpoint=False, dtype=np.float32)
    ys = np.linspace(0, cells * height / width, height, endpoint=False, dtype=np.float32)
    x0, y0 = xs.astype(int), ys.astype(int)
    fx, fy = _smooth(xs - x0), _smooth(ys - y0)
    top = grid[y0][:, x0] * (1 - fx) + grid[y0][:, x0 + 1] * fx
    bottom = grid[y0 + 1][:, x0] * (1 - fx) + grid[y0 + 1][:, x0 + 1] * fx
    return top * (1 - fy[:, None]) + bottom * fy[:, None]


def _smooth(t):
    return t * t * (3 - 2 * t)


def _colour(values, palette: str):
    import numpy as np

    stops = np.array(PALETTE_STOPS[palette], dtype=np.float32)
    lo, hi = float(values.min()), float(values.max())
    scaled = (values - lo) / (hi - lo + 1e-6) * (len(stops) - 1)
    index = np.clip(scaled.astype(int), 0, len(stops) - 2)
    frac = (scaled - index)[..., None]
    rgb = stops[index] * (1 - frac) + stops[index + 1] * frac
    return rgb.clip(0, 255).astype(np.uint8)
