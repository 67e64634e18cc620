"""How OpenAI-style requests become Genloom jobs (the rules; the HTTP layer only parses).

A request's ``model`` names a generator (``text.chat``), optionally with the model it
runs (``text.chat@text.fortune-llama``): the generator decides what the request means,
and the job it becomes is an ordinary job, recorded with its recipe like any other.

- chat completions go to a chat generator (one with the thread parameters, see
  :func:`genloom.core.conversations.turns.is_chat_generator`): the system messages
  become ``system_prompt``, the last user message ``prompt``, the turns before it
  ``conversation``;
- completions go to a text or code generator with a prompt;
- image generations go to an image generator with a prompt; ``size`` is ``WxH``.

The sampling fields map to the generator's own parameters (``max_tokens`` to
``max_new_tokens``, ``stop`` to ``stop``...), checked by the generator like any other
value; a field Genloom cannot honour is refused by name rather than ignored. Any other
parameter of the generator goes in ``genloom.params`` (``extra_body`` in the OpenAI
client).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from genloom.core.conversations.turns import is_chat_generator
from genloom.sdk.errors import ParameterError

if TYPE_CHECKING:
    from genloom.core.plugins import PluginManager
    from genloom.sdk.spec import GeneratorSpec

#: The modalities each kind of request serves.
TEXT_MODALITIES = ("text", "code")
IMAGE_MODALITIES = ("image",)
#: Most outputs one request may ask for (``n``).
MAX_CHOICES = 8

#: OpenAI sampling fields and the generator parameters they set.
SAMPLING_FIELDS = {"max_tokens": "max_new_tokens", "max_completion_tokens": "max_new_tokens",
                   "temperature": "temperature", "top_p": "top_p", "stop": "stop"}
#: Fields that change nothing here (bookkeeping of OpenAI's service) and are accepted.
HARMLESS_FIELDS = ("model", "messages", "prompt", "stream", "n", "seed", "user", "stream_options",
                   "genloom", "size", "response_format", "store", "metadata", "echo", "quality", "style")
#: Fields whose default value means "off"; any other value is refused.
OFF_BY_DEFAULT: dict[str, tuple[Any, ...]] = {"logprobs": (None, False), "top_logprobs": (None, 0), "frequency_penalty": (None, 0, 0.0),
                  "presence_penalty": (None, 0, 0.0), "logit_bias": (None, {}), "tools": (None, []),
                  "tool_choice": (None, "none", "auto"), "functions": (None, []), "best_of": (None, 1),
                  "suffix": (None, ""), "parallel_tool_calls": (None, True, False)}


@dataclass(frozen=True)
class JobRequest:
    """What to submit to the engine for an API request."""

    spec: GeneratorSpec
    params: dict[str, Any]
    model: str | None = None
    seed: int | None = None
    count: int = 1
    stream: bool = False
    #: Extras the answer needs: the prompt (completions without echo leave it out).
    extras: dict[str, Any] = field(default_factory=dict)


def split_model(name: Any) -> tuple[str, str | None]:
    """``generator[@model]`` into the generator id and the model (None: its default)."""
    if not isinstance(name, str) or not name.strip():
        raise ParameterError("model", name, "names no generator",
                             "give a generator id such as text.chat (GET /v1/models lists them)")
    generator, _, model = name.strip().partition("@")
    return generator, (model or None)


def served_generators(plugins: PluginManager, modalities: Sequence[str]) -> list[GeneratorSpec]:
    """The generators the OpenAI endpoints offer for ``modalities``, by id."""
    return sorted((s for s in plugins.generators.values()
                   if s.modality in modalities and _prompt_param(s) is not None), key=lambda s: s.id)


def chat_request(plugins: PluginManager, body: Mapping[str, Any]) -> JobRequest:
    """A ``/v1/chat/completions`` body as a job of a chat generator."""
    spec, model = _generator(plugins, body, TEXT_MODALITIES, "a chat")
    if not is_chat_generator(spec):
        chat = [s.id for s in served_generators(plugins, TEXT_MODALITIES) if is_chat_generator(s)]
        raise ParameterError("model", body.get("model"), "is not a chat generator",
                             f"use {', '.join(chat) or 'a chat generator'}, or /v1/completions for it")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ParameterError("messages", messages, "is not a list of messages",
                             'send [{"role": "user", "content": "..."}]')
    system: list[str] = []
    turns: list[dict[str, str]] = []
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise ParameterError(f"messages[{index}]", message, "is not a message",
                                 'send {"role": "user", "content": "..."}')
        role = message.get("role")
        content = _content(message.get("content"), f"messages[{index}].content")
        if role in ("system", "developer"):
            system.append(content)
        elif role in ("user", "assistant"):
            turns.append({"role": role, "content": content})
        else:
            raise ParameterError(f"messages[{index}].role", role, "is not a role here",
                                 "use system, developer, user or assistant")
    if not turns or turns[-1]["role"] != "user":
        raise ParameterError("messages", f"{len(messages)} messages", "do not end with a user message",
                             "end with the message to answer, role user")
    params = _sampling(spec, body)
    params.update(prompt=turns[-1]["content"], system_prompt="\n\n".join(system),
                  conversation=json.dumps(turns[:-1], ensure_ascii=False) if turns[:-1] else "")
    return _job(spec, model, params, body)


def completion_request(plugins: PluginManager, body: Mapping[str, Any]) -> JobRequest:
    """A ``/v1/completions`` body as a job of a text or code generator."""
    spec, model = _generator(plugins, body, TEXT_MODALITIES, "a text or code")
    prompt = body.get("prompt", "")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise ParameterError("prompt", prompt, "is not one text", "send a string (one prompt per request)")
    prompt_param = _prompt_param(spec)
    assert prompt_param is not None  # served_generators only offers generators with one
    params = _sampling(spec, body)
    params[prompt_param] = prompt
    job = _job(spec, model, params, body)
    job.extras.update(prompt=prompt, echo=bool(body.get("echo")))
    return job


def image_request(plugins: PluginManager, body: Mapping[str, Any]) -> JobRequest:
    """A ``/v1/images/generations`` body as a job of an image generator."""
    body = dict(body)
    if not body.get("model"):
        found = served_generators(plugins, IMAGE_MODALITIES)
        preferred = [s for s in found if s.id == "image.text_to_image"] or found
        if not preferred:
            raise ParameterError("model", None, "was not given and no image generator is installed",
                                 "enable the image plugin")
        body["model"] = preferred[0].id
    spec, model = _generator(plugins, body, IMAGE_MODALITIES, "an image")
    prompt_param = _prompt_param(spec)
    assert prompt_param is not None
    prompt = body.get("prompt")
    if not isinstance(prompt, str):
        raise ParameterError("prompt", prompt, "is not a text", "describe the image in words")
    params: dict[str, Any] = {prompt_param: prompt}
    size = body.get("size")
    if size not in (None, "", "auto"):
        width, height = _size(size)
        params.update(width=width, height=height)
    fmt = body.get("response_format") or "url"
    if fmt not in ("url", "b64_json"):
        raise ParameterError("response_format", fmt, "is not a response format", "use url or b64_json")
    _refuse_unknown(body)
    params.update(_genloom_params(body))
    job = _job(spec, model, params, body, stream_allowed=False)
    job.extras["response_format"] = fmt
    return job


def _generator(plugins: PluginManager, body: Mapping[str, Any], modalities: Sequence[str],
               what: str) -> tuple[GeneratorSpec, str | None]:
    generator_id, model = split_model(body.get("model"))
    spec = plugins.generator(generator_id)
    if spec.modality not in modalities or _prompt_param(spec) is None:
        offered = ", ".join(s.id for s in served_generators(plugins, modalities)) or "(none installed)"
        raise ParameterError("model", body.get("model"), f"is not {what} generator with a prompt",
                             f"use one of {offered}")
    return spec, model


def _prompt_param(spec: GeneratorSpec) -> str | None:
    for param in spec.params:
        if getattr(param, "role", "") == "prompt" or param.name == "prompt":
            return param.name
    return None


def _content(value: Any, where: str) -> str:
    """A message's content: a string, or a list of text parts (other parts are refused)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = []
        for part in value:
            if not isinstance(part, Mapping) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise ParameterError(where, part, "is not a text part",
                                     'send text parts only: {"type": "text", "text": "..."}')
            texts.append(part["text"])
        return "".join(texts)
    raise ParameterError(where, value, "is not text", "send a string")


