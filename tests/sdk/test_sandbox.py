"""The fence for running untrusted code (genloom.sdk.sandbox): a real child Python, real
files the programs try to harm."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloom.sdk.sandbox import run_program, run_programs


def test_a_program_that_runs_to_its_end_passes_and_its_output_comes_back() -> None:
    outcome = run_program("print('hello')\nprint(6 * 7)\n")
    assert outcome.passed, outcome
    assert outcome.stdout.split() == ["hello", "42"]


def test_exit_zero_before_the_end_is_not_a_pass() -> None:
    outcome = run_program("import os\nprint('early', flush=True)\nos._exit(0)\nprint('never')\n")
    assert not outcome.passed and outcome.status == "failed"
    assert "early" in outcome.stdout and "never" not in outcome.stdout


def test_a_loop_is_stopped_by_the_timeout() -> None:
    outcome = run_program("while True:\n    pass\n", timeout=1.5)
    assert outcome.status == "timeout"


def test_files_are_written_beside_the_program_and_gone_afterwards(tmp_path: Path) -> None:
    tmp_path = tmp_path / "scratch"
    tmp_path.mkdir()
    outcome = run_program("import os\nprint(open('data.txt').read())\nprint(os.getcwd())\n",
                          files={"data.txt": "given"}, parent=tmp_path)
    assert outcome.passed, outcome
    text, folder = outcome.stdout.split()
    assert text == "given" and Path(folder).parent == tmp_path.resolve()
    assert list(tmp_path.iterdir()) == []  # the folder is removed


@pytest.mark.parametrize("name", ["../escape.txt", "sub/file.txt", "program.py", "harness.py",
                                  ".hidden", "/etc/passwd"])
def test_file_names_that_are_not_plain_are_refused(tmp_path: Path, name: str) -> None:
    tmp_path = tmp_path / "scratch"
    tmp_path.mkdir()
    with pytest.raises(ValueError, match="plain file name"):
        run_program("pass\n", files={name: "x"}, parent=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_home_and_environment_are_the_programs_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENLOOM_SECRET_FOR_TEST", "leak")
    outcome = run_program("import os, pathlib\n"
                          "assert str(pathlib.Path.home()) == os.getcwd()\n"
                          "assert 'GENLOOM_SECRET_FOR_TEST' not in os.environ\n"
                          "pathlib.Path.home().joinpath('ok.txt').write_text('inside')\n")
    assert outcome.passed, outcome


def test_writing_outside_its_folder_is_refused(tmp_path: Path) -> None:
    for path in (tmp_path / "escaped.txt", Path.home() / f"genloom-escape-{tmp_path.name}.txt"):
        outcome = run_program(f"open({str(path)!r}, 'w').write('x')\n")
        assert not outcome.passed and "sandbox" in outcome.detail, outcome
        assert not path.exists()


@pytest.mark.parametrize("source", [
    "import os\nos.remove({victim!r})\n",
    "import shutil\nshutil.rmtree({folder!r})\n",
    "import os\nos.rename({victim!r}, 'stolen.txt')\n",
    "import subprocess\nsubprocess.run(['rm', {victim!r}])\n",
    "import os\nos.system('rm ' + {victim!r})\n",
    "import ctypes\n",
    "import socket\nsocket.create_connection(('127.0.0.1', 9))\n",
])
def test_hostile_programs_are_stopped(tmp_path: Path, source: str) -> None:
    victim = tmp_path / "keep.txt"
    victim.write_text("mine")
    outcome = run_program(source.format(victim=str(victim), folder=str(tmp_path)))
    assert not outcome.passed and "sandbox" in outcome.detail, outcome
    assert victim.read_text() == "mine"


def test_a_batch_runs_each_program_fenced_in_its_own_folder_in_order(tmp_path: Path) -> None:
    """One interpreter start, a child per program: each is judged on its own, and none
    can reach another's folder (program 1 tries to overwrite program 2's source)."""
    victim = tmp_path / "keep.txt"
    victim.write_text("mine")
    outcomes = run_programs([
        ("print('first')\n", {}),
        ("open('../p2/program.py', 'w').write('print(\"hijacked\")')\n", {}),
        ("print(open('data.txt').read())\n", {"data.txt": "second's own"}),
        ("import os\nos._exit(0)\n", {}),
        ("while True:\n    pass\n", {}),
        (f"import os\nos.remove({str(victim)!r})\n", {}),
        ("import os, time\nos.close(1)\nos.close(2)\ntime.sleep(60)\n", {}),
        ("import sys\nprint(sys.argv)\n", {}),
    ], timeout=1.5)
    assert [o.status for o in outcomes] == ["passed", "failed", "passed", "failed", "timeout", "failed",
                                            "timeout", "passed"]
    assert outcomes[0].stdout == "first\n"
    assert "sandbox" in outcomes[1].detail
    assert outcomes[2].stdout == "second's own\n"  # its source was not replaced
    assert "sandbox" in outcomes[5].detail and victim.read_text() == "mine"
    assert outcomes[7].stdout.strip() == "['program.py']"  # the harness's arguments are not shown


def test_a_batch_of_nothing_is_nothing_and_bad_names_are_refused_before_anything_runs(tmp_path: Path) -> None:
    assert run_programs([]) == []
    marker = tmp_path / "ran.txt"
    with pytest.raises(ValueError, match="plain file name"):
        run_programs([(f"open({str(marker)!r}, 'w')\n", {}), ("pass\n", {"../x": "y"})])
    assert not marker.exists()


def test_a_program_that_prints_without_end_is_cut_and_stopped() -> None:
    (flood, after) = run_programs([("while True:\n    print('x' * 1000)\n", {}), ("print('after')\n", {})],
                                  timeout=1.5)
    assert flood.status == "timeout" and 0 < len(flood.stdout) <= 2**18
    assert after.passed and after.stdout == "after\n"
