"""The API's rules in core, without a server: OpenAI-style requests as jobs, the settings."""

from __future__ import annotations

import json

import pytest

from genloom.core.serving import openai_compat
from genloom.core.settings import Settings, SettingsError
from genloom.sdk.errors import ParameterError


@pytest.fixture
def plugins(genloom_plugins):
    return genloom_plugins(modules=["genloom_text.plugin", "genloom_code.plugin", "genloom_image.plugin",
                                    "genloom_procedural.plugin"])


def test_a_chat_becomes_the_chat_generators_thread(plugins):
    job = openai_compat.chat_request(plugins, {
        "model": "text.chat@text.fortune-llama", "max_tokens": 12, "temperature": 0.5, "seed": 4,
        "stop": ["END", "a\nb"], "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": [{"type": "text", "text": "Hello!"}]},
            {"role": "user", "content": "Tell me more"}]})
    assert job.spec.id == "text.chat" and job.model == "text.fortune-llama" and job.seed == 4
    assert job.params["prompt"] == "Tell me more"
    assert job.params["system_prompt"] == "Be brief."
    assert json.loads(job.params["conversation"]) == [{"role": "user", "content": "Hi"},
                                                     {"role": "assistant", "content": "Hello!"}]
    assert job.params["max_new_tokens"] == 12 and job.params["temperature"] == 0.5
    assert job.params["stop"] == "END\na\\nb"  # one per line, a newline inside one escaped
    assert job.spec.validate_params(job.params)["stop"] == "END\na\\nb"


@pytest.mark.parametrize(("body", "message"), [
    ({"model": "text.complete", "messages": [{"role": "user", "content": "x"}]}, "is not a chat generator"),
    ({"model": "text.chat", "messages": []}, "messages: [] is not a list of messages"),
    ({"model": "text.chat", "messages": [{"role": "assistant", "content": "x"}]}, "do not end with a user message"),
    ({"model": "text.chat", "messages": [{"role": "tool", "content": "x"}]}, "messages[0].role: 'tool' is not a role"),
    ({"model": "text.chat", "tools": [{"type": "function"}], "messages": [{"role": "user", "content": "x"}]},
     "tools: [{'type': 'function'}] is not supported by Genloom"),
    ({"model": "text.chat", "frobnicate": 1, "messages": [{"role": "user", "content": "x"}]},
     "frobnicate: 1 is not a field Genloom knows"),
    ({"model": "text.chat", "n": 9, "messages": [{"role": "user", "content": "x"}]}, "n: 9 is not a number"),
    ({"model": "text.chat", "n": 2, "stream": True, "messages": [{"role": "user", "content": "x"}]},
     "which a stream cannot carry"),
    ({"model": "image.text_to_image", "messages": [{"role": "user", "content": "x"}]},
     "is not a chat generator with a prompt"),
    ({"model": "", "messages": []}, "names no generator"),
])
def test_a_chat_request_genloom_cannot_honour_is_refused_by_name(plugins, body, message):
    with pytest.raises(ParameterError, match=message.replace("[", r"\[").replace("(", r"\(")):
        openai_compat.chat_request(plugins, body)


def test_a_harmless_default_is_accepted(plugins):
    job = openai_compat.chat_request(plugins, {"model": "text.chat", "frequency_penalty": 0, "logprobs": False,
                                               "user": "me", "messages": [{"role": "user", "content": "x"}]})
    assert job.params["prompt"] == "x"


def test_a_completion_and_an_image_request_as_jobs(plugins):
    job = openai_compat.completion_request(plugins, {"model": "code.complete", "prompt": ["def f():"],
                                                     "max_tokens": 5, "echo": True})
    assert job.spec.id == "code.complete" and job.params["prompt"] == "def f():"
    assert job.extras == {"prompt": "def f():", "echo": True}
    image = openai_compat.image_request(plugins, {"prompt": "red heart", "size": "64x32", "n": 2,
                                                  "response_format": "b64_json",
                                                  "genloom": {"params": {"steps": 3}}})
    assert image.spec.id == "image.text_to_image" and image.count == 2
    assert image.params == {"prompt": "red heart", "width": 64, "height": 32, "steps": 3}
    with pytest.raises(ParameterError, match="size: 'big' is not WIDTHxHEIGHT"):
        openai_compat.image_request(plugins, {"prompt": "x", "size": "big"})
    with pytest.raises(ParameterError, match="is not an image generator"):
        openai_compat.image_request(plugins, {"prompt": "x", "model": "text.chat"})
    with pytest.raises(ParameterError, match="response_format: 'svg'"):
        openai_compat.image_request(plugins, {"prompt": "x", "response_format": "svg"})


def test_the_served_generators_are_those_with_a_prompt(plugins):
    served = [s.id for s in openai_compat.served_generators(plugins, ("text", "code", "image"))]
    assert "text.chat" in served and "image.text_to_image" in served
    assert "procedural.pattern" not in served


def test_api_and_executor_settings_are_checked(genloom_home):
    settings = Settings()
    assert settings.api_enabled is False and settings.executor == "local"
    for name, value, message in (("api_port", 70000, "api_port: 70000 is not a TCP port"),
                                 ("api_enabled", "yes", "api_enabled: 'yes' is not true or false"),
                                 ("executor", "slurm", "executor: 'slurm' is not an executor")):
        bad = Settings(**{name: value})
        with pytest.raises(SettingsError, match=message):
            bad.save()
    Settings(api_enabled=True, api_port=9000, executor="ray", ray_address="10.0.0.5:6379").save()
    loaded = Settings.load()
    assert (loaded.api_enabled, loaded.api_port, loaded.executor, loaded.ray_address) == (
        True, 9000, "ray", "10.0.0.5:6379")
