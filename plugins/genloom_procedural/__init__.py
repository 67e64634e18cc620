"""Procedural generators that need no model: seeded noise patterns and tone sketches.

They make something useful on a fresh install with no GPU and no model (a
texture, a test tone), and exercise the whole pipeline (progress, previews,
cancellation, recipes) in a few milliseconds.
"""

__version__ = "0.1.0"
