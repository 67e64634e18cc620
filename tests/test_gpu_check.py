"""tools/gpu/check.sh's figures writer: the GPU section of docs/benchmarks.md is replaced
between its markers and nothing else in the file changes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "gpu" / "write_figures.py"

BENCH = """\
NVIDIA H200 (139 GiB), torch 2.11.0, CUDA 13.0 ; 7 alternating rounds
image plugin vs diffusers cuda float16 32px           101.00 ms   vs diffusers pipeline directly          100.00 ms   ratio   1.01x   goal <= 1.03x: met   (9.9 vs 10.0 images/s)
image plugin float16 (cuda, 32px)                      90.00 ms   vs float32                              120.00 ms   ratio   0.75x   (fp16 1.33x the speed of fp32)
"""
TESTS = """\
..s.
SKIPPED [1] tests/gpu/test_gpu_paths.py:85: this onnxruntime (1.30.0) has no CUDAExecutionProvider
3 passed, 1 skipped in 41.20s
"""


def run(tmp_path: Path, doc: Path) -> subprocess.CompletedProcess:
    (tmp_path / "tests.log").write_text(TESTS, encoding="utf-8")
    (tmp_path / "bench.log").write_text(BENCH, encoding="utf-8")
    return subprocess.run([sys.executable, str(SCRIPT), "--tests", str(tmp_path / "tests.log"), "--bench",
                           str(tmp_path / "bench.log"), "--info", "NVIDIA H200, 570.1", "--doc", str(doc)],
                          capture_output=True, text=True, timeout=60)


def test_the_section_between_the_markers_is_replaced_and_the_rest_kept(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nCPU figures stay.\n\n<!-- gpu:begin -->\nold figures\n<!-- gpu:end -->\n\n"
                   "## After\n", encoding="utf-8")
    result = run(tmp_path, doc)
    assert result.returncode == 0, result.stderr
    text = doc.read_text(encoding="utf-8")
    assert "old figures" not in text
    assert text.startswith("# Benchmarks\n\nCPU figures stay.\n\n<!-- gpu:begin -->")
    assert text.endswith("<!-- gpu:end -->\n\n## After\n")
    assert "Device: NVIDIA H200, 570.1" in text
    assert "GPU tests (`pytest -m gpu tests/gpu`): 3 passed, 1 skipped" in text
    assert "no CUDAExecutionProvider" in text
    assert ("| image plugin vs diffusers cuda float16 32px | 101.00 | diffusers pipeline directly | 100.00 | "
            "1.01x | <= 1.03x: met | 9.9 vs 10.0 images/s |") in text
    assert "| image plugin float16 (cuda, 32px) | 90.00 | float32 | 120.00 | 0.75x |  |" in text
    assert text.count("<!-- gpu:begin -->") == 1 and text.count("<!-- gpu:end -->") == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_a_file_without_the_markers_gets_the_section_at_the_end(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nCPU only.\n", encoding="utf-8")
    assert run(tmp_path, doc).returncode == 0
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nCPU only.\n\n<!-- gpu:begin -->")
    assert text.rstrip().endswith("<!-- gpu:end -->")


def test_a_cut_off_run_says_so(tmp_path):
    doc = tmp_path / "missing" / "benchmarks.md"
    (tmp_path / "tests.log").write_text("..", encoding="utf-8")
    result = subprocess.run([sys.executable, str(SCRIPT), "--tests", str(tmp_path / "tests.log"), "--bench",
                             str(tmp_path / "none.log"), "--doc", str(doc)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    text = doc.read_text(encoding="utf-8")
    assert "no test summary (the run was cut off?)" in text
    assert "(no figures: the benchmark did not finish)" in text
