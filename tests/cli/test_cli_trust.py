"""The `genloom` command against hostile plugins, damaged projects, odd input and kill -9,
as real processes."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import FIXTURE_PLUGINS

HOSTILE = Path(__file__).parents[1] / "fixtures" / "hostile"


@pytest.fixture
def cli(genloom_home, tmp_path):
    plugin_path = os.pathsep.join([str(FIXTURE_PLUGINS), str(HOSTILE), str(tmp_path / "extra")])
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home), "GENLOOM_PLUGIN_PATH": plugin_path}
    env.pop("GENLOOM_PROJECT", None)
    project = tmp_path / "proj"

    def argv(*args):
        out = [sys.executable, "-m", "genloom", *map(str, args)]
        if args and args[0] not in ("plugins", "generators", "plugin", "project"):
            out += ["--project", str(project)]
        return out

    def run(*args, code=0, timeout=120):
        result = subprocess.run(argv(*args), capture_output=True, text=True, env=env,
                                timeout=timeout)
        assert "Traceback" not in result.stderr, result.stderr
        if code is not None:
            assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
        return result

    run.env, run.project, run.argv = env, project, argv
    return run


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


# -- finding 3: a hook raising SystemExit or KeyboardInterrupt is a failed plugin ------------------

@pytest.mark.parametrize("raised", ["SystemExit(7)", "KeyboardInterrupt()"])
def test_a_hook_that_raises_systemexit_is_listed_as_failed(cli, tmp_path, raised):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "gltest_exits.py").write_text(
        "from genloom.sdk import hookimpl\n\n@hookimpl\ndef genloom_register_generators():\n"
        f"    raise {raised}\n")
    data = {p["name"]: p for p in json.loads(cli("plugins", "--json", code=7).stdout)}
    assert data["gltest_exits"]["status"] == "failed"
    assert raised.split("(")[0] in data["gltest_exits"]["error"]
    assert data["gltest_basic"]["status"] == "loaded"
    assert "gltest_basic.echo" in cli("generators").stdout


# -- finding 4: the worker and what it started die with the CLI; SIGTERM requeues -----------------

def _worker_of(cli_pid: int) -> int:
    found: list[int] = []
    assert _wait_for(lambda: found.extend(_children(cli_pid)) or found, timeout=60)
    return found[0]


def test_kill_9_of_the_cli_takes_the_worker_and_its_children_down(cli, tmp_path):
    marker = tmp_path / "child.pid"
    proc = subprocess.Popen(cli.argv("generate", "gltest_hostile.hostile", "--set", "how=spawn",
                                     "--set", f"target={marker}", "-q"),
                            env=cli.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        worker = _worker_of(proc.pid)
        assert _wait_for(marker.exists, timeout=60)
        child = int(marker.read_text())
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert _wait_for(lambda: not _alive(worker), timeout=15), "the worker outlived the CLI"
        assert _wait_for(lambda: not _alive(child), timeout=15), "the plugin's child outlived it"
    finally:
        proc.kill()


def test_sigterm_puts_the_running_job_back_and_stops_the_worker(cli, tmp_path):
    proc = subprocess.Popen(cli.argv("generate", "gltest_hostile.hostile", "--set", "how=slow",
                                     "--set", f"target={tmp_path / 'runs.txt'}", "-q"),
                            env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    worker = _worker_of(proc.pid)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "put back in the queue" in err and "Traceback" not in err
    assert _wait_for(lambda: not _alive(worker), timeout=15)
    (job,) = json.loads(cli("jobs", "--json").stdout)
    assert job["state"] == "queued"


# -- finding 10: messages, not tracebacks ----------------------------------------------------------

def test_huge_ids_and_odd_values_get_messages(cli):
    cli("project", "new", cli.project)
    huge = "9" * 40
    for args in (("jobs", "show", huge), ("assets", "show", huge), ("jobs", "cancel", huge),
                 ("assets", "delete", huge), ("assets", "list", "--limit", huge)):
        assert "not an id" in cli(*args, code=2).stderr or "out of range" in cli(*args, code=2).stderr
    assert "not an asset id" in cli("generate", "gltest_basic.invert", "--input", f"image={huge}",
                                    code=2).stderr
    for model in ("", "m" * 300, "~nouser-genloom/x.safetensors"):
        assert "model" in cli("generate", "gltest_basic.echo", "--prompt", "x", "--model", model,
                              code=2).stderr


def test_a_png_whose_recipe_is_not_an_object_imports_without_it(cli, tmp_path):
    cli("project", "new", cli.project)
    from PIL import PngImagePlugin

    picture = tmp_path / "odd.png"
    info = PngImagePlugin.PngInfo()
    info.add_itxt("genloom", json.dumps(["not", "a", "recipe"]))
    Image.new("RGB", (8, 8)).save(picture, pnginfo=info)
    result = cli("assets", "import", picture)
    assert "not a recipe object" in result.stderr
    asset_id = result.stdout.split()[0]
    assert "no recipe to re-run" in cli("rerun", asset_id, code=2).stderr


def test_a_huge_number_in_an_imported_recipe_is_refused_cleanly(cli, tmp_path):
    cli("project", "new", cli.project)
    from PIL import PngImagePlugin

    picture = tmp_path / "huge.png"
    info = PngImagePlugin.PngInfo()
    info.add_itxt("genloom", '{"generator": {"id": "gltest_basic.echo"}, "params": {"prompt": "x"}, '
                             '"seed": ' + "9" * 400 + "}")
    Image.new("RGB", (8, 8)).save(picture, pnginfo=info)
    result = cli("assets", "import", picture)
    assert "400 digits" in result.stderr


def test_a_decompression_bomb_and_a_text_named_png_are_refused(cli, tmp_path):
    cli("project", "new", cli.project)
    bomb = tmp_path / "bomb.png"
    Image.new("1", (20_000, 20_000)).save(bomb)  # a few kB that expand to 400 Mpixels
    assert "too large" in cli("assets", "import", bomb, code=2).stderr
    fake = tmp_path / "fake.png"
    fake.write_text("just some text")
    assert "is not a PNG image" in cli("assets", "import", fake, code=2).stderr


def test_a_foreign_or_empty_database_exits_4(cli, tmp_path):
    cli.project.mkdir()
    with sqlite3.connect(cli.project / "genloom.db") as conn:
        conn.execute("CREATE TABLE moz_places (id INTEGER)")
    assert "another program" in cli("assets", code=4).stderr
    (cli.project / "genloom.db").write_bytes(b"garbage" * 200)
    assert "not a readable database" in cli("assets", code=4).stderr


def test_broken_pipe_is_quiet(cli):
    for _ in range(3):
        cli("generate", "gltest_basic.echo", "--prompt", "x", "--queue-only", "-n", "30")
    shell = subprocess.run(" ".join(map(str, cli.argv("jobs"))) + " | head -1", shell=True,
                           env=cli.env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in shell.stderr and "BrokenPipe" not in shell.stderr


# -- finding 9 and 12 through the CLI -------------------------------------------------------------

def test_a_damaged_file_is_reported_by_show_and_not_exported(cli, tmp_path):
    cli("project", "new", cli.project)
    picture = tmp_path / "p.png"
    Image.new("RGB", (8, 8), (200, 0, 0)).save(picture)
    asset_id = cli("assets", "import", picture).stdout.split()[0]
    path = Path(json.loads(cli("assets", "show", asset_id, "--json").stdout)["path"])
    path.write_bytes(b"\0" * path.stat().st_size)
    assert "DAMAGED" in cli("assets", "show", asset_id).stdout
    result = cli("assets", "export", asset_id, tmp_path, code=4)
    assert "no longer holds" in result.stderr
    assert not (tmp_path / f"genloom-{asset_id}.png").exists()


def test_assets_deleted_meanwhile_do_not_turn_success_into_not_found(cli, genloom_plugins):
    from argparse import Namespace

    from genloom.cli.cmd_generate import report
    from genloom.core.project import Project

    with Project.create(cli.project) as project:
        asset = project.add_asset(b"made", kind="text", suffix=".txt")
        job = project.jobs.enqueue("gltest_basic.echo", {"prompt": "x"}, seed=1)
        project.jobs.claim_next("me")
        job = project.jobs.finish(job.id, [asset.id])
        project.delete_asset(asset.id)
        for as_json in (False, True):
            assert report(project, [job], Namespace(json=as_json)) == 0


# -- the crash test: random kill -9 of the CLI and the worker during generation --------------------

def _retry_ended(project_dir: Path) -> int:
    """Queue again every failed or cancelled job not retried yet (a killed worker fails its
    job; a job interrupted twice is failed); return how many jobs are queued now."""
    from genloom.core.project import Project

    with Project.open(project_dir) as project:
        jobs = project.jobs.list(limit=10_000)
        retried = {j.retry_of for j in jobs if j.retry_of}
        for job in jobs:
            if job.state in ("failed", "cancelled") and job.id not in retried:
                project.jobs.retry(job.id)
        return len(project.jobs.list(states=["queued"]))


def test_random_kill_9_during_generation_leaves_an_intact_project(cli, tmp_path):
    runs = tmp_path / "runs.txt"
    cli("generate", "gltest_hostile.hostile", "--set", "how=slow", "--set", f"target={runs}",
        "--queue-only", "-n", "6")
    rng = random.Random(10)
    kills = {"cli": 0, "worker": 0}
    for _ in range(20):
        _retry_ended(cli.project)  # keep work queued, so every kill lands during generation
        proc = subprocess.Popen(cli.argv("jobs", "run", "-q"), env=cli.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            victim = rng.choice(("cli", "worker"))
            pid = proc.pid
            workers = _children(pid) if _wait_for(lambda pid=pid: bool(_children(pid)), 20) else []
            assert workers, "no worker started: the kill would not be during generation"
            time.sleep(rng.uniform(0.2, 1.5))
            if victim == "worker":
                os.kill(workers[0], signal.SIGKILL)
                time.sleep(0.5)  # the CLI records the crash; then it goes too, to keep this short
            proc.kill()
            proc.wait(timeout=30)
            for worker in workers:
                assert _wait_for(lambda w=worker: not _alive(w), 15), "a worker outlived its CLI"
            kills[victim] += 1
        finally:
            proc.kill()
            proc.wait()
    assert sum(kills.values()) == 20 and min(kills.values()) > 0, kills
    # Run the queue to completion, retrying what the kills failed.
    for _ in range(10):
        if not _retry_ended(cli.project):
            break
        cli("jobs", "run", "-q", code=None, timeout=300)
    jobs = json.loads(cli("jobs", "list", "--json", "--limit", "1000").stdout)
    by_id = {j["id"]: j for j in jobs}

    def root(job):
        while job["retry_of"]:
            job = by_id[job["retry_of"]]
        return job["id"]

    # Each of the six recipes (a job and its chain of retries) was done exactly once.
    done_per_root: dict[int, int] = {}
    for job in jobs:
        done_per_root.setdefault(root(job), 0)
        if job["state"] == "done":
            done_per_root[root(job)] += 1
            assert len(job["assets"]) == 1
    assert sorted(done_per_root.values()) == [1] * 6, done_per_root
    assets = json.loads(cli("assets", "--json", "--limit", "1000").stdout)
    assert sorted(a["job"] for a in assets) == sorted(j["id"] for j in jobs if j["state"] == "done")
    with sqlite3.connect(cli.project / "genloom.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    repaired = json.loads(cli("project", "check", cli.project, "--repair", "--json", code=None).stdout)
    assert repaired["missing"] == [] and repaired["mismatched"] == []
    check = json.loads(cli("project", "check", cli.project, "--json").stdout)
    assert check["ok"], check


def test_a_prompt_with_invalid_utf8_is_refused_when_queued(cli):
    argv = [os.fsencode(a) for a in cli.argv("generate", "gltest_basic.echo", "--queue-only")]
    result = subprocess.run([*argv, b"--prompt", b"bad \xff\xfe bytes"], capture_output=True,
                            env=cli.env, timeout=120)
    assert result.returncode == 2, result.stderr
    assert b"not valid UTF-8" in result.stderr and b"Traceback" not in result.stderr
    assert not (cli.project / "genloom.db").exists()  # refused before anything was made


def test_a_sparse_file_is_refused_without_being_copied(cli, tmp_path):
    cli("project", "new", cli.project)
    sparse = tmp_path / "huge.txt"
    with open(sparse, "wb") as handle:
        handle.truncate(2 * 1024**3)  # 2 GB of holes
    if sparse.stat().st_blocks * 512 >= sparse.stat().st_size // 2:
        pytest.skip("this filesystem does not make sparse files")
    result = cli("assets", "import", sparse, code=2)
    assert "sparse file" in result.stderr
    assert not any(p.is_file() for p in (cli.project / "assets").rglob("*"))


def test_a_write_lock_held_past_the_busy_timeout_is_a_message(genloom_home, tmp_path, monkeypatch,
                                                               capsys):
    import genloom.core.sqlite
    from genloom.cli.main import main
    from genloom.core.project import Project

    monkeypatch.setattr(genloom.core.sqlite, "BUSY_TIMEOUT_S", 0.2)
    root = tmp_path / "locked"
    with Project.create(root) as project:
        asset = project.add_asset(b"x", kind="text", suffix=".txt")
    holder = sqlite3.connect(root / "genloom.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing for a long time
    try:
        code = main(["assets", "tag", str(asset.id), "blue", "--project", str(root)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    err = capsys.readouterr().err
    assert code == 4 and "database is busy" in err and "try the command again" in err