def _sampling(spec: GeneratorSpec, body: Mapping[str, Any]) -> dict[str, Any]:
    """The OpenAI sampling fields, as the generator's parameters."""
    _refuse_unknown(body)
    names = {p.name for p in spec.params}
    params: dict[str, Any] = {}
    for field_name, param in SAMPLING_FIELDS.items():
        value = body.get(field_name)
        if value is None:
            continue
        if param not in names:
            raise ParameterError(field_name, value, f"is not something {spec.id} takes",
                                 "leave it out")
        if field_name == "stop":
            value = _stops(value)
        params[param] = value
    params.update(_genloom_params(body))
    return params


def _stops(value: Any) -> str:
    """OpenAI's ``stop`` (a string or up to 4) as the generator's: one per line, ``\\n`` escaped."""
    stops = [value] if isinstance(value, str) else value
    if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops) or len(stops) > 4:
        raise ParameterError("stop", value, "is not up to 4 stop strings", 'send a string or a list like ["\\n\\n"]')
    return "\n".join(s.replace("\\", "\\\\").replace("\n", "\\n") for s in stops if s)


def _genloom_params(body: Mapping[str, Any]) -> dict[str, Any]:
    extra = body.get("genloom") or {}
    if not isinstance(extra, Mapping):
        raise ParameterError("genloom", extra, "is not an object", 'send {"params": {"steps": 4}}')
    params = extra.get("params") or {}
    if not isinstance(params, Mapping):
        raise ParameterError("genloom.params", params, "is not an object of parameter values",
                             'send {"steps": 4}')
    return dict(params)


