"""How sizes are shown to people: one rule for the app and the command line."""

from __future__ import annotations

_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB")


def human_size(size: int) -> str:
    """``size`` bytes in binary units, one decimal above a KiB: ``512 bytes``, ``1.5 KiB``, ``3.2 GiB``."""
    value = float(size)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable: the last unit always returns")
