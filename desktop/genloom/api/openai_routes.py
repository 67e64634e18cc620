"""OpenAI-compatible endpoints: ``/v1/models``, ``/v1/chat/completions``,
``/v1/completions`` (streamed and not) and ``/v1/images/generations``.

Core decides what a request means (:mod:`genloom.core.serving.openai_compat`); each
becomes ordinary jobs on the engine, so every answer is an asset in the project with
its recipe. The ids of the jobs and assets come back in ``genloom`` beside OpenAI's fields.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from genloom.api.service import ApiService, error_response, sse
from genloom.core.serving import openai_compat
from genloom.sdk.errors import GenloomError

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from genloom.core.project import Job

#: How a text generator's ``stop_reason`` reads as OpenAI's ``finish_reason``.
_LENGTH_REASONS = ("length", "max_new_tokens", "max_tokens", "limit")


class JobFailed(GenloomError):
    """A job of the request failed; its message is the job's error."""


async def models(service: ApiService, request: Request) -> Response:
    from starlette.responses import JSONResponse

    modalities = (*openai_compat.TEXT_MODALITIES, *openai_compat.IMAGE_MODALITIES)
    specs = openai_compat.served_generators(service.engine.plugins, modalities)
    data = [{"id": s.id, "object": "model", "created": 0, "owned_by": s.plugin or "genloom",
             "genloom": {"modality": s.modality, "title": s.title, "default_model": s.default_model}}
            for s in specs]
    return JSONResponse({"object": "list", "data": data})


async def chat_completions(service: ApiService, request: Request) -> Response:
    body = await service.read_json(request)
    job = openai_compat.chat_request(service.engine.plugins, body)
    return await _text_answer(service, request, job, chat=True)


async def completions(service: ApiService, request: Request) -> Response:
    body = await service.read_json(request)
    job = openai_compat.completion_request(service.engine.plugins, body)
    return await _text_answer(service, request, job, chat=False)


async def image_generations(service: ApiService, request: Request) -> Response:
    from starlette.responses import JSONResponse

    body = await service.read_json(request)
    job = openai_compat.image_request(service.engine.plugins, body)
    jobs = await _submit(service, request, job)
    done = await _finished_or_cancel(service, jobs)
    asset_ids = [a for j in done for a in j.asset_ids]
    data: list[dict[str, Any]] = []
    for asset_id in asset_ids:
        if job.extras["response_format"] == "b64_json":
            data.append({"b64_json": await asyncio.to_thread(service.asset_base64, asset_id)})
        else:
            data.append({"url": f"{str(request.base_url).rstrip('/')}/api/assets/{asset_id}/file"})
    return JSONResponse({"created": int(time.time()), "data": data,
                         "genloom": {"jobs": [j.id for j in done], "assets": asset_ids}})


async def _submit(service: ApiService, request: Request, job: openai_compat.JobRequest) -> list[Job]:
    client = service.client_of(request)
    return await asyncio.to_thread(service.submit, client, job.spec.id, job.params, seed=job.seed,
                                   count=job.count, model=job.model)


async def _finished_or_cancel(service: ApiService, jobs: list[Job]) -> list[Job]:
    """Wait for the jobs; a client that goes away cancels them; a failure is the answer."""
    ids = [j.id for j in jobs]
    try:
        done = await service.finished(ids)
    except asyncio.CancelledError:
        service.cancel_unfinished(ids)  # not awaited: this task is being cancelled
        raise
    for job in done:
        if job.state != "done":
            raise JobFailed(f"job {job.id} {job.state}: {job.error or 'no reason given'}")
    return done


def _finish_reason(metadata: dict[str, Any]) -> str:
    return "length" if str(metadata.get("stop_reason", "")) in _LENGTH_REASONS else "stop"


async def _text_answer(service: ApiService, request: Request, job: openai_compat.JobRequest,
                       chat: bool) -> Response:
    from starlette.responses import JSONResponse, StreamingResponse

    jobs = await _submit(service, request, job)
    created = int(time.time())
    answer_id = f"{'chatcmpl' if chat else 'cmpl'}-genloom-{jobs[0].id}"
    model = job.spec.id if job.model is None else f"{job.spec.id}@{job.model}"
    kind = "chat.completion" if chat else "text_completion"
    if job.stream:
        return StreamingResponse(_stream(service, jobs[0], answer_id, model, created, chat),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    done = await _finished_or_cancel(service, jobs)
    choices = []
    prompt_tokens = completion_tokens = 0
    for index, finished in enumerate(done):
        text, metadata = await asyncio.to_thread(service.asset_text, finished.asset_ids[0])
        if not chat and not job.extras.get("echo") and text.startswith(job.extras.get("prompt", "")):
            text = text[len(job.extras.get("prompt", "")):]
        prompt_tokens = int(metadata.get("prompt_tokens", 0) or 0)
        completion_tokens += int(metadata.get("generated_tokens", 0) or 0)
        reason = _finish_reason(metadata)
        if chat:
            choices.append({"index": index, "message": {"role": "assistant", "content": text},
                            "finish_reason": reason, "logprobs": None})
        else:
            choices.append({"index": index, "text": text, "finish_reason": reason, "logprobs": None})
    return JSONResponse({
        "id": answer_id, "object": kind, "created": created, "model": model, "choices": choices,
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
        "genloom": {"jobs": [j.id for j in done], "assets": [a for j in done for a in j.asset_ids]}})


async def _stream(service: ApiService, job: Job, answer_id: str, model: str, created: int,
                  chat: bool) -> Any:
    """The answer as OpenAI's chunks: each streamed piece of text as it is written."""
    kind = "chat.completion.chunk" if chat else "text_completion"

    def chunk(text: str | None, reason: str | None, first: bool = False) -> bytes:
        if chat:
            delta: dict[str, Any] = {"role": "assistant", "content": ""} if first else (
                {"content": text} if text is not None else {})
            choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": reason, "logprobs": None}
        else:
            choice = {"index": 0, "text": text or "", "finish_reason": reason, "logprobs": None}
        return sse({"id": answer_id, "object": kind, "created": created, "model": model,
                    "choices": [choice], "genloom": {"job": job.id}})

    finished = False
    try:
        if chat:
            yield chunk(None, None, first=True)
        async for event in service.follow(job.id):
            if event.kind == "progress" and event.data.get("text"):
                yield chunk(event.data["text"], None)
            elif event.final:
                finished = True
                if event.kind != "done":
                    failure = JobFailed(f"job {job.id} {event.kind}: "
                                        f"{event.data.get('error') or 'no reason given'}")
                    yield sse(_error_body(failure))
                    return
                assets = event.data.get("assets") or []
                metadata: dict[str, Any] = {}
                if assets:
                    _text, metadata = await asyncio.to_thread(service.asset_text, assets[0])
                yield chunk(None, _finish_reason(metadata))
        yield sse("[DONE]")
    finally:
        if not finished:  # the client went away: stop making what nobody reads
            service.cancel_unfinished([job.id])  # not awaited: this task may be cancelled


def _error_body(exc: BaseException) -> dict[str, Any]:
    import json

    return json.loads(bytes(error_response(exc).body))