def _refuse_unknown(body: Mapping[str, Any]) -> None:
    for name, value in body.items():
        if name in HARMLESS_FIELDS or name in SAMPLING_FIELDS:
            continue
        if name in OFF_BY_DEFAULT:
            if value not in OFF_BY_DEFAULT[name]:
                raise ParameterError(name, value, "is not supported by Genloom", "leave it out")
            continue
        raise ParameterError(name, value, "is not a field Genloom knows", "leave it out")


def _size(size: Any) -> tuple[int, int]:
    if isinstance(size, str):
        width, sep, height = size.lower().partition("x")
        if sep and width.isdigit() and height.isdigit():
            return int(width), int(height)
    raise ParameterError("size", size, "is not WIDTHxHEIGHT", "write it like 512x512")


def _job(spec: GeneratorSpec, model: str | None, params: dict[str, Any], body: Mapping[str, Any],
         stream_allowed: bool = True) -> JobRequest:
    n = body.get("n")
    count = 1 if n is None else n
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_CHOICES:
        raise ParameterError("n", n, "is not a number of choices", f"use 1 to {MAX_CHOICES}")
    stream = bool(body.get("stream"))
    if stream and not stream_allowed:
        raise ParameterError("stream", True, "is not supported here", "leave it out")
    if stream and count > 1:
        raise ParameterError("n", count, "is more than one, which a stream cannot carry",
                             "ask for n=1 when streaming")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ParameterError("seed", seed, "is not a whole number", "use 0 or more, or leave it out")
    return JobRequest(spec=spec, params=params, model=model, seed=seed, count=count, stream=stream)
