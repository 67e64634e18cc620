"""Genloom's installer: uv gets Python and the locked dependency set for the machine's GPU,
then Genloom itself, a smoke test, a desktop entry and a log; update, repair, uninstall and
offline bundles. Standard library only: it runs before any environment exists.

    python -m genloom_installer install      (or installer/install.sh, install.ps1)
"""

__version__ = "1.0"
