"""The Qt shell: the only package that imports PySide6.

Views here are thin adapters over plain-Python models in ``genloom.core``:
the engine, the project and the model library emit events on their own threads,
and the relays of :mod:`genloom._qt.relay` re-emit them as queued Qt signals on
the GUI thread, so no worker thread ever touches a widget. Views ask core for
every rule (filters, orders, which generator takes an asset) instead of restating it.
"""
