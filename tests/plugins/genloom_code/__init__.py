"""Tests of the code plugin."""
