"""``genloom serve``'s own endpoints and its guards: the token, the limits, the address,
the event stream, and jobs that land in the project as the command line's do."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys

import httpx
import pytest

from genloom.core.serving.limits import check_bind_host
from genloom.core.serving.token import load_or_create_token, token_path
from genloom.sdk.errors import ParameterError

PATTERN = {"generator": "procedural.pattern", "params": {"width": 64, "height": 64, "octaves": 2},
           "seed": 42}


def _client(server, token=None):
    return httpx.Client(base_url=server.url, timeout=120,
                        headers={"Authorization": f"Bearer {token or server.token}"})


def _wait_done(client, job_id):
    with client.stream("GET", f"/api/jobs/{job_id}/events") as response:
        events = [json.loads(line[5:]) for line in response.iter_lines() if line.startswith("data:")]
    return events


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic abc", "Bearer"])
def test_requests_without_or_with_a_wrong_token_get_401(api_server, header):
    server = api_server()
    headers = {"Authorization": header} if header else {}
    for method, path in (("GET", "/api/health"), ("GET", "/v1/models"), ("POST", "/api/jobs"),
                         ("POST", "/v1/chat/completions"), ("GET", "/api/assets/1/file")):
        response = httpx.request(method, server.url + path, headers=headers, json={})
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
        assert "a valid API token is required" in response.json()["error"]["message"]
    assert _client(server).get("/api/health").json()["ok"] is True


def test_the_token_is_made_once_and_readable_only_by_the_user(genloom_home):
    token = load_or_create_token()
    assert len(token) >= 40
    assert load_or_create_token() == token
    mode = stat.S_IMODE(os.stat(token_path()).st_mode)
    assert mode == 0o600
    os.chmod(token_path(), 0o644)
    with pytest.raises(Exception, match="can be read by other users"):
        load_or_create_token()


def test_a_request_too_large_gets_413_and_queues_nothing(api_server, genloom_project):
    server = api_server(max_request_bytes=4096)
    client = _client(server)
    big = {**PATTERN, "params": {**PATTERN["params"], "palette": "x" * 5000}}
    response = client.post("/api/jobs", json=big)
    assert response.status_code == 413
    assert "larger than the limit of 4096 bytes" in response.json()["error"]["message"]
    # Without a Content-Length (chunked), the body is counted as it arrives.
    chunked = client.post("/api/jobs", content=iter([b"{" + b" " * 3000, b" " * 3000 + b"}"]),
                          headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413
    assert genloom_project.jobs.list() == []


def test_a_client_over_its_queued_jobs_limit_gets_429(api_server, genloom_project):
    server = api_server(max_queued_per_client=2)
    client = _client(server)
    # Large enough that they are still queued or running when the next request comes (the
    # worker process has to start first, too).
    first = client.post("/api/jobs", json={**PATTERN, "params": {"width": 1024, "height": 1024},
                                           "count": 2})
    assert first.status_code == 202
    refused = client.post("/api/jobs", json=PATTERN)
    assert refused.status_code == 429
    message = refused.json()["error"]["message"]
    assert "limit is 2" in message and "wait for some to finish" in message
    for job in first.json()["jobs"]:
        _wait_done(client, job["id"])
    assert client.post("/api/jobs", json=PATTERN).status_code == 202


def test_bad_requests_get_the_command_lines_message_as_json(api_server, genloom_project, genloom_home):
    client = _client(api_server())
    response = client.post("/api/jobs", json={**PATTERN, "params": {"width": 10}})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "width"
    cli = subprocess.run(
        [sys.executable, "-m", "genloom.cli.main", "generate", "procedural.pattern", "--set", "width=10",
         "--project", str(genloom_project.path), "--queue-only"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "GENLOOM_HOME": str(genloom_home)})
    assert cli.returncode == 2
    assert cli.stderr.strip() == f"genloom: {error['message']}"
    missing = client.post("/api/jobs", json={"generator": "image.image_to_image", "params": {"prompt": "x"}})
    assert missing.status_code == 400
    # The remedy in the API's words, not the command line's.
    assert '"inputs"' in missing.json()["error"]["message"]
    assert "--input" not in missing.json()["error"]["message"]
    assert client.get("/api/jobs/999").status_code == 404
    unknown = client.get("/api/generators/procedural.patern")
    assert unknown.status_code == 404 and "procedural.pattern" in unknown.json()["error"]["message"]
    assert client.post("/api/jobs", content=b"{not json").status_code == 400


def test_the_event_stream_reports_progress_and_the_end_with_the_assets(api_server, genloom_project):
    client = _client(api_server())
    (job,) = client.post("/api/jobs", json=PATTERN).json()["jobs"]
    events = _wait_done(client, job["id"])
    assert events[-1]["state"] == "done" and events[-1]["job"] == job["id"]
    assert events[-1]["assets"] == list(genloom_project.jobs.get(job["id"]).asset_ids)
    # Asked again after the end, the stream replays what happened.
    assert _wait_done(client, job["id"])[-1] == events[-1]
    listed = client.get("/api/jobs", params={"state": "done"}).json()
    assert [j["id"] for j in listed] == [job["id"]]
    (asset_id,) = events[-1]["assets"]
    asset = client.get(f"/api/assets/{asset_id}").json()
    assert asset["recipe"] == client.get(f"/api/assets/{asset_id}/recipe").json()
    assert client.get(asset["file"]).content == genloom_project.asset_path(asset_id).read_bytes()


def test_cancel_over_http_ends_a_queued_job(api_server):
    client = _client(api_server())
    jobs = client.post("/api/jobs", json={**PATTERN, "count": 3}).json()["jobs"]
    last = jobs[-1]["id"]
    cancelled = client.post(f"/api/jobs/{last}/cancel")
    assert cancelled.status_code == 200
    for job in jobs:
        _wait_done(client, job["id"])
    assert client.get(f"/api/jobs/{last}").json()["state"] in ("cancelled", "done")
    assert client.post(f"/api/jobs/{last}/cancel").status_code == 409


def _volatile(recipe):
    """What differs between two runs of the same job: its id, batch and time."""
    return {k: v for k, v in recipe.items() if k not in ("job_id", "batch", "made")}


def test_a_job_over_http_has_the_same_recipe_as_the_same_job_from_the_cli(api_server, genloom_project,
                                                                         genloom_home):
    client = _client(api_server())
    (job,) = client.post("/api/jobs", json=PATTERN).json()["jobs"]
    (asset_id,) = _wait_done(client, job["id"])[-1]["assets"]
    over_http = genloom_project.get_asset(asset_id)
    cli = subprocess.run(
        [sys.executable, "-m", "genloom.cli.main", "generate", "procedural.pattern", "--seed", "42",
         "--set", "width=64", "--set", "height=64", "--set", "octaves=2", "--device", "cpu",
         "--project", str(genloom_project.path), "--json", "--quiet"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "GENLOOM_HOME": str(genloom_home)})
    assert cli.returncode == 0, cli.stderr
    (cli_job,) = json.loads(cli.stdout)["jobs"]
    from_cli = genloom_project.get_asset(cli_job["assets"][0]["id"])
    assert _volatile(over_http.recipe) == _volatile(from_cli.recipe)
    assert over_http.hash == from_cli.hash  # and the same image


def _other_addresses():
    """This machine's addresses other than loopback."""
    found = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(info[4][0])
    except OSError:
        pass
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))  # no packet is sent: this only picks a route
        found.add(probe.getsockname()[0])
    except OSError:
        pass
    finally:
        probe.close()
    return sorted(a for a in found if not a.startswith("127."))


