"""``python -m genloom`` runs the command line."""

from genloom.cli.main import main

raise SystemExit(main())
