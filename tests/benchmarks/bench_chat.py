"""The chat view's streaming against the chat generator called directly.

Run it with ``python -m tests.benchmarks chat`` (Qt offscreen is set when no display is).
With the bundled code model ``code.stdlib-llama`` in a conversation (``text.chat``, its
fallback template) and the same request (thread, sampling, seed), so both make the same 128
tokens (the bundled text model's fortunes end after a dozen tokens, too short to measure a
rate):

- *direct*: ``text.chat``'s generator in this process (``generator.run``), time to the first
  streamed text and the whole answer;
- *view*: the app's chat view (``ChatView`` over a ``ProjectController``, the real engine and
  worker process): from ``send`` to the first streamed text shown in the bubble, and to the
  settled answer shown. This includes the job queue, the worker protocol, the 20 Hz
  progress throttle of the bridge and the store.

Goal: the view's tokens per second within 5% of the direct call. The UI stall is the longest
gap between the event loop's turns while an answer streams, beside
the same gap measured with nothing streaming (a 2 ms timer's ticks); goal under 50 ms. torch runs on one thread in
both processes (``GENLOOM_BENCH_THREADS``); rounds alternate their order
(``GENLOOM_BENCH_ROUNDS``, default 5) and the medians are reported.
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

ROUNDS = int(os.environ.get("GENLOOM_BENCH_ROUNDS", "5"))
THREADS = os.environ.get("GENLOOM_BENCH_THREADS", "1")
MODEL = "code.stdlib-llama"
PARAMS = {"prompt": "Write a function that parses a config file", "system_prompt": "",
          "conversation": "", "max_new_tokens": 128, "temperature": 0.8}
SEED = 1


#: The generator's own tokens per second (its output metadata), in-process and in the worker.
worker_rates: dict[str, list[float]] = {}


def _direct(plugins: Any, workdir: Path) -> Any:
    """A function running text.chat in-process: (seconds to first text, total, tokens)."""
    from genloom.sdk import Request, RunState

    spec = plugins.generator("text.chat")
    generator = spec.factory()
    generator.load(plugins.models[MODEL].to_ref(), "cpu", "float32")

    def run() -> tuple[float, float, int, float]:
        first: list[float] = []

        last: list[float] = [0.0]

        def seen(progress: Any) -> None:
            if progress.partial_text:
                last[0] = time.perf_counter()
                if not first:
                    first.append(last[0])

        request = Request(spec.id, spec.validate_params(dict(PARAMS)), SEED,
                          model=plugins.models[MODEL].to_ref(), output_dir=workdir)
        start = time.perf_counter()
        (output,) = generator.run(request, RunState(report=seen))
        end = time.perf_counter()
        tokens = int(output.metadata["generated_tokens"])
        worker_rates.setdefault("direct", []).append(float(output.metadata["tokens_per_second"]))
        return first[0] - start, end - start, tokens, (tokens - 1) / (last[0] - first[0])

    return run


class _Ticks:
    """A 2 ms timer's tick times: the longest gap between two is the event loop's stall (a
    0 ms timer would keep a core busy and slow the worker it is measured against)."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.times: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(2)
        self.timer.timeout.connect(lambda: self.times.append(time.perf_counter()))

    def gap(self, start: float, end: float) -> float:
        inside = [t for t in self.times if start <= t <= end]
        return max((b - a for a, b in zip(inside, inside[1:], strict=False)), default=0.0)


