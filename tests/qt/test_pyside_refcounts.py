"""Guard against Qt binding builds that leak away references to None/True/False.

PySide6 6.12.0's abi3 wheels on Python < 3.12 drop a reference to None on
every void call and to True on every ``Signal.emit(True)``; after a few
thousand calls the interpreter aborts ("none_dealloc"), which would crash the
app mid-session. pyproject keeps such versions out; this test proves the
installed one is sound, in a fresh interpreter with no workaround applied.
"""

from __future__ import annotations

import subprocess
import sys

CODE = r"""
import sys
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QWidget

class Emitter(QObject):
    flag = Signal(bool)

app = QApplication([])
widget, emitter = QWidget(), Emitter()
before = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(20000):
    widget.setObjectName("x")
    emitter.flag.emit(True)
after = sys.getrefcount(None), sys.getrefcount(True)
print(after[0] - before[0], after[1] - before[1])
"""


def test_many_qt_calls_do_not_drain_none_or_true():
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120,
                            env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    lost_none, lost_true = map(int, result.stdout.split())
    assert lost_none > -1000 and lost_true > -1000, (lost_none, lost_true)
