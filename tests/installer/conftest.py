"""The installer is a standalone program (installer/genloom_installer, standard library only),
not part of the genloom package: its tests import it from the checkout."""

from __future__ import annotations

import sys
from pathlib import Path

INSTALLER = Path(__file__).resolve().parents[2] / "installer"
if str(INSTALLER) not in sys.path:
    sys.path.insert(0, str(INSTALLER))
