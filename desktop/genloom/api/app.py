"""The ASGI application: Genloom's own endpoints, the OpenAI-compatible ones, the token.

Every route needs ``Authorization: Bearer TOKEN`` (401 without it or with a wrong one),
reads at most :attr:`ApiLimits.max_request_bytes` of body (413 beyond) and answers
errors as JSON with the message the command line prints (:func:`error_response`).
Database and file work runs in a thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import base64
from typing import TYPE_CHECKING, Any

from genloom import __version__
from genloom.api.service import ApiService, error_response, sse, unauthorized
from genloom.core.serving.token import bearer_token, token_matches
from genloom.sdk.errors import ParameterError

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Receive, Scope, Send


class TokenGate:
    """ASGI middleware: nothing passes without the bearer token (compared in constant time)."""

    def __init__(self, app: ASGIApp, service: ApiService) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            given = bearer_token(headers.get(b"authorization", b"").decode("latin-1"))
            if not token_matches(given, self.service.token):
                await unauthorized()(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(service: ApiService) -> Starlette:
    """The application serving ``service``'s engine and project."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Route

    from genloom.api import openai_routes

    def route(path: str, handler: Any, methods: list[str]) -> Route:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(service, request)
            except Exception as exc:  # noqa: BLE001 - every error is answered as JSON
                return error_response(exc)
        return Route(path, endpoint, methods=methods)

    routes = [
        route("/api/health", health, ["GET"]),
        route("/api/plugins", plugins, ["GET"]),
        route("/api/generators", generators, ["GET"]),
        route("/api/generators/{generator_id}", generator, ["GET"]),
        route("/api/jobs", list_jobs, ["GET"]),
        route("/api/jobs", submit_jobs, ["POST"]),
        route("/api/jobs/{job_id:int}", get_job, ["GET"]),
        route("/api/jobs/{job_id:int}/cancel", cancel_job, ["POST"]),
        route("/api/jobs/{job_id:int}/events", job_events, ["GET"]),
        route("/api/assets", list_assets, ["GET"]),
        route("/api/assets/{asset_id:int}", get_asset, ["GET"]),
        route("/api/assets/{asset_id:int}/file", asset_file, ["GET"]),
        route("/api/assets/{asset_id:int}/recipe", asset_recipe, ["GET"]),
        route("/v1/models", openai_routes.models, ["GET"]),
        route("/v1/chat/completions", openai_routes.chat_completions, ["POST"]),
        route("/v1/completions", openai_routes.completions, ["POST"]),
        route("/v1/images/generations", openai_routes.image_generations, ["POST"]),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(TokenGate, service=service)])
    app.state.service = service
    return app


def _json(data: Any, status: int = 200) -> Response:
    from starlette.responses import JSONResponse

    return JSONResponse(data, status_code=status)


async def health(service: ApiService, request: Request) -> Response:
    return _json({"ok": True, "genloom": __version__, "project": service.project.name})


async def plugins(service: ApiService, request: Request) -> Response:
    return _json([r.to_dict() for r in service.engine.plugins.plugins.values()])


async def generators(service: ApiService, request: Request) -> Response:
    modality = request.query_params.get("modality")
    specs = sorted(service.engine.plugins.generators.values(), key=lambda s: s.id)
    return _json([s.to_dict() for s in specs if modality in (None, s.modality)])


async def generator(service: ApiService, request: Request) -> Response:
    return _json(service.engine.plugins.generator(request.path_params["generator_id"]).to_dict())


async def list_jobs(service: ApiService, request: Request) -> Response:
    states = [s for s in request.query_params.get("state", "").split(",") if s] or None
    limit = _amount(request.query_params.get("limit", "100"), "limit")
    jobs = await asyncio.to_thread(service.project.jobs.list, states, limit)
    return _json([service.job_data(j) for j in jobs])


async def submit_jobs(service: ApiService, request: Request) -> Response:
    """Queue a job: ``{"generator": ID, "params": {...}, "seed", "count", "inputs", "model", "device"}``."""
    body = await service.read_json(request)
    unknown = set(body) - {"generator", "params", "seed", "count", "inputs", "model", "device"}
    if unknown:
        name = sorted(unknown)[0]
        raise ParameterError(name, body[name], "is not a field of a job",
                             "use generator, params, seed, count, inputs, model and device")
    generator_id = body.get("generator")
    if not isinstance(generator_id, str):
        raise ParameterError("generator", generator_id, "is not a generator id",
                             "GET /api/generators lists them")
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise ParameterError("params", params, "is not an object of parameter values", 'send {"steps": 4}')
    count = body.get("count", 1)
    client = service.client_of(request)
    jobs = await asyncio.to_thread(
        service.submit, client, generator_id, params, seed=body.get("seed"), count=count,
        inputs=body.get("inputs"), model=body.get("model"), device=body.get("device"))
    return _json({"jobs": [service.job_data(j) for j in jobs]}, status=202)


async def get_job(service: ApiService, request: Request) -> Response:
    job = await asyncio.to_thread(service.project.jobs.get, request.path_params["job_id"])
    return _json(service.job_data(job))


async def cancel_job(service: ApiService, request: Request) -> Response:
    job = await asyncio.to_thread(service.engine.cancel, request.path_params["job_id"])
    return _json(service.job_data(job))


async def job_events(service: ApiService, request: Request) -> Response:
    """The job's progress, previews (base64 JPEG) and end, as server-sent events."""
    from starlette.responses import StreamingResponse

    job_id = request.path_params["job_id"]
    await asyncio.to_thread(service.project.jobs.get, job_id)  # 404 for a job that is not there

    async def stream() -> Any:
        async for event in service.follow(job_id):
            data = dict(event.data, job=event.job_id)
            if event.preview is not None:
                data["preview"] = base64.b64encode(event.preview).decode("ascii")
            yield sse(data, event=event.kind)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def list_assets(service: ApiService, request: Request) -> Response:
    kind = request.query_params.get("kind") or None
    limit = _amount(request.query_params.get("limit", "100"), "limit")
    query = request.query_params.get("q")

    def find() -> list[Any]:
        if query:
            return service.project.search(query, limit=limit)
        return service.project.list_assets(kind=kind, limit=limit)

    assets = await asyncio.to_thread(find)
    return _json([service.asset_data(a) for a in assets])


async def get_asset(service: ApiService, request: Request) -> Response:
    asset = await asyncio.to_thread(service.project.get_asset, request.path_params["asset_id"])
    return _json(service.asset_data(asset, full=True))


async def asset_recipe(service: ApiService, request: Request) -> Response:
    asset = await asyncio.to_thread(service.project.get_asset, request.path_params["asset_id"])
    return _json(asset.recipe or {})


async def asset_file(service: ApiService, request: Request) -> Response:
    """The asset's file, as the project holds it (its hash checked first)."""
    import mimetypes

    from starlette.responses import FileResponse

    def locate() -> Any:
        return service.project.verified_path(service.project.get_asset(request.path_params["asset_id"]))

    path = await asyncio.to_thread(locate)
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=kind)


def _amount(text: str, name: str) -> int:
    if not text.isdigit() or not 0 < int(text) <= 10_000:
        raise ParameterError(name, text, "is not a count", "use 1 to 10000")
    return int(text)
