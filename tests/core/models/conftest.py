"""Fixtures for the model library tests: tiny real-format model files."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def onnx_file(tmp_path_factory) -> Path:
    """A real ONNX file: a 3->2 linear layer exported by torch (input ``x``)."""
    from tests.core.models import builders

    return builders.onnx_model(tmp_path_factory.mktemp("onnx") / "linear.onnx")
