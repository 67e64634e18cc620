"""Tests of the text plugin."""
