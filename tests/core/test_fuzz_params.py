"""Property-based: any parameters, seed, model or device given to any built-in generator
through Engine.submit or the CLI give a ParameterError/InputError or a queued job, never
another exception (and never a traceback from the CLI)."""

from __future__ import annotations

import contextlib
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genloom.core.jobs.engine import Engine
from genloom.sdk import InputError, ParameterError

BUILT_IN = ["genloom_procedural.plugin", "genloom_image.plugin", "genloom_text.plugin",
            "genloom_code.plugin"]

_values = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=-100, max_value=5000),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.sampled_from(["~nouser/a.safetensors", "a" * 300 + ".safetensors", "x\0y", "\udcff",
                     "lora.safetensors=nan", "../../etc/passwd", ""]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                         max_size=2))


@pytest.fixture(scope="module")
def plugins():
    from genloom.testing.conformance import isolated_plugins

    manager = isolated_plugins(modules=BUILT_IN)
    assert not manager.failed(), [r.error for r in manager.failed()]
    return manager


def _params_for(spec):
    names = [p.name for p in spec.params] + ["not_a_param"]
    return st.dictionaries(st.sampled_from(names), _values, max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_submit_raises_only_parameter_or_input_errors(plugins, tmp_path_factory, data):
    from genloom.core.project import Project

    root = tmp_path_factory.mktemp("fuzz")
    with Project.create(root / "p") as project:
        engine = Engine(project, plugins)
        spec = plugins.generators[data.draw(st.sampled_from(sorted(plugins.generators)))]
        params = data.draw(_params_for(spec))
        seed = data.draw(st.one_of(st.none(), _values))
        model = data.draw(st.one_of(st.none(), st.text(max_size=20), _values))
        device = data.draw(st.one_of(st.none(), st.sampled_from(["cpu", "banana", "cuda:x"]),
                                     _values))
        inputs = data.draw(st.one_of(st.none(), st.dictionaries(
            st.sampled_from(["image", "mask", "x"]), _values, max_size=2)))
        try:
            jobs = engine.submit(spec.id, params, seed=seed, model=model, device=device,
                                 inputs=inputs)
        except (ParameterError, InputError):
            assert project.jobs.list() == []
            return
        assert len(jobs) == 1


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_the_cli_gives_messages_not_tracebacks(plugins, tmp_path_factory, monkeypatch_module, data):
    from genloom.cli.main import main

    spec = plugins.generators[data.draw(st.sampled_from(sorted(plugins.generators)))]
    names = [p.name for p in spec.params] + ["nope"]
    sets = data.draw(st.lists(st.tuples(st.sampled_from(names), st.text(max_size=30)),
                              max_size=4))
    argv = ["generate", spec.id, "--queue-only", "--project",
            str(tmp_path_factory.mktemp("cli") / "p")]
    for name, value in sets:
        argv += ["--set", f"{name}={value}"]
    for flag, strategy in (("--model", st.text(max_size=20)), ("--device", st.text(max_size=8)),
                           ("--input", st.text(max_size=12))):
        if data.draw(st.booleans()):
            argv += [flag + "=" + data.draw(strategy)]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse's own usage errors
            code = exit_.code
    assert code in (0, 2, 3), (argv, err.getvalue())  # 3: a --model or generator not found
    assert "Traceback" not in err.getvalue()


@pytest.fixture(scope="module")
def monkeypatch_module(tmp_path_factory):
    """The CLI in this process reads settings from GENLOOM_HOME: a private one."""
    mp = pytest.MonkeyPatch()
    mp.setenv("GENLOOM_HOME", str(tmp_path_factory.mktemp("home")))
    mp.setenv("GENLOOM_DISABLE_PLUGINS", "")
    yield mp
    mp.undo()
