"""`genloom verify` and `genloom project archive/unarchive`, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from genloom.cli import main as codes
from tests.conftest import FIXTURE_PLUGINS


@pytest.fixture
def genloom(genloom_home, tmp_path):
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home), "GENLOOM_PLUGIN_PATH": str(FIXTURE_PLUGINS)}
    env.pop("GENLOOM_PROJECT", None)

    def run(*args: object, code: int = 0) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "genloom", *map(str, args)], capture_output=True,
                                text=True, env=env, timeout=120)
        assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
        return result

    return run


@pytest.fixture
def exported(genloom, tmp_path) -> Path:
    project = tmp_path / "proj"
    genloom("project", "new", project)
    genloom("generate", "gltest_basic.pixels", "--prompt", "red fox", "--seed", "11", "--project", project)
    return Path(json.loads(genloom("assets", "export", "1", tmp_path / "fox.png", "--project", project,
                                   "--json").stdout)["path"])


def test_an_exported_file_verifies_as_signed_by_this_installation(genloom, exported):
    out = genloom("verify", exported).stdout
    assert out.startswith(f"{exported}: valid, signed by this installation")
    assert "action: c2pa.created (trainedAlgorithmicMedia) by Genloom" in out
    [result] = json.loads(genloom("verify", exported, "--json").stdout)
    assert result["status"] == "valid" and result["signer"] == "this installation"
    assert result["recipe"]["seed"] == 11


def test_the_exit_code_is_the_worst_verdict(genloom, exported, tmp_path):
    plain = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(plain)
    assert "no content credentials" in genloom("verify", exported, plain, code=codes.EXIT_NO_CREDENTIALS).stdout
    genloom("verify", exported, tmp_path / "nothing.png", plain, code=codes.EXIT_NOT_FOUND)
    data = bytearray(exported.read_bytes())
    data[len(data) // 2] ^= 0x10
    exported.write_bytes(bytes(data))
    out = genloom("verify", plain, exported, code=codes.EXIT_TAMPERED).stdout
    assert f"{exported}: TAMPERED" in out


def test_project_archive_and_unarchive_round_trip_from_the_command_line(genloom, tmp_path):
    project = tmp_path / "proj"
    genloom("project", "new", project)
    genloom("generate", "gltest_basic.pixels", "--prompt", "red fox", "--seed", "5", "--project", project)
    genloom("assets", "tag", "1", "fox", "--project", project)
    genloom("assets", "rate", "1", "3", "--project", project)
    archive = json.loads(genloom("project", "archive", project, "-o", tmp_path / "fox.genloom-archive",
                                 "--json").stdout)["archive"]
    unpacked = json.loads(genloom("project", "unarchive", archive, tmp_path / "copy", "--json").stdout)
    assert unpacked["assets"] == 1
    [asset] = json.loads(genloom("assets", "--json", "--project", tmp_path / "copy").stdout)
    assert asset["tags"] == ["fox"] and asset["rating"] == 3
    assert json.loads(genloom("assets", "show", "1", "--json", "--project", tmp_path / "copy").stdout)[
        "recipe"]["seed"] == 5
    result = genloom("project", "unarchive", archive, tmp_path / "copy", code=codes.EXIT_PROJECT)
    assert "not an empty folder" in result.stderr
