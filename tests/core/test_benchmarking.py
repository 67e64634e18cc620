"""`genloom bench`: measuring the bundled models, keeping results, reporting them.

No timing is asserted (the machines are shared): the tests check that a benchmark runs
the real generator with the real model, measures what its kind is measured in, and that
results are kept, chosen and shown as the front ends expect.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest

from genloom.core import benchmarking
from genloom.core.models import ModelLibrary
from genloom.sdk.errors import ParameterError


@pytest.fixture
def builtins(genloom_plugins):
    return genloom_plugins(entry_points=True)


@pytest.fixture
def library(builtins):
    return ModelLibrary(builtins, hf_cache=False)


def test_an_image_benchmark_counts_steps_with_the_bundled_model(builtins, library):
    spec = builtins.generator("image.text_to_image")
    result = benchmarking.run_benchmark(spec, library, params={"steps": 2}, runs=1)
    assert (result.unit, result.modality, result.runs) == ("steps/s", "image", 1)
    assert result.model_id == "image.icon-ldm-64" and len(result.model_hash) == 64
    assert result.params["steps"] == 2 and result.params["prompt"] == benchmarking.SAMPLE_PROMPTS["image"]
    assert result.rate > 0 and result.seconds > 0 and result.per_item_seconds == result.seconds
    assert result.rate == pytest.approx(2 / result.seconds, rel=0.01)
    assert result.backend == "torch" and result.device == "cpu"


def test_a_text_benchmark_measures_tokens_after_the_first(builtins, library):
    spec = builtins.generator("text.complete")
    result = benchmarking.run_benchmark(spec, library, params={"max_new_tokens": 12}, runs=2)
    assert (result.unit, result.runs) == ("tokens/s", 2)
    assert result.first_seconds is not None and 0 < result.first_seconds < result.seconds
    assert result.rate > 0


def test_an_audio_benchmark_is_in_times_real_time(builtins, library):
    spec = builtins.generator("audio.speech")
    result = benchmarking.run_benchmark(spec, library, runs=1)
    assert result.unit == "x real time" and result.rate > 0


def test_bad_runs_and_parameters_are_refused_before_loading(builtins, library):
    spec = builtins.generator("image.text_to_image")
    with pytest.raises(ParameterError, match="runs: 0 is outside 1 to 20"):
        benchmarking.run_benchmark(spec, library, runs=0)
    with pytest.raises(ParameterError, match="steps"):
        benchmarking.run_benchmark(spec, library, params={"steps": 0}, runs=1)


def test_default_candidates_have_a_model_and_need_no_input(builtins):
    ids = [s.id for s in benchmarking.bench_candidates(builtins)]
    assert "image.text_to_image" in ids and "text.complete" in ids and "audio.speech" in ids
    assert "image.image_to_image" not in ids  # needs an input image
    assert "procedural.pattern" not in ids  # no model to compare
    assert [s.id for s in benchmarking.bench_candidates(builtins, modality="code")] == [
        s.id for s in benchmarking.bench_candidates(builtins) if s.modality == "code"]


def _result(**changes):
    base = benchmarking.BenchResult(
        generator_id="image.text_to_image", modality="image", model_id="m", model_hash="h" * 64,
        model_title="M", backend="torch", device="cpu", dtype="float32", params={}, runs=3,
        load_seconds=1.0, seconds=2.0, rate=10.0, unit="steps/s", created=100.0)
    return replace(base, **changes)


def test_results_are_kept_and_the_newest_per_model_and_backend_is_shown(genloom_home):
    benchmarking.save_result(_result(rate=5.0, created=1.0))
    benchmarking.save_result(_result(rate=7.0, created=2.0))
    benchmarking.save_result(_result(backend="onnx", rate=12.0, created=3.0))
    stored = benchmarking.load_results()
    assert [r.rate for r in stored] == [5.0, 7.0, 12.0]
    best = benchmarking.best_results(stored)
    assert [(r.backend, r.rate) for r in best] == [("onnx", 12.0), ("torch", 7.0)]
    assert [r.rate for r in benchmarking.for_model(stored, "h" * 64)] == [12.0, 7.0]
    report = benchmarking.text_report(stored)
    assert "image.text_to_image" in report and "12.00 steps/s" in report and "7.00 steps/s" in report
    assert "5.00 steps/s" not in report


def test_a_damaged_results_file_is_set_aside_not_lost(genloom_home):
    path = benchmarking.results_file()
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    assert benchmarking.load_results() == []
    assert path.with_name("benchmarks.json.damaged").read_text(encoding="utf-8") == "{not json"
    benchmarking.save_result(_result())
    assert len(benchmarking.load_results()) == 1


def _cli(*args, code=0):
    result = subprocess.run([sys.executable, "-m", "genloom", "bench", *args], capture_output=True,
                            text=True, env=os.environ.copy(), timeout=600)
    assert result.returncode == code, (result.stdout, result.stderr)
    return result


def test_the_cli_measures_stores_lists_and_reports(genloom_home):
    data = json.loads(_cli("code.complete", "--set", "max_new_tokens=8", "--runs", "1", "--json").stdout)
    assert [r["generator_id"] for r in data] == ["code.complete"] and data[0]["unit"] == "tokens/s"
    listed = json.loads(_cli("--list", "--json").stdout)
    assert [r["generator_id"] for r in listed] == ["code.complete"]
    assert "code.complete" in _cli("--report").stdout
    err = _cli("code.complete", "--set", "steps=3", code=2).stderr
    assert "steps" in err and "is not a parameter of any generator measured here" in err
