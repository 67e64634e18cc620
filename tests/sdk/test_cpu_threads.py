"""One CPU thread count for models: the user's setting reaches the worker, torch and ONNX
Runtime follow it (so the two backends are compared with the same threads); and the worker's
OpenMP threads do not spin away a busy machine's time slices."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from genloom.core.settings import Settings, SettingsError
from genloom.sdk.runtime import (
    CPU_THREADS_ENV,
    THREAD_POOL_DEFAULTS,
    cpu_threads,
    onnx_session,
    set_cpu_threads,
    thread_pool_environment,
)

PLUGIN = textwrap.dedent('''
    """Reports the thread counts its torch and environment see."""
    import os

    from genloom.sdk import BoolParam, GeneratorSpec, Output, hookimpl


    class Threads:
        def load(self, model, device, dtype):
            import torch  # imported at load, like a model-backed generator

            self.threads = torch.get_num_threads

        def run(self, request, state):
            if request.params.get("pools"):
                return [Output(kind="text", text=" ".join(os.environ.get(k, "-") for k in ("GOMP_SPINCOUNT", "KMP_BLOCKTIME")))]
            return [Output(kind="text", text=f"{os.environ.get('GENLOOM_CPU_THREADS', '')} {self.threads()}")]

        def unload(self):
            pass


    @hookimpl
    def genloom_register_generators():
        return [GeneratorSpec(id="glthreads.report", modality="text", title="Threads", factory=Threads,
                              params=[BoolParam("pools", default=False)])]
''')


@pytest.fixture
def restore_threads(monkeypatch):
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    monkeypatch.delenv(CPU_THREADS_ENV, raising=False)
    yield torch
    torch.set_num_threads(before)


def test_set_cpu_threads_applies_to_torch_and_zero_means_the_default(restore_threads, monkeypatch):
    torch = restore_threads
    set_cpu_threads(1)
    assert cpu_threads() == 1 and torch.get_num_threads() == 1
    set_cpu_threads(0)
    assert cpu_threads() == 0
    monkeypatch.setenv(CPU_THREADS_ENV, "many")
    assert cpu_threads() == 0  # a bad value never breaks a run


def test_an_onnx_session_gets_the_same_threads_unless_the_plugin_chose(tmp_path, monkeypatch):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, tmp_path / "relu.onnx")
    monkeypatch.setenv(CPU_THREADS_ENV, "1")
    session, _ = onnx_session(tmp_path / "relu.onnx", "cpu")
    assert session.get_session_options().intra_op_num_threads == 1
    import onnxruntime as ort

    own = ort.SessionOptions()
    own.intra_op_num_threads = 2
    session, _ = onnx_session(tmp_path / "relu.onnx", "cpu", session_options=own)
    assert session.get_session_options().intra_op_num_threads == 2


def test_the_setting_reaches_the_workers_torch(tmp_path, genloom_plugins, genloom_engine):
    (tmp_path / "glthreads.py").write_text(PLUGIN, encoding="utf-8")
    engine = genloom_engine(genloom_plugins(dirs=[tmp_path]), cpu_threads=1)
    (job,) = engine.submit("glthreads.report", {})
    (done,) = engine.wait([job.id], timeout=120)
    assert done.state == "done", done.error
    text = engine.project.asset_path(engine.project.get_asset(done.asset_ids[0])).read_text()
    assert text == "1 1"


def test_a_bad_thread_count_is_refused_with_the_fix():
    with pytest.raises(SettingsError, match="cpu_threads: -2 is not a thread count; use 1 to the number"):
        Settings(cpu_threads=-2).validate()


def _report(engine, params):
    (job,) = engine.submit("glthreads.report", params)
    (done,) = engine.wait([job.id], timeout=120)
    assert done.state == "done", done.error
    return engine.project.asset_path(engine.project.get_asset(done.asset_ids[0])).read_text()


def test_the_worker_starts_with_short_openmp_spins(tmp_path, genloom_plugins, genloom_engine, monkeypatch):
    # The OpenMP runtime reads these when torch loads it, so they must be in the environment
    # the worker starts with (a busy machine made the bundled image model ~200x slower).
    for key in THREAD_POOL_DEFAULTS:
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "glthreads.py").write_text(PLUGIN, encoding="utf-8")
    engine = genloom_engine(genloom_plugins(dirs=[tmp_path]))
    assert _report(engine, {"pools": True}) == "1000 1"


def test_a_spin_setting_of_the_users_own_reaches_the_worker_unchanged(tmp_path, genloom_plugins,
                                                                      genloom_engine, monkeypatch):
    monkeypatch.setenv("GOMP_SPINCOUNT", "20000")
    monkeypatch.delenv("KMP_BLOCKTIME", raising=False)
    (tmp_path / "glthreads.py").write_text(PLUGIN, encoding="utf-8")
    engine = genloom_engine(genloom_plugins(dirs=[tmp_path]))
    assert _report(engine, {"pools": True}) == "20000 1"


def test_thread_pool_environment_adds_only_what_is_missing():
    env = thread_pool_environment({"PATH": "/bin", "KMP_BLOCKTIME": "0"})
    assert env == {"PATH": "/bin", "KMP_BLOCKTIME": "0", "GOMP_SPINCOUNT": "1000"}


@pytest.mark.parametrize("torch_first", [False, True])
def test_applying_the_defaults_in_process_says_whether_torch_will_see_them(torch_first):
    if torch_first:
        pytest.importorskip("torch")
    code = ("import os, sys\n"
            + ("import torch\n" if torch_first else "")
            + "from genloom.sdk.runtime import apply_thread_pool_defaults\n"
            "took = apply_thread_pool_defaults()\n"
            "print(took, os.environ['GOMP_SPINCOUNT'], os.environ['KMP_BLOCKTIME'])\n")
    env = {k: v for k, v in os.environ.items() if k not in THREAD_POOL_DEFAULTS}
    env["KMP_BLOCKTIME"] = "7"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(not torch_first), "1000", "7"]
