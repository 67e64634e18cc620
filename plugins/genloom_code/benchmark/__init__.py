"""A small function-completion benchmark for code models (see ``runner``)."""
