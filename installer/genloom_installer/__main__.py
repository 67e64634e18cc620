"""``python -m genloom_installer``."""

from genloom_installer.cli import main

raise SystemExit(main())
