"""Language-model speed: the text/code plugins against transformers, ONNX Runtime against torch.

Run it with ``python -m tests.benchmarks text`` (or ``python tests/benchmarks/bench_text.py``).
For each bundled model (``text.fortune-llama``, ``code.stdlib-llama``), in one process:

- *plugin vs generate*: ``generator.run`` in-process (streaming through the
  ``TokenStream``, stop/cancel criteria, progress reports, output building) against
  ``model.generate`` on the same loaded model with the same prompt and settings and no
  streamer. Greedy, and sampled with the same seed, so both make the same tokens: the
  generator's defaults that choose tokens (repetition penalty 1.1; for code, no repeated
  8-token run) are given to ``generate`` as well.
  Goal: the plugin reaches at least 0.95 of generate's tokens per second (ratio <= 1.05).
  Both make exactly ``NEW_TOKENS`` tokens (end-of-text is disabled in both).
- *onnx vs torch*: the plugin's ONNX Runtime loop (KV cache) against its torch backend,
  greedy, the same tokens.

Each pair is warmed up (two calls of each), then timed in rounds whose order alternates
(plugin first, then baseline first, ...) so that load from other processes on a shared
machine, and whatever the first call of a round pays, hit both alike. A line gives the
medians, and the median and range of the per-round throughput ratios: on a shared 2-core
machine one round's ratio swings by 20% either way, so read the median, not one round.
``GENLOOM_BENCH_ROUNDS`` (default 9) sets the rounds. Everything runs twice: with one
thread for torch and ONNX Runtime alike (``GENLOOM_BENCH_THREADS`` to change; on a busy
2-core machine more threads mostly measure contention), then at the app's default
setting (``cpu_threads`` 0: one per core for both).

The plugin's own cost per token is also measured without the model: the generated ids
replayed through a ``TokenStream`` reporting into a ``RunState``, as ``run`` does. That
figure hardly moves with machine load, so it says whether a gap is ours or noise.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from genloom.sdk import Request, RunState
from genloom.testing.conformance import isolated_plugins

try:
    from tests.benchmarks._report import report
except ModuleNotFoundError:  # run as a script
    from _report import report  # type: ignore[no-redef]

NEW_TOKENS = 128
ROUNDS = int(os.environ.get("GENLOOM_BENCH_ROUNDS", "9"))
CASES = (
    ("genloom_text.plugin", "text.complete", "text.fortune-llama", "A fool"),
    ("genloom_code.plugin", "code.complete", "code.stdlib-llama", "def read_config(path):\n"),
)


def interleaved(first: Callable[[], object], second: Callable[[], object],
                rounds: int = ROUNDS, warmup: int = 2) -> tuple[float, float, list[float]]:
    """Median wall times of ``first`` and ``second`` and each round's ``second / first``
    (throughput of first relative to second), after ``warmup`` calls of each; the order
    alternates from round to round."""
    for _ in range(warmup):
        first()
        second()
    times: tuple[list[float], list[float]] = ([], [])
    pairs = ((first, times[0]), (second, times[1]))
    for round_ in range(rounds):
        for fn, bucket in pairs if round_ % 2 == 0 else pairs[::-1]:
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    ratios = [b / a for a, b in zip(*times, strict=True)]
    return statistics.median(times[0]), statistics.median(times[1]), ratios


def spread(ratios: list[float]) -> str:
    """``median (min-max) over n rounds`` of per-round ratios."""
    return (f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f} over "
            f"{len(ratios)} rounds)")


def stream_cost(tokenizer: Any, ids: list[int], stops: tuple[str, ...] = ()) -> float:
    """Seconds per token that the plugin's streaming adds: ``ids`` replayed through a
    ``TokenStream`` reporting into a ``RunState`` (median of 5)."""
    from genloom.sdk.lm.streaming import TokenStream

    def replay() -> None:
        state = RunState()
        stream = TokenStream(tokenizer, stops, lambda text, n: state.progress(
            n, len(ids), partial_text=text), state)
        for token in ids:
            stream.push(token)
        stream.finish("max_tokens")

    times = []
    for _ in range(5):
        start = time.perf_counter()
        replay()
        times.append(time.perf_counter() - start)
    return statistics.median(times) / max(len(ids), 1)


def _plugin_run(spec: Any, generator: Any, ref: Any, params: dict[str, Any], seed: int,
                out_dir: Path) -> Any:
    request = Request(spec.id, spec.validate_params(params), seed, model=ref, output_dir=out_dir)
    (output,) = generator.run(request, RunState())
    return output


def _bench_model(module: str, generator_id: str, model_id: str, prompt: str) -> list[dict]:
    import torch

    plugins = isolated_plugins(modules=[module])
    spec = plugins.generator(generator_id)
    ref = plugins.models[model_id].to_ref()
    generator = spec.factory()
    generator.load(ref, "cpu", "float32")
    model = generator.backend("torch").model
    tokenizer = generator.tokenizer
    ids = torch.tensor([generator.encode(prompt)])
    # Always NEW_TOKENS tokens: end-of-text is made an id the model never produces, for the
    # plugin and the baseline alike (tiny models often end a fortune after a dozen tokens).
    eos = [len(tokenizer)]
    generator._eos_ids = lambda: eos
    out_dir = Path(tempfile.mkdtemp(prefix="genloom-bench-text-"))
    results = []
    for label, sampling in (("greedy", {"temperature": 0.0}),
                            ("sampled", {"temperature": 0.8, "top_p": 0.95, "top_k": 50})):
        # Token healing off: model.generate gets the plain prompt, so the plugin must too.
        params = {"prompt": prompt, "max_new_tokens": NEW_TOKENS, "repetition_penalty": 1.1,
                  "token_healing": False, **sampling}
        output = _plugin_run(spec, generator, ref, params, 5, out_dir)
        tokens = output.metadata["generated_tokens"]
        # The generator's own defaults that change which tokens come out go to generate too:
        # the code generators never repeat an 8-token run (no_repeat_ngram_size 8, against
        # loops in code), which made "same text: False" when the baseline went without it.
        ngram = spec.validate_params(params).get("no_repeat_ngram_size", 0)
        kwargs: dict[str, Any] = {"max_new_tokens": NEW_TOKENS, "repetition_penalty": 1.1,
                                  "no_repeat_ngram_size": ngram or None,
                                  "eos_token_id": eos, "pad_token_id": eos[0],
                                  "attention_mask": torch.ones_like(ids)}
        if sampling["temperature"] == 0.0:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            kwargs.update(do_sample=True, temperature=0.8, top_p=0.95, top_k=50)

        def baseline(kwargs: dict[str, Any] = kwargs) -> Any:
            torch.manual_seed(5)
            with torch.inference_mode():
                return model.generate(ids, **kwargs)

        new_ids = baseline()[0, ids.shape[1]:].tolist()
        if len(new_ids) != tokens:
            raise AssertionError(f"the plugin made {tokens} tokens and model.generate "
                                 f"{len(new_ids)}: the comparison needs the same count")
        same = tokenizer.decode(new_ids, skip_special_tokens=True) \
            == output.metadata["completion"]
        plugin_s, generate_s, ratios = interleaved(
            lambda p=params: _plugin_run(spec, generator, ref, p, 5, out_dir), baseline)
        per_token = stream_cost(tokenizer, new_ids)
        results.append(report(
            f"{model_id} plugin.run {label} ({tokens} tok)", plugin_s,
            "model.generate", generate_s,
            f"{tokens / plugin_s:.0f} vs {tokens / generate_s:.0f} tok/s, throughput of "
            f"generate per round {spread(ratios)}, streaming {per_token * 1e6:.0f} us/tok = "
            f"{per_token * tokens / generate_s:.1%} of generate, same text: {same}", goal=1.05))
    params = {"prompt": prompt, "max_new_tokens": NEW_TOKENS, "temperature": 0.0}
    texts = {}
    runs = {}
    for backend in ("torch", "onnx"):
        p = {**params, "backend": backend}
        texts[backend] = _plugin_run(spec, generator, ref, p, 5, out_dir)
        runs[backend] = lambda p=p: _plugin_run(spec, generator, ref, p, 5, out_dir)
    onnx_s, torch_s, ratios = interleaved(runs["onnx"], runs["torch"])
    times = {"onnx": onnx_s, "torch": torch_s}
    tokens = texts["onnx"].metadata["generated_tokens"]
    results.append(report(
        f"{model_id} onnx backend greedy ({tokens} tok)", times["onnx"], "torch backend",
        times["torch"], f"{tokens / times['onnx']:.0f} vs "
        f"{texts['torch'].metadata['generated_tokens'] / times['torch']:.0f} tok/s, "
        f"onnx throughput of torch per round {spread(ratios)}, same text: "
        f"{texts['onnx'].text == texts['torch'].text}", goal=1 / 1.6))  # throughput >= 1.6x
    generator.unload()
    return results


def main() -> None:
    import torch

    from genloom.sdk.runtime import set_cpu_threads

    default = torch.get_num_threads()  # torch's and onnxruntime's own default: one per core
    # Both backends get the same thread count (genloom.sdk.runtime: the worker does the same
    # from the user's setting): first a fixed count, then the app's default setting (0).
    for threads in (int(os.environ.get("GENLOOM_BENCH_THREADS", "1")), 0):
        set_cpu_threads(threads)
        torch.set_num_threads(threads or default)
        print(f"\ntorch and onnxruntime threads: {threads or f'the default ({default})'}; "
              f"{ROUNDS} rounds", flush=True)
        for case in CASES:
            _bench_model(*case)


if __name__ == "__main__":
    main()
