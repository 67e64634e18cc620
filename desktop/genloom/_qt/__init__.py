"""The Qt shell: the only package that imports PySide6.

Views here are thin adapters over plain-Python models in ``genloom.core``:
the engine and the project emit events on their own threads, and
:class:`~genloom._qt.bridge.EngineBridge` re-emits them as queued Qt signals on
the GUI thread, so no worker thread ever touches a widget.
"""
