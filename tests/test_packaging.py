"""The distribution ships every package and registers every built-in plugin."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_on_disk_is_listed_in_pyproject():
    config = _pyproject()["tool"]["setuptools"]
    listed = set(config["packages"])
    package_dir = config["package-dir"]
    on_disk = set()
    for base, prefix in ((ROOT / "desktop", ""), (ROOT / "plugins", "")):
        for init in base.rglob("__init__.py"):
            parts = init.parent.relative_to(base).parts
            on_disk.add(prefix + ".".join(parts))
    on_disk.add("genloom.resources")
    assert package_dir["genloom.resources"] == "resources"
    assert on_disk - listed == set(), "add these packages to [tool.setuptools] packages"


def test_every_builtin_plugin_package_has_an_entry_point():
    entry_points = _pyproject()["project"]["entry-points"]["genloom.plugins"]
    plugin_packages = {p.name for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").is_file()}
    registered = {value.split(".")[0] for value in entry_points.values()}
    assert plugin_packages == registered


