"""The example plugin's own tests, on Genloom's test kit (``genloom.testing``)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from genloom.sdk import ParameterError, Request, RunState
from genloom.testing import check_generator

from genloom_example.shapes import SHAPES, render

PLUGIN = "genloom_example.plugin"


@pytest.fixture
def plugins(genloom_plugins):
    manager = genloom_plugins(modules=[f"example={PLUGIN}"])
    assert manager.plugins["example"].status == "loaded", manager.plugins["example"].error
    return manager


@pytest.fixture
def generator(plugins):
    from genloom_example.generator import ShapesGenerator

    made = ShapesGenerator()
    made.load(plugins.models["example.shapes-decoder"].to_ref(), "cpu", "float32")
    yield made
    made.unload()


def _run(generator, seed=7, state=None, **params):
    values = {"shape": "circle", "tiles": 4, "tile_size": 32, **params}
    return generator.run(Request("example.shapes", values, seed=seed), state or RunState())


def test_the_plugin_offers_its_generator_and_bundled_model(plugins):
    assert list(plugins.generators) == ["example.shapes"]
    assert plugins.generator("example.shapes").default_model == "example.shapes-decoder"
    assert (plugins.models["example.shapes-decoder"].path / "model.safetensors").is_file()


def test_the_generator_meets_genloom_s_contract_with_its_bundled_model(plugins):
    model = plugins.models["example.shapes-decoder"].to_ref()
    report = check_generator(plugins.generator("example.shapes"), {"tiles": 2, "tile_size": 32},
                             model=model)
    (output,) = report.outputs
    assert output.data.startswith(b"\x89PNG") and report.progress_reports == 2
    assert report.deterministic and report.cancel_honoured


def test_a_tile_size_that_is_not_a_multiple_of_32_is_refused_when_queued(plugins):
    spec = plugins.generator("example.shapes")
    with pytest.raises(ParameterError, match="tile_size: 100 is not a multiple of 32; use 96 or 128"):
        spec.validate_params({"tile_size": 100})


def test_an_unknown_shape_is_refused_naming_the_choices(plugins):
    with pytest.raises(ParameterError, match="shape: 'hexagon'"):
        plugins.generator("example.shapes").validate_params({"shape": "hexagon"})


def test_the_decoder_draws_the_shape_it_is_asked_for(generator):
    """The trained model is good: each decoded mask is closest to its own shape's picture."""
    import torch

    from genloom_example.net import decoder_input

    codes = np.random.default_rng(3).uniform(-1, 1, (16, 3))
    for index, shape in enumerate(SHAPES):
        with torch.no_grad():
            made = generator.net(decoder_input(torch.full((16,), index), torch.from_numpy(codes).float()))
        made = made[:, 0].numpy()
        errors = {other: float(((made - render(np.full(16, j), codes)) ** 2).mean())
                  for j, other in enumerate(SHAPES)}
        assert min(errors, key=errors.get) == shape, errors
        assert errors[shape] < 0.02, (shape, errors[shape])


def test_the_same_seed_gives_the_same_sheet_and_another_seed_another(generator):
    first, again, other = _run(generator, seed=11), _run(generator, seed=11), _run(generator, seed=12)
    assert first[0].data == again[0].data
    assert first[0].data != other[0].data


def test_each_tile_reports_progress_with_a_preview(generator):
    state = RunState()
    _run(generator, state=state, tiles=3)
    assert [(r.step, r.total) for r in state.reports] == [(1, 3), (2, 3), (3, 3)]
    assert all(r.preview and r.preview.startswith(b"\xff\xd8") for r in state.reports)  # JPEG


def test_cancelling_after_a_tile_keeps_the_tiles_drawn_as_a_partial_sheet(generator):
    state = RunState(report=lambda progress: state.cancel())  # cancel at the first report
    (output,) = _run(generator, state=state, tiles=4)
    assert output.partial and output.metadata["tiles"] == 1


def test_metadata_records_what_a_reader_needs(generator):
    (output,) = _run(generator, tiles=2, shape="triangle")
    meta = output.metadata
    assert meta["shape"] == "triangle" and meta["model"] == "example.shapes-decoder"
    assert len(meta["codes"]) == 2 and all(-1 <= v <= 1 for row in meta["codes"] for v in row)


def test_importing_the_plugin_loads_no_torch():
    code = f"import sys, {PLUGIN}; print(sorted(m for m in ('torch', 'safetensors.torch') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
