"""What every route needs: the engine and its project, the token, the limits, the job
event hub, and the wording of errors as JSON."""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from genloom.api.phrases import API_PHRASES
from genloom.core.serving.hub import JobEvent, JobEventHub
from genloom.core.serving.limits import ApiLimits, ClientQuota, RequestTooLarge, TooManyJobs
from genloom.sdk.errors import GenloomError, ParameterError, explain

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    from genloom.core.jobs.engine import Engine
    from genloom.core.project import Asset, Job, Project


class ApiService:
    """The state the routes share; one per server."""

    def __init__(self, engine: Engine, token: str, limits: ApiLimits | None = None) -> None:
        self.engine = engine
        self.token = token
        self.limits = limits or ApiLimits()
        self.hub = JobEventHub(engine)
        self.quota = ClientQuota(self.limits.max_queued_per_client,
                                 lambda ids: self.project.jobs.unfinished_ids(ids))

    @property
    def project(self) -> Project:
        return self.engine.project

    def close(self) -> None:
        self.hub.close()

    # -- requests ------------------------------------------------------------------

    async def read_json(self, request: Request) -> dict[str, Any]:
        """The request's JSON object, read up to the size limit (RequestTooLarge beyond)."""
        limit = self.limits.max_request_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise RequestTooLarge(limit)
        chunks = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise RequestTooLarge(limit)
            chunks.append(chunk)
        body = b"".join(chunks)
        try:
            data = json.loads(body or b"{}")
        except ValueError as exc:
            raise ParameterError("body", body[:40].decode("utf-8", "replace"), f"is not JSON ({exc})",
                                 "send a JSON object") from None
        if not isinstance(data, dict):
            raise ParameterError("body", data, "is not a JSON object", "send a JSON object")
        return data

    @staticmethod
    def client_of(request: Request) -> str:
        """Who the per-client limits count: the peer's address."""
        return request.client.host if request.client else "?"

    def submit(self, client: str, generator_id: str, params: dict[str, Any], **options: Any) -> list[Job]:
        """Queue jobs for ``client`` within its limit (TooManyJobs beyond it)."""
        count = options.get("count", 1)
        jobs: list[Job] = []

        def submit() -> list[int]:
            jobs.extend(self.engine.submit(generator_id, params, **options))
            return [job.id for job in jobs]

        # Counted as the jobs ``count`` asks for (a batching generator may make fewer jobs).
        self.quota.admit(client, count if isinstance(count, int) and count > 0 else 1, submit)
        return jobs

    # -- job events ----------------------------------------------------------------

    async def follow(self, job_id: int) -> AsyncIterator[JobEvent]:
        """The job's events so far, then as they come, ending with its final one."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[JobEvent] = asyncio.Queue()

        def deliver(event: JobEvent) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, event)
            except RuntimeError:
                pass  # the server's loop has closed: nobody is listening any more

        past, unsubscribe = self.hub.subscribe(job_id, deliver)
        try:
            for event in past:
                yield event
                if event.final:
                    return
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=1.0)
                except asyncio.TimeoutError:
                    # Ended without this engine's word (another engine ran it, or the hub
                    # forgot it): the project is the source of truth.
                    job = await asyncio.to_thread(self.project.jobs.get, job_id)
                    if job.is_finished:
                        self.hub.record_final(job)
                    continue
                yield event
                if event.final:
                    return
        finally:
            unsubscribe()

    async def finished(self, job_ids: list[int]) -> list[Job]:
        """Wait until every job has ended; return them as the project has them."""
        for job_id in job_ids:
            async for _event in self.follow(job_id):
                pass
        return await asyncio.to_thread(lambda: [self.project.jobs.get(j) for j in job_ids])

    def cancel_unfinished(self, job_ids: list[int]) -> None:
        """Cancel the jobs that have not ended (a client went away mid-stream)."""
        for job_id in job_ids:
            try:
                if not self.project.jobs.get(job_id).is_finished:
                    self.engine.cancel(job_id)
            except (LookupError, GenloomError, sqlite3.Error):
                pass  # ended meanwhile

    # -- answers -------------------------------------------------------------------

    def job_data(self, job: Job) -> dict[str, Any]:
        return {"id": job.id, "state": job.state, "generator": job.generator_id, "params": job.params,
                "seed": job.seed, "seeds": list(job.seeds), "inputs": job.inputs, "model": job.model,
                "device": job.device, "batch": job.batch, "created": job.created, "started": job.started,
                "finished": job.finished, "error": job.error, "assets": list(job.asset_ids),
                "attempts": job.attempts, "position": job.position}

    def asset_data(self, asset: Asset, full: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": asset.id, "kind": asset.kind, "hash": asset.hash, "size": asset.size,
            "created": asset.created, "title": asset.title, "prompt": asset.prompt,
            "rating": asset.rating, "tags": list(asset.tags), "generator": asset.generator_id,
            "model": asset.model_id, "job": asset.job_id, "file": f"/api/assets/{asset.id}/file"}
        if full:
            data.update(recipe=asset.recipe, metadata=asset.metadata, notes=asset.notes)
        return data

    def asset_text(self, asset_id: int) -> tuple[str, dict[str, Any]]:
        """A text or code asset's text and metadata (read from its checked file)."""
        asset = self.project.get_asset(asset_id)
        path = self.project.verified_path(asset)
        return path.read_text(encoding="utf-8", errors="replace"), dict(asset.metadata or {})

    def asset_base64(self, asset_id: int) -> str:
        path = self.project.verified_path(self.project.get_asset(asset_id))
        return base64.b64encode(path.read_bytes()).decode("ascii")


def error_response(exc: BaseException) -> JSONResponse:
    """An error as JSON, OpenAI's shape, with the message the command line prints."""
    from starlette.responses import JSONResponse

    from genloom.core.models.library import ModelNotFoundError
    from genloom.core.plugins import UnknownGeneratorError
    from genloom.core.project import (
        AssetNotFoundError,
        JobNotFoundError,
        JobStateError,
        ProjectError,
    )

    status, kind = 400, "invalid_request_error"
    if isinstance(exc, RequestTooLarge):
        status = 413
    elif isinstance(exc, TooManyJobs):
        status, kind = 429, "rate_limit_error"
    elif isinstance(exc, (UnknownGeneratorError, AssetNotFoundError, JobNotFoundError, ModelNotFoundError)):
        status, kind = 404, "not_found_error"
    elif isinstance(exc, JobStateError):
        status, kind = 409, "conflict_error"
    elif isinstance(exc, ProjectError):
        status, kind = 500, "project_error"
    elif isinstance(exc, sqlite3.OperationalError):
        status, kind = 503, "busy_error"
    elif not isinstance(exc, (GenloomError, ValueError, LookupError)):
        status, kind = 500, "server_error"
    message = explain(exc, API_PHRASES)
    if status == 500 and kind == "server_error":
        message = f"internal error: {type(exc).__name__}: {exc}"
    body = {"error": {"message": message, "type": kind, "param": getattr(exc, "param", None),
                      "code": status}}
    return JSONResponse(body, status_code=status)


def unauthorized() -> JSONResponse:
    from starlette.responses import JSONResponse

    return JSONResponse({"error": {
        "message": "a valid API token is required: send the header 'Authorization: Bearer TOKEN' "
                   "with the token Genloom keeps in its config folder (api-token)",
        "type": "authentication_error", "param": None, "code": 401}},
        status_code=401, headers={"WWW-Authenticate": "Bearer"})


def sse(data: Any, event: str | None = None) -> bytes:
    """One server-sent event."""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"), default=str)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {text}\n\n".encode()
