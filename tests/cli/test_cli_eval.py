"""`genloom eval`, run as a real process: a tagged set grouped by a parameter, the HTML and
JSON report, a drop-in metric plugin, and clear refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from genloom.core.project import Project
from tests.core.evaluation.conftest import METRIC_PLUGINS, add_images


@pytest.fixture
def eval_cli(genloom_home: Path, tmp_path: Path) -> Any:
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home), "GENLOOM_PLUGIN_PATH": str(METRIC_PLUGINS)}
    env.pop("GENLOOM_PROJECT", None)
    project = tmp_path / "proj"
    with Project.create(project) as made:
        add_images(made, [1, 2, -1, -1], steps=[10, 10, 20, 20])

    def run(*args: object, code: int = 0) -> Any:
        argv = [sys.executable, "-m", "genloom", "eval", *map(str, args), "--project", str(project)]
        result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=400)
        assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
        return result

    return run


def test_eval_writes_a_self_contained_report_grouped_by_a_parameter(eval_cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = eval_cli("--tag", "evalset", "--group-by", "param", "steps", "-m", "genloom.sharpness",
                      "-m", "genloom.ms_ssim_diversity", "-m", "glmetric_good.brightness",
                      "-m", "glmetric_bad.boom", "--out", out, "--json")
    data = json.loads(result.stdout)
    assert data["group_order"] == ["steps=10", "steps=20", "all"]
    assert data["groups"]["steps=20"]["genloom.ms_ssim_diversity"]["value"] == pytest.approx(0, abs=1e-6)
    assert "glmetric_bad.boom" in data["failures"]
    page = Path(data["html"]).read_text(encoding="utf-8")
    assert "<svg" in page and "data:image/png;base64," in page and "Brightness" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")  # nothing fetched
    assert json.loads(Path(data["json"]).read_text())["evaluation"] == data["evaluation"]
    text = eval_cli("1", "2", "-m", "genloom.sharpness", "--out", out).stdout
    assert "report:" in text and "sharpness" in text


def test_eval_lists_metrics_and_refuses_bad_requests(eval_cli: Any) -> None:
    listed = eval_cli("--list-metrics").stdout
    assert "genloom.self_bleu" in listed and "glmetric_good.brightness" in listed
    missing = eval_cli("--tag", "nothing", code=2).stderr
    assert "has no assets" in missing
    typo = eval_cli("--tag", "evalset", "-m", "genloom.sharpnes", code=2).stderr
    assert "did you mean genloom.sharpness" in typo
    empty = eval_cli(code=2).stderr
    assert "give asset ids" in empty
