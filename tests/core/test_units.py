"""core.units.human_size: the one way sizes are written, in the app and the CLI."""

from __future__ import annotations

import pytest

from genloom.core.units import human_size


@pytest.mark.parametrize(("size", "shown"), [
    (0, "0 bytes"), (1023, "1023 bytes"), (1024, "1.0 KiB"), (1536, "1.5 KiB"),
    (5 * 1024**2, "5.0 MiB"), (3 * 1024**3 + 1024**3 // 5, "3.2 GiB"), (2 * 1024**4, "2.0 TiB"),
    (5000 * 1024**4, "5000.0 TiB"),
])
def test_sizes_are_written_in_binary_units(size, shown):
    assert human_size(size) == shown
