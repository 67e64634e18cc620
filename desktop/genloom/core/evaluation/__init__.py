"""Evaluation: judgements, leaderboards, sweeps (and metrics). No Qt.

Each part is its own module, imported by name (``genloom.core.evaluation.judgements``);
this package imports nothing, so each stays cheap and independent.
"""
