"""The official openai client against ``genloom serve``'s OpenAI-compatible endpoints, with
the bundled text and image models; every answer is an asset in the project with its recipe."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

# Short answers: the bundled model on two shared CPU cores.
SHORT = {"max_tokens": 8, "temperature": 0.0}


def test_models_lists_the_text_code_and_image_generators(openai_client):
    ids = {m.id for m in openai_client.models.list()}
    assert {"text.chat", "text.complete", "code.complete", "image.text_to_image"} <= ids
    assert "procedural.pattern" not in ids  # it takes no prompt


def test_chat_completion_answers_and_lands_in_the_project_with_its_recipe(openai_client, genloom_project):
    answer = openai_client.chat.completions.create(
        model="text.chat", seed=11, messages=[
            {"role": "system", "content": "You tell fortunes."},
            {"role": "user", "content": "What will today bring?"}], **SHORT)
    text = answer.choices[0].message.content
    assert answer.object == "chat.completion" and answer.choices[0].message.role == "assistant"
    assert text.strip()
    assert answer.choices[0].finish_reason in ("stop", "length")
    assert answer.usage.completion_tokens > 0
    (asset_id,) = answer.model_extra["genloom"]["assets"]
    asset = genloom_project.get_asset(asset_id)
    assert genloom_project.asset_path(asset).read_text() == text
    assert asset.recipe["generator"]["id"] == "text.chat"
    assert asset.recipe["seed"] == 11
    assert asset.recipe["params"]["system_prompt"] == "You tell fortunes."
    assert asset.recipe["params"]["prompt"] == "What will today bring?"
    assert asset.recipe["params"]["max_new_tokens"] == 8


def test_streamed_chat_gives_the_same_text_as_the_stored_answer(openai_client, genloom_project):
    stream = openai_client.chat.completions.create(
        model="text.chat", seed=5, stream=True,
        messages=[{"role": "user", "content": "Tell me a fortune."}], **SHORT)
    chunks = list(stream)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")
    assert sum(1 for c in chunks if c.choices[0].delta.content) >= 2  # it came in pieces
    job_id = chunks[0].model_extra["genloom"]["job"]
    job = genloom_project.jobs.get(job_id)
    assert job.state == "done"
    stored = genloom_project.asset_path(genloom_project.get_asset(job.asset_ids[0])).read_text()
    assert streamed == stored


def test_completion_streamed_and_not_continue_the_prompt_alike(openai_client):
    prompt = "You will"
    whole = openai_client.completions.create(model="text.complete", prompt=prompt, seed=3, **SHORT)
    assert whole.object == "text_completion"
    text = whole.choices[0].text
    assert text and not text.startswith(prompt)
    streamed = "".join(c.choices[0].text for c in openai_client.completions.create(
        model="text.complete", prompt=prompt, seed=3, stream=True, **SHORT))
    assert streamed == text  # same seed, same recipe: the same words


def test_image_generation_as_base64_and_as_a_url_to_the_asset_file(openai_client, genloom_project):
    import httpx

    extra = {"genloom": {"params": {"steps": 2}}}
    result = openai_client.images.generate(model="image.text_to_image", prompt="red heart",
                                           response_format="b64_json", extra_body=extra)
    png = base64.b64decode(result.data[0].b64_json)
    assert Image.open(io.BytesIO(png)).size == (64, 64)
    (asset_id,) = result.model_extra["genloom"]["assets"]
    asset = genloom_project.get_asset(asset_id)
    assert asset.kind == "image" and asset.recipe["params"]["prompt"] == "red heart"
    assert genloom_project.asset_path(asset).read_bytes() == png

    linked = openai_client.images.generate(prompt="smiling cat face", extra_body=extra)
    server = openai_client.genloom_server
    assert linked.data[0].url.startswith(server.url + "/api/assets/")
    fetched = httpx.get(linked.data[0].url, headers={"Authorization": f"Bearer {server.token}"})
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(fetched.content)).size == (64, 64)
    assert httpx.get(linked.data[0].url).status_code == 401


def test_a_bad_parameter_is_a_400_with_the_generators_message(openai_client):
    openai = pytest.importorskip("openai")
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(model="text.chat", max_tokens=100000,
                                              messages=[{"role": "user", "content": "hi"}])
    assert "max_new_tokens: 100000 is above the maximum" in str(caught.value)
    with pytest.raises(openai.NotFoundError, match="no generator called 'text.chatt'"):
        openai_client.chat.completions.create(model="text.chatt", messages=[{"role": "user", "content": "hi"}])
