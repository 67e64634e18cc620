"""Tests of the built-in plugins (mirrors plugins/)."""
