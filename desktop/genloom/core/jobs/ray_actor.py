"""What runs inside a Ray actor: Genloom's worker, kept alive with its loaded models.

The actor holds a :class:`~genloom.core.jobs.worker.Worker` (the same code that runs in
the local worker process: generator cache, memory budget, consent from the node's own
model library) and talks plain data with the head: a job request in (parameters, seeds,
the model reference, input files as bytes), progress events and output files as bytes
out. Nothing of the project crosses: no database, no paths of the head's disk.

Imported only on a Ray node (by :mod:`genloom.core.jobs.ray_executor`), never at import
of the engine.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from genloom.core.jobs.worker import Worker
from genloom.sdk.models import ModelRef
from genloom.sdk.runtime import apply_thread_pool_defaults

#: Most progress events kept for the head between two polls (the oldest previews go first).
MAX_PENDING = 512


class _Collector:
    """Stands in for the worker's frame writer: keeps events for the head to poll."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.pending: list[tuple[dict[str, Any], bytes | None]] = []
        self.final: dict[int, dict[str, Any]] = {}

    def send(self, message: dict[str, Any], payload: bytes | None = None) -> None:
        with self._lock:
            if message.get("ev") in ("done", "failed", "cancelled"):
                self.final[int(message["job_id"])] = message
                return
            self.pending.append((message, payload))
            if len(self.pending) > MAX_PENDING:
                # Keep every streamed text; drop the oldest previews first.
                for index, (_message, old_payload) in enumerate(self.pending):
                    if old_payload is not None:
                        self.pending[index] = (_message, None)
                        break
                else:
                    del self.pending[0]

    def take(self) -> list[tuple[dict[str, Any], bytes | None]]:
        with self._lock:
            taken, self.pending = self.pending, []
        return taken


class RemoteWorker:
    """The actor's class (wrapped by ``ray.remote`` on the head)."""

    def __init__(self, init: dict[str, Any]) -> None:
        apply_thread_pool_defaults()  # as the local worker's environment has them
        self.collector = _Collector()
        self.worker = Worker(self.collector)  # type: ignore[arg-type]  # duck-typed writer
        self.worker.configure(init)  # as the local worker process's init command

    def pid(self) -> int:
        return os.getpid()

    def poll(self) -> list[tuple[dict[str, Any], bytes | None]]:
        """Progress since the last poll."""
        return self.collector.take()

    def cancel(self, job_id: int) -> None:
        with self.worker.lock:
            if self.worker.current is not None and self.worker.current[0] == job_id:
                self.worker.current[1].cancel()
            else:
                self.worker.early_cancels.add(job_id)

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run one job; returns its final event with the output files' bytes."""
        folder = Path(tempfile.mkdtemp(prefix=f"genloom-ray-{int(job['job_id'])}-"))
        try:
            inputs = {}
            for index, (role, item) in enumerate((job.get("inputs") or {}).items()):
                path = folder / f"input-{index}{_suffix(item.get('suffix', ''))}"
                path.write_bytes(item["data"])
                inputs[role] = {"asset_id": item.get("asset_id"), "kind": item["kind"], "path": str(path),
                                "metadata": item.get("metadata") or {}}
            local = dict(job, inputs=inputs, output_dir=str(folder / "out"),
                         model=self._local_model(job.get("model")))
            self.worker.run_job(local)
            final = dict(self.collector.final.pop(int(job["job_id"]), {}) or {
                "ev": "failed", "job_id": job["job_id"], "error": "the worker ended the job without a result"})
            outputs = []
            for item in final.get("outputs") or []:
                path = Path(item["path"])
                outputs.append(dict(item, path="", data=path.read_bytes()))
            final["outputs"] = outputs
            return final
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _local_model(self, model: dict[str, Any] | None) -> dict[str, Any] | None:
        """A bundled model's files where this node's plugin keeps them (the head's path may
        not exist here); other models are used at the path the job names (a shared disk)."""
        if not model:
            return model
        ref = ModelRef.from_dict(model)
        plugins = self.worker.plugins
        if ref.source == "bundled" and plugins is not None and ref.id in plugins.models \
                and not Path(ref.path).exists():
            ref = replace(ref, path=str(plugins.models[ref.id].path))
        return ref.to_dict()


def _suffix(text: str) -> str:
    """A file suffix from the head, reduced to something safe to put in a file name."""
    return text if text.startswith(".") and text[1:].isalnum() and len(text) <= 12 else ""
