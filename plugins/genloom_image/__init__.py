"""Built-in image generators (work in progress; see the issue tracker)."""

__version__ = "0.1.0"
