"""The desktop app: cold start to first window, and UI stalls while a generation runs.

Start-up is measured from process launch to the first paint of the window
(offscreen platform), against a bare PySide6 QMainWindow measured the same way
in the same run (goal: within 1.5x). The stall figure is the longest gap
between ticks of a 5 ms timer on the GUI thread while a CPU-heavy job runs in
the worker (goal: under 50 ms), against the same timer with nothing running.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks._report import report

BARE = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
w = QMainWindow(); w.resize(1440, 900)
class Watch(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            print("painted", time.time(), time.process_time(), flush=True); app.quit()
        return False
watch = Watch(); w.installEventFilter(watch)
w.show(); app.exec()
"""

GENLOOM = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from genloom._qt.startup import finish_startup, start_application
app, w, settings = start_application(["genloom-app"])
class Watch(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not hasattr(self, "done"):
            self.done = True
            print("painted", time.time(), time.process_time(), flush=True)
            QTimer.singleShot(0, complete)
        return False
def complete():
    finish_startup(w, ["genloom-app"])
    w.repaint(); app.processEvents()
    print("ready", time.time(), time.process_time(), flush=True)
    app.quit()
watch = Watch(); w.installEventFilter(watch)
w.show(); app.exec()
"""


def _time_to_paint(code: str, env: dict[str, str]) -> float:
    return _times(code, env)["painted"]


def _times(code: str, env: dict[str, str]) -> dict[str, float]:
    """Seconds from launch to each marker the child prints (``painted``, ``ready``), and
    the child's CPU seconds (its process time) at each (``painted cpu``, ``ready cpu``).

    The parent passes its wall-clock launch time in ``GENLOOM_BENCH_LAUNCH``;
    the child prints the wall clock and its process time at each marker.
    """
    launch = time.time()
    result = subprocess.run([sys.executable, "-c", code], env={**env, "GENLOOM_BENCH_LAUNCH": str(launch)},
                            capture_output=True, text=True, timeout=120)
    stamps = {}
    for parts in (line.split() for line in result.stdout.splitlines()):
        if len(parts) == 3 and parts[0] in ("painted", "ready"):
            stamps[parts[0]] = float(parts[1]) - launch
            stamps[f"{parts[0]} cpu"] = float(parts[2])
    if "painted" not in stamps:
        raise RuntimeError(f"window never painted: {result.stdout[-500:]} {result.stderr[-2000:]}")
    return stamps


def startup(env: dict[str, str], repeat: int = 7) -> None:
    _times(GENLOOM, env)  # first run creates the default project and settings, and the bytecode
    _times(BARE, env)
    # Alternating, so a change in the machine's load falls on both sides alike.
    bares, runs = [], []
    for _ in range(repeat):
        bares.append(_times(BARE, env))
        runs.append(_times(GENLOOM, env))
    bare = statistics.median(r["painted"] for r in bares)
    painted = statistics.median(r["painted"] for r in runs)
    ready = statistics.median(r["ready"] for r in runs)
    report("app: process start to first window paint", painted, "bare PySide6 QMainWindow", bare,
           note=f"median of {repeat}, offscreen", goal=1.2)
    report("app: process start to project shown", ready, "bare PySide6 QMainWindow", bare,
           note="plugins listed, gallery and inspector built, project open", goal=2.0)
    # The same runs in CPU time: what the start costs, which a loaded machine (where other
    # processes take the cores) stretches far less than the wall-clock figures above.
    bare_cpu = statistics.median(r["painted cpu"] for r in bares)
    report("app: CPU to first window paint", statistics.median(r["painted cpu"] for r in runs),
           "bare PySide6 QMainWindow, CPU", bare_cpu, note="process time, same runs")
    report("app: CPU to project shown", statistics.median(r["ready cpu"] for r in runs),
           "bare PySide6 QMainWindow, CPU", bare_cpu, note="process time, same runs")


STALL = r"""
import sys, time
from PySide6.QtCore import QTimer
from genloom._qt.startup import build_window
app, w = build_window(["genloom-app"])
w.show(); w.start_engine()
gaps = []; last = [time.perf_counter()]
def tick():
    now = time.perf_counter(); gaps.append(now - last[0]); last[0] = now
timer = QTimer(); timer.setInterval(5); timer.timeout.connect(tick); timer.start()
mode = sys.argv[1]
def begin():
    gaps.clear(); last[0] = time.perf_counter()
    if mode == "generate":
        w.generate_panel.picker.select("procedural.pattern")
        w.generate_panel.form.set_values({"width": 2048, "height": 2048, "octaves": 10})
        w.generate_panel.form.count.setValue(2)
        jobs = w.generate_panel.generate()
        assert jobs, "nothing queued"
        # Measure while the jobs run, not the form being built for the chosen generator.
        gaps.clear(); last[0] = time.perf_counter()
        def check():
            states = [w.project.jobs.get(j.id).state for j in jobs]
            if all(s in ("done", "failed", "cancelled") for s in states):
                print("STATES", states); finish()
            else:
                QTimer.singleShot(50, check)
        QTimer.singleShot(50, check)
    else:
        QTimer.singleShot(4000, finish)
def finish():
    gaps.sort()
    print("GAPS", max(gaps), gaps[int(len(gaps) * 0.99)], len(gaps), flush=True)
    w.stop_engine(); app.quit()
QTimer.singleShot(500, begin)
app.exec()
"""


def stalls(env: dict[str, str]) -> None:
    results = {}
    for mode in ("idle", "generate"):
        out = subprocess.run([sys.executable, "-c", STALL, mode], env=env, capture_output=True, text=True,
                             timeout=600)
        line = next((line for line in out.stdout.splitlines() if line.startswith("GAPS")), None)
        if line is None:
            raise RuntimeError(f"stall measurement failed: {out.stdout[-1000:]} {out.stderr[-3000:]}")
        worst, p99, ticks = line.split()[1:]
        results[mode] = (float(worst), float(p99), int(ticks))
        states = next((line for line in out.stdout.splitlines() if line.startswith("STATES")), "")
        if mode == "generate" and "done" not in states:
            raise RuntimeError(f"the generation did not finish: {states} {out.stderr[-2000:]}")
    report("UI: longest event-loop stall while generating", results["generate"][0],
           "longest stall, idle window", results["idle"][0],
           note=f"p99 {results['generate'][1] * 1000:.1f} ms over {results['generate'][2]} ticks; "
                "2 jobs of procedural.pattern 2048x2048; goal < 50 ms")


def main(*, with_stalls: bool = True) -> None:
    """Start-up figures, then (``with_stalls``) the event-loop stalls while generating."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "GENLOOM_HOME": home, "QT_QPA_PLATFORM": "offscreen"}
        # Both sides run from bytecode, as an installed app does (pip compiles at install):
        # with PYTHONDONTWRITEBYTECODE set (as on the shared build machine) every start
        # would compile Genloom's modules again, a cost no user pays and the bare window
        # never has. The warm-up run writes the bytecode into the temporary folder.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(home, "pycache"))
        Path(home, "config").mkdir()
        startup(env)
        if with_stalls:
            stalls(env)


if __name__ == "__main__":
    main()
