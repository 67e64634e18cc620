"""``python -m genloom_code.benchmark``: see ``runner``."""

from genloom_code.benchmark.runner import main

main()