def _timed(cls: Any, name: str, slowest: dict[str, float]) -> None:
    """Wrap ``cls.name`` to keep its longest call (where a stall comes from)."""
    original = getattr(cls, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            key = f"{cls.__name__}.{name}"
            slowest[key] = max(slowest.get(key, 0.0), time.perf_counter() - start)

    setattr(cls, name, wrapper)


def main() -> list[dict]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["OMP_NUM_THREADS"] = THREADS  # the worker process inherits it
    home = Path(tempfile.mkdtemp(prefix="genloom-bench-chat-"))
    os.environ["GENLOOM_HOME"] = str(home)
    import torch
    from PySide6.QtWidgets import QApplication

    from genloom._qt.chat_bubbles import MessageBubble
    from genloom._qt.chat_view import ChatView
    from genloom._qt.project_controller import ProjectController
    from genloom.core.conversations import default_settings
    from genloom.core.project import Project
    from genloom.core.settings import Settings
    from genloom.testing.conformance import isolated_plugins

    torch.set_num_threads(int(THREADS))
    slowest: dict[str, float] = {}
    for cls, name in ((ChatView, "reload"), (ChatView, "refresh_list"), (ChatView, "_on_progress"),
                      (MessageBubble, "set_text")):
        _timed(cls, name, slowest)
    plugins = isolated_plugins(modules=["genloom_text.plugin", "genloom_code.plugin"])
    direct = _direct(plugins, home)
    app = QApplication.instance() or QApplication([])
    project = Project.create(home / "project")
    projects = ProjectController(Settings(), plugins, project)
    view = ChatView(projects)
    view.resize(1100, 800)
    view.show()
    projects.start_engine()
    ticks = _Ticks()
    ticks.timer.start()
    settings = default_settings(plugins.generators.values())
    settings.update(model=MODEL, seed=SEED,
                    params={"max_new_tokens": PARAMS["max_new_tokens"],
                            "temperature": PARAMS["temperature"]})

    def pump_until(done: Any, timeout: float = 300) -> None:
        end = time.monotonic() + timeout
        while not done():
            if time.monotonic() > end:
                raise TimeoutError("the answer did not come")
            app.processEvents()
            time.sleep(0.002)

    def in_view() -> tuple[float, float, int, float, float, float]:
        view.new_conversation()
        project.conversations.update_settings(view.conversation_id, settings)
        view.show_conversation(view.conversation_id)
        first: list[float] = []
        last: list[tuple[float, int]] = [(0.0, 0)]

        def on_progress(progress: Any) -> None:
            if view._streamed:  # after the view's own slot drew it
                last[0] = (time.perf_counter(), progress.step)
                if not first:
                    first.append(last[0][0])
                    first_step.append(progress.step)

        first_step: list[int] = []
        projects.bridge.job_progress.connect(on_progress)
        start = time.perf_counter()
        answer = view.send(PARAMS["prompt"])
        assert answer is not None
        pump_until(lambda: view.bubbles and view.bubbles[-1].message.state != "pending")
        end = time.perf_counter()
        projects.bridge.job_progress.disconnect(on_progress)
        message = project.conversations.message(answer.id)
        assert message.state == "done", message.error
        worker_rates.setdefault("view", []).append(float(message.info["tokens_per_second"]))
        shown = last[0][1] - first_step[0]  # tokens shown between the first and last update
        rate = shown / (last[0][0] - first[0]) if shown > 0 else 0.0
        return (first[0] - start), end - start, int(message.info["generated_tokens"]), \
            ticks.gap(first[0], last[0][0]), rate, ticks.gap(last[0][0], end)

    # Warm-up: the worker starts and loads the model; the direct generator runs once.
    direct()
    in_view()
    rows: dict[str, list[float]] = {k: [] for k in ("d_ttft", "d_total", "v_ttft", "v_total",
                                                    "stall", "idle_stall", "d_rate", "v_rate",
                                                    "end_stall")}
    tokens = set()
    for round_ in range(ROUNDS):
        order = ("direct", "view") if round_ % 2 == 0 else ("view", "direct")
        for which in order:
            if which == "direct":
                ttft, total, n, rate = direct()
                rows["d_ttft"].append(ttft)
                rows["d_total"].append(total)
                rows["d_rate"].append(rate)
            else:
                ttft, total, n, stall, rate, end_stall = in_view()
                rows["end_stall"].append(end_stall)
                rows["v_ttft"].append(ttft)
                rows["v_total"].append(total)
                rows["stall"].append(stall)
                rows["v_rate"].append(rate)
            tokens.add(n)
        idle_start = time.perf_counter()
        pump_until(lambda s=idle_start: time.perf_counter() - s > 1.0)
        rows["idle_stall"].append(ticks.gap(idle_start, time.perf_counter()))
    med = {k: statistics.median(v) for k, v in rows.items()}
    n = max(tokens)
    print(f"tokens per answer: {sorted(tokens)} (same seed and thread in both); "
          f"{ROUNDS} rounds, medians; torch threads {THREADS}")
    results = [
        report("time to first token, view", med["v_ttft"], "plugin called directly",
               med["d_ttft"], "includes queue, worker protocol, 20 Hz throttle"),
        report("answer (send to settled), view", med["v_total"], "plugin called directly",
               med["d_total"], f"tokens/s view {n / med['v_total']:.1f} vs direct "
                               f"{n / med['d_total']:.1f}"),
        report("time per token while streaming, view", 1 / med["v_rate"],
               "plugin called directly", 1 / med["d_rate"], goal=1.05,
               note=f"{med['v_rate']:.1f} vs {med['d_rate']:.1f} tokens/s between the first and "
                    "last text shown"),
        report("max event-loop gap while streaming", med["stall"], "the same, idle",
               med["idle_stall"], f"worst round {max(rows['stall']) * 1000:.1f} ms; goal < 50 ms"),
        report("max event-loop gap, last token to settled", med["end_stall"], "the same, idle",
               med["idle_stall"], f"worst round {max(rows['end_stall']) * 1000:.1f} ms"),
    ]
    print(f"the generator's own rate (output metadata): in the worker "
          f"{statistics.median(worker_rates['view']):.1f} tokens/s, called directly "
          f"{statistics.median(worker_rates['direct']):.1f} tokens/s")
    print("slowest call of each view slot: " + ", ".join(
        f"{name} {seconds * 1000:.1f} ms" for name, seconds in sorted(slowest.items())))
    ticks.timer.stop()
    projects.stop_engine()
    projects.close()
    view.close()
    project.close()
    return results


if __name__ == "__main__":
    main()
