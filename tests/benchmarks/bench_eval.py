"""Evaluation cost: the metrics' time per asset against the time to make that asset.

Run it with ``python -m tests.benchmarks eval``.

For each modality, a few assets are made with the bundled generator (warm: the model is
loaded first; the median time of one asset is the baseline), then every built-in metric
that applies is computed on them as an evaluation job computes it (the same
:func:`~genloom.core.evaluation.compute.compute`, in this process, with the models
loaded once per run): the per-set metrics' cost is shared by the set's assets. The ratio
is metric time per asset over generation time per asset. Goal: under 10% (0.10x).
``GENLOOM_BENCH_ONLY=audio,code`` measures only those modalities.

- image: ``image.text_to_image`` (emoji LDM, 32 px, 25 steps); sharpness, VAE and MS-SSIM diversity
- text: ``text.complete`` (Fortune Llama, 100 new tokens); distinct-1/2, self-BLEU,
  repetition, perplexity under the bundled model
- code: ``code.complete`` (stdlib Llama, 128 new tokens, a prompt carrying a doctest);
  parse rate, ruff findings (a process), test pass rate (a process)
- audio: ``audio.music`` (folk ABC model, 16 bars rendered to WAV); loudness, clipping,
  silence on the WAV, bar consistency and key stability on the ABC
- video: ``video.text_to_video`` (emoji LDM frames, 16 frames, 20 steps); temporal
  consistency, flicker
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

try:
    from tests.benchmarks._report import report
except ModuleNotFoundError:  # run as a script
    from _report import report  # type: ignore[no-redef]

SET_SIZE = 3
ROOT = Path(__file__).parents[2]

CASES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("image", "genloom_image.plugin", "image.text_to_image", {"prompt": "red heart", "steps": 25}),
    ("text", "genloom_text.plugin", "text.complete", {"prompt": "You will", "max_new_tokens": 100}),
    ("code", "genloom_code.plugin", "code.complete",
     {"prompt": 'def add(a, b):\n    """Add two numbers.\n\n    >>> add(2, 3)\n    5\n    """\n',
      "max_new_tokens": 128}),
    ("audio", "genloom_audio.plugin", "audio.music", {"bars": 16}),
    ("video", "genloom_video.plugin", "video.text_to_video", {"prompt": "red heart", "frames": 16,
                                                              "steps": 20}),
]


def _make(plugins: Any, generator_id: str, params: dict[str, Any], out: Path) -> tuple[float, list[Any]]:
    """Median seconds per asset and the outputs of :data:`SET_SIZE` warm runs."""
    from genloom.sdk import ModelRef, Request, RunState

    spec = plugins.generator(generator_id)
    generator = spec.factory()
    model = None
    if spec.default_model:
        bundled = plugins.models[spec.default_model]
        model = ModelRef(id=bundled.id, kind=bundled.kind, path=str(bundled.path), source="bundled")
    generator.load(model, "cpu", "float32")
    values = spec.validate_params(dict(params))
    outputs: list[Any] = []
    times = []
    for seed in range(SET_SIZE + 1):  # the first run warms up
        folder = out / f"{generator_id}-{seed}"
        folder.mkdir(parents=True)
        start = time.perf_counter()
        made = generator.run(Request(spec.id, values, seed=seed, output_dir=folder, model=model), RunState())
        if seed:
            times.append(time.perf_counter() - start)
            outputs.append(made)
    generator.unload()
    per_asset = statistics.median(times) / 1  # each run makes one asset of the modality
    return per_asset, outputs


def _files(outputs: list[Any], out: Path, modality: str, prompt: str) -> list[Any]:
    from genloom.sdk.metrics import MetricAsset

    assets = []
    for index, made in enumerate(outputs):
        for n, output in enumerate(made):
            path = output.path
            if path is None:
                path = out / f"{modality}-{index}-{n}{output.suffix}"
                path.write_bytes(output.data)
            assets.append(MetricAsset(asset_id=len(assets) + 1, kind=output.kind, path=Path(path),
                                      prompt=prompt))
    return assets


def main() -> None:
    from genloom.core.evaluation.compute import compute
    from genloom.core.evaluation.job import model_choices
    from genloom.sdk.metrics import MetricContext
    from genloom.testing import isolated_plugins

    plugins = isolated_plugins(modules=[case[1] for case in CASES])
    metrics = plugins.all_metrics()
    refs = model_choices(plugins)
    models = {role: Path(plugins.models[ref["id"]].path) / ref["sub"] for role, ref in refs.items()}
    out = Path(tempfile.mkdtemp(prefix="bench-eval-"))
    print(f"{SET_SIZE} assets per modality; metric models: "
          + ", ".join(f"{r}={ref['id']}" for r, ref in refs.items()))
    only = [m for m in os.environ.get("GENLOOM_BENCH_ONLY", "").split(",") if m]
    for modality, _, generator_id, params in CASES:
        if only and modality not in only:
            continue
        make_s, outputs = _make(plugins, generator_id, params, out)
        assets = _files(outputs, out, modality, str(params.get("prompt", "")))
        kinds = {(a.kind, a.path.suffix) for a in assets}
        chosen = [m for m in metrics.values() if not m.needs_model or m.needs_model in models]
        chosen = [m for m in chosen if any(m.applies_to(k, s) for k, s in kinds)]
        scratch = out / f"scratch-{modality}"
        scratch.mkdir()
        context = MetricContext(models=models, scratch=scratch)
        compute(assets[:2], {}, chosen, context)  # loads the metric models once, as a job does
        start = time.perf_counter()
        result = compute(assets, {}, chosen, context)
        metric_s = (time.perf_counter() - start) / len(outputs)
        failed = ", ".join(result["failures"]) or "none"
        report(f"{modality}: {len(chosen)} metrics per asset", metric_s,
               f"making it ({generator_id})", make_s,
               note=f"metrics failed: {failed}", goal=0.10)


if __name__ == "__main__":
    main()
