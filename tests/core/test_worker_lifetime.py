"""The worker never outlives its engine: a closed command pipe ends it and its children,
even while a generator ignores the cancel (the watchdog used where no parent-death
signal exists)."""

from __future__ import annotations

import signal
import time

from genloom.core.jobs.supervisor import WorkerProcess
from genloom.core.jobs.worker import ORPHAN_GRACE_S


def test_a_worker_whose_command_pipe_closes_ends_itself(fixture_plugins, tmp_path):
    worker = WorkerProcess({"plugins": fixture_plugins.config.to_dict(), "max_loaded": 1,
                            "memory_budget_mb": 0})
    worker.start()
    try:
        worker.send({"op": "run", "job": {
            "job_id": 1, "generator_id": "gltest_basic.misbehave", "params": {"how": "hang"}, "seed": 1,
            "inputs": {}, "model": None, "device": "cpu", "output_dir": str(tmp_path / "job")}})
        message, _ = worker.events.get(timeout=60)
        while message.get("ev") != "progress":
            message, _ = worker.events.get(timeout=60)
        assert worker.process is not None and worker.process.stdin is not None
        started = time.monotonic()
        worker.process.stdin.close()  # what the engine's death does to the pipe
        code = worker.process.wait(timeout=ORPHAN_GRACE_S + 20)
        assert code == -signal.SIGKILL  # the hung generator ignored the cancel
        assert time.monotonic() - started >= ORPHAN_GRACE_S - 0.5
    finally:
        worker.kill()
        worker.shutdown(timeout=1)
