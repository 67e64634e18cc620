"""GPU speed: the plugins against diffusers/transformers called directly, and fp16 against fp32.

Run it with ``python -m tests.benchmarks gpu``; ``tools/gpu/check.sh`` runs it on a lent GPU
and writes the figures into docs/benchmarks.md. Without a CUDA GPU it says so and measures
the same pairs on the CPU (float32 only), so the script itself is tried everywhere.

What is measured, with the bundled models (the default ``image.icon-ldm-64``, ``text.fortune-llama``,
``code.stdlib-llama``), on ``cuda`` in float16 (or the CPU in float32):

- *image plugin vs diffusers*: ``TextToImage.run`` on a loaded generator (validation,
  scheduler and memory set-up, previews, PNG) against the same pipeline object called
  directly with the same arguments, at the model's native size (64 px: launch-bound on a GPU) and
  128 px (GPU only). Goal: within 3% (ratio <= 1.03).
- *text/code plugin vs transformers*: ``generator.run`` (streaming, stop criteria,
  progress) against ``model.generate`` on the same loaded model, greedy, exactly
  ``NEW_TOKENS`` tokens each. Goal: within 3%.
- *fp16 vs fp32*: the plugin in float16 against itself in float32 (GPU only; no goal).

Pairs are timed alternately (A B A B ...; CUDA synchronised after each call) after a
warm-up, and medians compared. ``GENLOOM_BENCH_ROUNDS`` (default 7) sets the rounds.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    from tests.benchmarks._report import report
except ModuleNotFoundError:  # run as a script
    from _report import report  # type: ignore[no-redef]

ROUNDS = int(os.environ.get("GENLOOM_BENCH_ROUNDS", "7"))
NEW_TOKENS = 128
IMAGE = {"prompt": "red heart", "steps": 25, "guidance_scale": 5.0}
ROOT = Path(__file__).resolve().parents[2]
LM_CASES = (
    ("genloom_text.plugin", "text.complete", ROOT / "plugins/genloom_text/models/fortune-llama", "A fool"),
    ("genloom_code.plugin", "code.complete", ROOT / "plugins/genloom_code/models/stdlib-llama",
     "def read_config(path):\n"),
)


def _synced(fn: Callable[[], object]) -> Callable[[], object]:
    import torch

    def call() -> object:
        result = fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return result

    return call


def alternate(a: Callable[[], object], b: Callable[[], object], rounds: int = ROUNDS) -> tuple[float, float]:
    """Median seconds of ``a`` and ``b``, timed alternately (order flipped each round) after two warm-ups."""
    a, b = _synced(a), _synced(b)
    for _ in range(2):
        a()
        b()
    times: tuple[list[float], list[float]] = ([], [])
    for round_ in range(rounds):
        order = ((a, times[0]), (b, times[1]))
        for fn, bucket in order if round_ % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def describe_device() -> tuple[str, str]:
    """(device, one line naming the GPU, driver, torch and CUDA, or saying there is none)."""
    import torch

    if not torch.cuda.is_available():
        return "cpu", f"no CUDA GPU: CPU figures (float32), torch {torch.__version__}"
    props = torch.cuda.get_device_properties(0)
    return "cuda", (f"{props.name} ({props.total_memory / 1024**3:.0f} GiB), torch {torch.__version__}, "
                    f"CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")


def _image(device: str, dtype: str, out: Path) -> dict[str, Any]:
    import torch

    from genloom.sdk import Request, RunState
    from genloom.testing import isolated_plugins

    plugins = isolated_plugins(modules=["genloom_image.plugin"])
    spec = plugins.generator("image.text_to_image")
    generator = spec.factory()
    generator.load(None, device, dtype)
    pipe = generator.loaded.pipe
    results = {}
    native = int(pipe.unet.config.sample_size) * int(pipe.vae_scale_factor)
    for side in (native, 128) if device == "cuda" else (native,):
        params = spec.validate_params({**IMAGE, "width": side, "height": side})

        def plugin(params: dict[str, Any] = params) -> object:
            return generator.run(Request(spec.id, params, seed=1, output_dir=out), RunState())

        def direct(side: int = side) -> object:
            return pipe(IMAGE["prompt"], num_inference_steps=IMAGE["steps"], guidance_scale=IMAGE["guidance_scale"],
                        width=side, height=side, generator=[torch.Generator("cpu").manual_seed(1)]).images

        results[side] = plugin
        plugin_s, direct_s = alternate(plugin, direct)
        report(f"image plugin vs diffusers {device} {dtype} {side}px", plugin_s, "diffusers pipeline directly",
               direct_s, note=f"{1 / plugin_s:.1f} vs {1 / direct_s:.1f} images/s", goal=1.03)
    return {"generator": generator, "run": results[native], "side": native}


def _lm(module: str, generator_id: str, folder: Path, prompt: str, device: str, dtype: str,
        out: Path) -> dict[str, Any]:
    import torch

    from genloom.sdk import ModelRef, Request, RunState
    from genloom.testing import isolated_plugins

    plugins = isolated_plugins(modules=[module])
    spec = plugins.generator(generator_id)
    ref = ModelRef(id=folder.name, path=str(folder), source="bundled")
    generator = spec.factory()
    generator.load(ref, device, dtype)
    model = generator.backend("torch").model
    eos = [len(generator.tokenizer)]  # never produced: both sides make exactly NEW_TOKENS tokens
    generator._eos_ids = lambda: eos
    ids = torch.tensor([generator.encode(prompt)], device=model.device)
    params = spec.validate_params({"prompt": prompt, "max_new_tokens": NEW_TOKENS, "temperature": 0.0,
                                   "repetition_penalty": 1.1, "token_healing": False})

    def plugin() -> object:
        return generator.run(Request(spec.id, params, 5, model=ref, output_dir=out), RunState())

    def direct() -> object:
        with torch.inference_mode():
            return model.generate(ids, max_new_tokens=NEW_TOKENS, repetition_penalty=1.1, do_sample=False,
                                  temperature=None, top_p=None, top_k=None, eos_token_id=eos, pad_token_id=eos[0],
                                  attention_mask=torch.ones_like(ids))

    plugin_s, direct_s = alternate(plugin, direct)
    report(f"{folder.name} plugin vs transformers {device} {dtype}", plugin_s, "model.generate directly", direct_s,
           note=f"{NEW_TOKENS / plugin_s:.0f} vs {NEW_TOKENS / direct_s:.0f} tok/s", goal=1.03)
    return {"generator": generator, "run": plugin}


def main() -> None:
    import torch

    device, line = describe_device()
    if device == "cpu":
        from genloom.sdk.runtime import set_cpu_threads

        # The CPU run only proves the script: one thread (GENLOOM_BENCH_THREADS to change), since
        # torch's default of one per visible core crawls on a shared, oversubscribed machine.
        set_cpu_threads(int(os.environ.get("GENLOOM_BENCH_THREADS", "1")))
        line += f", {torch.get_num_threads()} thread(s)"
    print(line, f"; {ROUNDS} alternating rounds", flush=True)
    out = Path(tempfile.mkdtemp(prefix="bench-gpu-"))
    dtypes = ("float16", "float32") if device == "cuda" else ("float32",)
    image_runs = {}
    for dtype in dtypes:
        loaded = _image(device, dtype, out)
        image_runs[dtype] = loaded
    if device == "cuda":
        half_s, full_s = alternate(image_runs["float16"]["run"], image_runs["float32"]["run"])
        report(f"image plugin float16 (cuda, {image_runs['float16']['side']}px)", half_s, "float32", full_s,
               note=f"fp16 {full_s / half_s:.2f}x the speed of fp32")
    for loaded in image_runs.values():
        loaded["generator"].unload()
    for case in LM_CASES:
        runs = {dtype: _lm(*case, device=device, dtype=dtype, out=out) for dtype in dtypes}
        if device == "cuda":
            half_s, full_s = alternate(runs["float16"]["run"], runs["float32"]["run"])
            report(f"{case[2].name} plugin float16 (cuda)", half_s, "float32", full_s,
                   note=f"fp16 {full_s / half_s:.2f}x the speed of fp32")
        for loaded in runs.values():
            loaded["generator"].unload()
    if device == "cuda":
        print(f"peak CUDA memory {torch.cuda.max_memory_allocated() / 1024**2:.0f} MiB", flush=True)


if __name__ == "__main__":
    main()
