"""Genloom's example plugin: a small trained model behind an image generator."""

__version__ = "0.1.0"