def test_the_server_listens_only_where_told(api_server):
    server = api_server()
    host, port = server.address
    assert host == "127.0.0.1"
    with socket.create_connection((host, port), timeout=5):
        pass
    others = _other_addresses()
    if not others:
        pytest.skip("this machine has no address besides loopback to try")
    for address in others:
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=5).close()


def test_another_address_needs_an_explicit_allowance_and_warns():
    assert check_bind_host("127.0.0.1", allow_remote=False) is None
    assert check_bind_host("::1", allow_remote=False) is None
    with pytest.raises(ParameterError, match="reachable from other machines"):
        check_bind_host("0.0.0.0", allow_remote=False)
    assert "other machines can reach it" in check_bind_host("0.0.0.0", allow_remote=True)


def test_genloom_serve_refuses_a_public_address_without_the_flag(genloom_home, tmp_path):
    result = subprocess.run([sys.executable, "-m", "genloom.cli.main", "serve", "--host", "0.0.0.0",
                             "--project", str(tmp_path / "p")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "host: '0.0.0.0' is reachable from other machines" in result.stderr


def test_genloom_serve_runs_until_sigterm_and_answers_with_its_token(genloom_home, tmp_path):
    import signal

    process = subprocess.Popen(
        [sys.executable, "-m", "genloom.cli.main", "serve", "--port", "0", "--json", "--show-token",
         "--project", str(tmp_path / "served")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "GENLOOM_HOME": str(genloom_home)})
    try:
        started = json.loads(process.stdout.readline())
        assert started["url"].startswith("http://127.0.0.1:")
        assert started["token"] == token_path().read_text().strip()
        answer = httpx.get(started["url"] + "/api/health", timeout=30,
                           headers={"Authorization": f"Bearer {started['token']}"})
        assert answer.json()["project"] == "served"
        assert httpx.get(started["url"] + "/api/health", timeout=30).status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 143, err


def test_a_client_that_drops_a_stream_cancels_its_job(fixture_plugins, genloom_project):
    """Nobody reads the rest, so nothing more is made (a slow test generator streams words)."""
    from genloom.api.server import ApiServer
    from genloom.core.jobs.engine import Engine
    from genloom.core.settings import Settings

    engine = Engine(genloom_project, fixture_plugins, Settings()).start()
    server = ApiServer(engine, "127.0.0.1", 0).start()
    try:
        body = {"model": "gltest_basic.echo", "prompt": "hello", "stream": True,
                "genloom": {"params": {"steps": 50, "delay": 0.2}}}
        with _client(server).stream("POST", "/v1/completions", json=body) as response:
            lines = response.iter_lines()
            first = next(line for line in lines if line.startswith("data:"))
            job_id = json.loads(first[5:])["genloom"]["job"]
        (job,) = engine.wait([job_id], timeout=120)
        assert job.state == "cancelled"
    finally:
        server.stop()
        engine.stop()


def test_the_event_stream_carries_the_image_generators_previews(api_server):
    import base64
    import io

    from PIL import Image

    client = _client(api_server())
    (job,) = client.post("/api/jobs", json={"generator": "image.text_to_image",
                                            "params": {"prompt": "red heart", "steps": 3},
                                            "seed": 1}).json()["jobs"]
    events = _wait_done(client, job["id"])
    assert events[-1]["state"] == "done"
    steps = [e for e in events if "step" in e]
    assert [e["step"] for e in steps][-1] == 3 and steps[-1]["total"] == 3
    previews = [e["preview"] for e in steps if e.get("preview")]
    assert previews, "no preview came with the progress"
    Image.open(io.BytesIO(base64.b64decode(previews[-1]))).verify()
