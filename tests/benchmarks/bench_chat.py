"""The chat view's streaming against the chat generator called directly.

Run it with ``python -m tests.benchmarks chat`` (Qt offscreen is set when no display is).
With the bundled ``text.fortune-llama`` and the same request (thread, sampling, seed), so
both make the same tokens:

- *direct*: ``text.chat``'s generator in this process (``generator.run``), time to the first
  streamed text and the whole answer;
- *view*: the app's chat view (``ChatView`` over a ``ProjectController``, the real engine and
  worker process): from ``send`` to the first streamed text shown in the bubble, and to the
  settled answer shown. This includes the job queue, the worker protocol, the 20 Hz
  progress throttle of the bridge and the store.

Goal: the view's tokens per second within 5% of the direct call. The UI stall is the longest
gap between the event loop's turns while an answer streams (a 0 ms timer's ticks), beside
the same gap measured with nothing streaming; goal under 50 ms. torch runs on one thread in
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
PARAMS = {"prompt": "Tell me my fortune for the year ahead", "system_prompt": "",
          "conversation": "", "max_new_tokens": 96, "temperature": 0.8}
SEED = 11


def _direct(plugins: Any, workdir: Path) -> Any:
    """A function running text.chat in-process: (seconds to first text, total, tokens)."""
    from genloom.sdk import Request, RunState

    spec = plugins.generator("text.chat")
    generator = spec.factory()
    generator.load(plugins.models["text.fortune-llama"].to_ref(), "cpu", "float32")

    def run() -> tuple[float, float, int]:
        first: list[float] = []

        def seen(progress: Any) -> None:
            if progress.partial_text and not first:
                first.append(time.perf_counter())

        request = Request(spec.id, spec.validate_params(dict(PARAMS)), SEED,
                          model=plugins.models["text.fortune-llama"].to_ref(), output_dir=workdir)
        start = time.perf_counter()
        (output,) = generator.run(request, RunState(report=seen))
        end = time.perf_counter()
        return first[0] - start, end - start, int(output.metadata["generated_tokens"])

    return run


class _Ticks:
    """A 0 ms timer's tick times: the longest gap between two is the event loop's stall."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.times: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(0)
        self.timer.timeout.connect(lambda: self.times.append(time.perf_counter()))

    def gap(self, start: float, end: float) -> float:
        inside = [t for t in self.times if start <= t <= end]
        return max((b - a for a, b in zip(inside, inside[1:], strict=False)), default=0.0)


def main() -> list[dict]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["OMP_NUM_THREADS"] = THREADS  # the worker process inherits it
    home = Path(tempfile.mkdtemp(prefix="genloom-bench-chat-"))
    os.environ["GENLOOM_HOME"] = str(home)
    import torch
    from PySide6.QtWidgets import QApplication

    from genloom._qt.chat_view import ChatView
    from genloom._qt.project_controller import ProjectController
    from genloom.core.conversations import default_settings
    from genloom.core.project import Project
    from genloom.core.settings import Settings
    from genloom.testing.conformance import isolated_plugins

    torch.set_num_threads(int(THREADS))
    plugins = isolated_plugins(modules=["genloom_text.plugin"])
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
    settings.update(model="text.fortune-llama", seed=SEED,
                    params={"max_new_tokens": PARAMS["max_new_tokens"],
                            "temperature": PARAMS["temperature"]})

    def pump_until(done: Any, timeout: float = 300) -> None:
        end = time.monotonic() + timeout
        while not done():
            if time.monotonic() > end:
                raise TimeoutError("the answer did not come")
            app.processEvents()
            time.sleep(0.001)

    def in_view() -> tuple[float, float, int, float]:
        view.new_conversation()
        project.conversations.update_settings(view.conversation_id, settings)
        view.show_conversation(view.conversation_id)
        first: list[float] = []

        def on_progress(progress: Any) -> None:
            if view._streamed and not first:
                first.append(time.perf_counter())  # after the view's own slot drew it

        projects.bridge.job_progress.connect(on_progress)
        start = time.perf_counter()
        answer = view.send(PARAMS["prompt"])
        assert answer is not None
        pump_until(lambda: view.bubbles and view.bubbles[-1].message.state != "pending")
        end = time.perf_counter()
        projects.bridge.job_progress.disconnect(on_progress)
        message = project.conversations.message(answer.id)
        assert message.state == "done", message.error
        return (first[0] - start if first else end - start), end - start, \
            int(message.info["generated_tokens"]), ticks.gap(first[0] if first else start, end)

    # Warm-up: the worker starts and loads the model; the direct generator runs once.
    direct()
    in_view()
    rows: dict[str, list[float]] = {k: [] for k in ("d_ttft", "d_total", "v_ttft", "v_total",
                                                    "stall", "idle_stall")}
    tokens = set()
    for round_ in range(ROUNDS):
        order = ("direct", "view") if round_ % 2 == 0 else ("view", "direct")
        for which in order:
            if which == "direct":
                ttft, total, n = direct()
                rows["d_ttft"].append(ttft)
                rows["d_total"].append(total)
            else:
                ttft, total, n, stall = in_view()
                rows["v_ttft"].append(ttft)
                rows["v_total"].append(total)
                rows["stall"].append(stall)
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
        report("max event-loop gap while streaming", med["stall"], "the same, idle",
               med["idle_stall"], f"worst round {max(rows['stall']) * 1000:.1f} ms; goal < 50 ms"),
    ]
    ticks.timer.stop()
    projects.stop_engine()
    projects.close()
    view.close()
    project.close()
    return results


if __name__ == "__main__":
    main()
