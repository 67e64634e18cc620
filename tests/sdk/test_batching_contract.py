"""The batching contract (SDK 1.1): one output per seed, each as its seed makes it alone,
checked by the conformance suite plugin authors run."""

from __future__ import annotations

import pytest

from genloom.sdk import GeneratorSpec, Request
from genloom.testing import check_generator


def test_conformance_passes_a_batching_generator_that_keeps_the_contract(fixture_plugins, tmp_path):
    report = check_generator(fixture_plugins.generator("gltest_basic.tiles"), check_cancel=False, workdir=tmp_path)
    assert report.batch_matches_alone is True
    assert "a batch makes one output per seed, each as its seed alone" in report.checks


def test_conformance_fails_a_batching_generator_that_drops_a_seed(fixture_plugins, tmp_path):
    spec = fixture_plugins.generator("gltest_basic.tiles")
    with pytest.raises(AssertionError, match=r"a run given seeds \[1234, 1235\] returned 1 outputs"):
        check_generator(spec, {"short": True}, check_cancel=False, check_determinism=False, workdir=tmp_path)


def test_a_request_carries_its_seeds_and_seed_is_the_first():
    assert Request("a.b", {}, seed=7).seeds == (7,)
    assert Request("a.b", {}, seed=7, seeds=(7, 8)).seeds == (7, 8)
    with pytest.raises(ValueError, match="seed 7 is not the first of seeds"):
        Request("a.b", {}, seed=7, seeds=(8, 9))


def test_a_spec_refuses_a_batch_size_out_of_range():
    with pytest.raises(ValueError, match="batch_size 0 is not a whole number from 1 to 64"):
        GeneratorSpec(id="a.b", modality="text", title="B", factory=object, batch_size=0)
