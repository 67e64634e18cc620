"""Genloom's example plugin: a small trained model behind an image generator."""

__version__ = "0.1.0"

# Genloom loads the hooks from genloom_example.plugin (the entry point); the package
# re-exports them so `genloom plugin validate src/genloom_example` finds them here too.
from genloom_example.plugin import genloom_register_generators, genloom_register_models  # noqa: E402,F401
