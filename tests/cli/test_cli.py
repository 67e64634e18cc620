"""The `genloom` command, run as a real process, as a script or a person would."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import FIXTURE_PLUGINS


@pytest.fixture
def cli(genloom_home, tmp_path):
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home), "GENLOOM_PLUGIN_PATH": str(FIXTURE_PLUGINS)}
    env.pop("GENLOOM_PROJECT", None)
    project = tmp_path / "proj"

    def run(*args, check_code=0, project_dir=project, timeout=120):
        argv = [sys.executable, "-m", "genloom", *map(str, args)]
        if project_dir is not None and args and args[0] not in ("plugins", "generators", "plugin", "project"):
            argv += ["--project", str(project_dir)]
        result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
        if check_code is not None:
            assert result.returncode == check_code, (result.returncode, result.stdout, result.stderr)
        return result

    run.env = env
    run.project = project
    return run


def test_help_lists_every_exit_code_with_its_meaning(cli):
    """The README sends scripts to `genloom --help` for the exit codes."""
    from genloom.cli import main

    text = cli("--help", project_dir=None).stdout
    listed = text[text.index("exit codes:"):]
    constants = {value for name, value in vars(main).items() if name.startswith("EXIT_") and name != "EXIT_CODES"}
    assert {code for code, _ in main.EXIT_CODES} == constants
    for code, meaning in main.EXIT_CODES:
        assert f"  {code:<5} {meaning}" in listed
    assert "130" in listed and "interrupted with Ctrl-C" in listed
    # One table: no other module of the command line defines an exit code of its own.
    import pathlib
    import re

    for module in pathlib.Path(main.__file__).parent.glob("*.py"):
        if module.name != "main.py":
            assert not re.search(r"^EXIT_\w+\s*=", module.read_text(), re.M), module.name


def test_version_prints_and_exits_zero(cli):
    result = cli("--version")
    assert result.stdout.startswith("genloom ")


def test_plugins_lists_failures_with_the_reason(cli):
    out = cli("plugins", check_code=7).stdout  # EXIT_PLUGINS: some plugins failed
    assert "gltest_basic 1.2.3  [loaded]" in out
    assert "gltest_broken_import  [failed]" in out
    assert "needs a library that is not installed" in out
    data = json.loads(cli("plugins", "--json", check_code=7).stdout)
    by_name = {p["name"]: p for p in data}
    assert by_name["gltest_broken_hook"]["status"] == "failed"
    assert "Traceback" in by_name["gltest_broken_hook"]["error"]
    assert by_name["procedural"]["source"] == "entry point"


def test_plugins_disable_and_enable_persist(cli):
    cli("plugins", "disable", "gltest_basic")
    assert "gltest_basic  [disabled]" in cli("plugins", check_code=7).stdout
    cli("plugins", "enable", "gltest_basic")
    assert "[loaded]" in cli("plugins", check_code=7).stdout.split("gltest_basic", 1)[1].splitlines()[0]


def test_generators_list_and_show(cli):
    out = cli("generators").stdout
    assert "gltest_basic.echo" in out and "procedural.pattern" in out
    shown = cli("generators", "gltest_basic.echo").stdout
    assert "steps (int), default 3, range 1..50" in shown
    data = json.loads(cli("generators", "--modality", "image", "--json").stdout)
    assert {g["modality"] for g in data} == {"image"}


def test_generate_prints_output_paths_and_stores_assets(cli):
    result = cli("generate", "gltest_basic.echo", "--prompt", "hello", "--set", "steps=2", "--seed", "5", "--count", "2")
    paths = result.stdout.split()
    assert len(paths) == 2 and all(Path(p).is_file() for p in paths)
    assert Path(paths[0]).read_text().startswith("hello ")
    listed = json.loads(cli("assets", "--json").stdout)
    assert [a["kind"] for a in listed] == ["text", "text"]


def test_a_first_command_without_a_project_makes_the_one_the_app_opens_first(cli, genloom_home):
    """The command line and the app share the first project (core's paths.default_project_dir);
    the command line named its own 'Untitled' while the app made 'My first project'."""
    from genloom.core import paths

    out = cli("generate", "gltest_basic.echo", "--prompt", "first", "--set", "steps=1", project_dir=None)
    first = paths.default_project_dir()
    assert first.name == paths.DEFAULT_PROJECT_NAME and first.parent == genloom_home / "projects"
    assert (first / "genloom.db").is_file()
    assert f"created project {first}" in out.stderr
    assert Path(out.stdout.splitlines()[0]).is_relative_to(first)
    assert [p.name for p in (genloom_home / "projects").iterdir()] == [paths.DEFAULT_PROJECT_NAME]


def test_generate_json_output(cli):
    data = json.loads(cli("generate", "gltest_basic.pixels", "--seed", "9", "--json").stdout)
    (job,) = data["jobs"]
    assert job["state"] == "done" and job["seed"] == 9
    assert job["assets"][0]["kind"] == "image"
    assert Image.open(job["assets"][0]["path"]).size == (32, 32)


def test_bad_parameter_exits_2_names_it_and_queues_nothing(cli):
    cli("project", "new", cli.project)
    result = cli("generate", "gltest_basic.echo", "--prompt", "x", "--set", "steps=500", check_code=2)
    assert "steps: 500 is above the maximum of 50; choose a value from 1 to 50" in result.stderr
    result = cli("generate", "gltest_basic.echo", "--prompt", "x", "--set", "stpes=5", check_code=2)
    assert "stpes" in result.stderr and "use one of prompt, steps, delay, shout" in result.stderr
    result = cli("generate", "gltest_basic.echo", "--prompt", "x", "--set", "steps=many", check_code=2)
    assert "steps: 'many' is not a whole number" in result.stderr
    assert json.loads(cli("jobs", "--json").stdout) == []


def test_unknown_generator_exits_3(cli):
    result = cli("generate", "gltest_basic.ecko", "--prompt", "x", check_code=3)
    assert "Did you mean gltest_basic.echo" in result.stderr


def test_failed_job_exits_1_with_the_error(cli):
    result = cli("generate", "gltest_basic.misbehave", "--set", "how=raise", check_code=1)
    assert "the generator broke on purpose" in result.stderr


def test_assets_show_search_tag_rate_and_rerun(cli):
    path = cli("generate", "gltest_basic.pixels", "--prompt", "sunset dunes", "--seed", "3").stdout.strip()
    shown = json.loads(cli("assets", "show", "1", "--json").stdout)
    assert shown["recipe"]["seed"] == 3 and shown["path"] == path
    assert [a["id"] for a in json.loads(cli("assets", "search", "dune", "--json").stdout)] == [1]
    cli("assets", "tag", "1", "Desert", "warm")
    cli("assets", "rate", "1", "4")
    assert [a["id"] for a in json.loads(cli("assets", "--tag", "desert", "--min-rating", "4", "--json").stdout)] == [1]
    rerun = cli("rerun", "1").stdout.strip()
    assert Path(rerun).read_bytes() == Path(path).read_bytes()
    text = cli("assets", "show", "2").stdout
    assert "parents: 1 (image)" in text
    cli("assets", "rate", "1", "9", check_code=2)


def test_export_embeds_the_recipe_and_import_reads_it_back(cli, tmp_path):
    cli("generate", "gltest_basic.pixels", "--prompt", "red fox", "--seed", "11")
    out = tmp_path / "exported.png"
    cli("assets", "export", "1", out)
    with Image.open(out) as image:
        text = image.text
    assert text["parameters"].startswith("red fox\n")
    assert "Seed: 11" in text["parameters"]
    assert json.loads(text["genloom"])["seed"] == 11
    assert "trainedAlgorithmicMedia" in text["XML:com.adobe.xmp"]
    other = tmp_path / "other"
    cli("project", "new", other)
    imported = json.loads(cli("assets", "import", out, "--json", project_dir=other).stdout)
    assert imported[0]["prompt"] == "red fox"
    shown = json.loads(cli("assets", "show", str(imported[0]["id"]), "--json", project_dir=other).stdout)
    assert shown["recipe"]["seed"] == 11


def test_export_into_a_folder_names_the_file_after_the_asset(cli, tmp_path):
    cli("generate", "gltest_basic.pixels", "--prompt", "red fox", "--seed", "11")
    folder = tmp_path / "out"
    folder.mkdir()
    written = json.loads(cli("assets", "export", "1", folder, "--json").stdout)["path"]
    assert written == str(folder / "genloom-1.png")
    with Image.open(written) as image:
        assert json.loads(image.text["genloom"])["seed"] == 11
    assert [p.name for p in folder.iterdir()] == ["genloom-1.png"]


def test_jobs_queue_cancel_retry_move_and_run(cli):
    queued = json.loads(cli("generate", "gltest_basic.echo", "--prompt", "q", "--count", "3",
                            "--queue-only", "--json").stdout)["jobs"]
    ids = [j["id"] for j in queued]
    moved = json.loads(cli("jobs", "move", ids[2], 0, "--json").stdout)
    assert [j["id"] for j in moved] == [ids[2], ids[0], ids[1]]
    cli("jobs", "cancel", ids[1])
    cli("jobs", "run", "--quiet")
    states = {j["id"]: j["state"] for j in json.loads(cli("jobs", "--json").stdout)}
    assert states == {ids[0]: "done", ids[1]: "cancelled", ids[2]: "done"}
    retried = json.loads(cli("jobs", "retry", ids[1], "--json").stdout)[0]
    assert retried["retry_of"] == ids[1] and retried["state"] == "queued"
    result = cli("jobs", "retry", ids[0], check_code=2)
    assert "done" in result.stderr


def test_project_info_check_and_a_newer_schema(cli, tmp_path):
    cli("project", "new", cli.project, "--name", "Moodboard")
    info = json.loads(cli("project", "info", cli.project, "--json").stdout)
    assert info["name"] == "Moodboard" and info["total_assets"] == 0
    assert cli("project", "check", cli.project).returncode == 0
    with sqlite3.connect(cli.project / "genloom.db") as db:
        db.execute("PRAGMA user_version = 999")
    result = cli("project", "info", cli.project, check_code=4)
    assert "newer Genloom" in result.stderr


def test_missing_project_exits_3_with_how_to_make_one(cli, tmp_path):
    result = cli("assets", project_dir=tmp_path / "nothing-here", check_code=3)
    assert "genloom project new" in result.stderr


def _default_sigint() -> None:
    """In the child, before exec: Ctrl-C's default disposition. An ignored SIGINT is
    inherited across exec (and Python then never raises KeyboardInterrupt), and a test run
    started in the background by a non-interactive shell (`make test &`, as POSIX has it)
    has SIGINT ignored: this test then failed, the job running to its end."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_cancels_the_running_job_cleanly(cli):
    cli("project", "new", cli.project)
    process = subprocess.Popen(
        [sys.executable, "-m", "genloom", "generate", "gltest_basic.echo", "--prompt", "slow", "--set", "steps=50",
         "--set", "delay=0.2", "--project", str(cli.project)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli.env,
        preexec_fn=_default_sigint,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        jobs = json.loads(cli("jobs", "--json").stdout)
        if jobs and jobs[0]["state"] == "running":
            break
        time.sleep(0.2)
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    (job,) = json.loads(cli("jobs", "--json").stdout)
    assert job["state"] == "cancelled"
    partial = json.loads(cli("assets", "--tag", "partial", "--json").stdout)
    assert len(partial) == 1 and Path(partial[0]["path"]).read_text().startswith("slow")


def test_plugin_new_writes_a_plugin_whose_own_tests_pass(cli, tmp_path):
    cli("plugin", "new", "my_sketches", "--dir", tmp_path)
    root = tmp_path / "genloom-my-sketches"
    assert (root / "src" / "my_sketches" / "plugin.py").is_file()
    env = {**cli.env, "PYTHONPATH": str(root / "src")}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / "tests")],
                            capture_output=True, text=True, env=env, cwd=root, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_unknown_model_name_is_looked_up_in_the_library_and_exits_3(cli):
    result = cli("generate", "gltest_basic.echo", "--prompt", "x", "--model", "no-such-model", check_code=3)
    assert "no model called 'no-such-model' in the library" in result.stderr
    assert "genloom models list" in result.stderr
