"""The local HTTP API (``genloom serve``, or the app's server): Starlette on uvicorn.

A front end like the command line and the app: it parses requests, asks
:mod:`genloom.core` (the engine, the project, :mod:`genloom.core.serving`) and words
the answers; it holds no rule of its own. Starlette and uvicorn are the ``api`` extra
and are imported only when a server starts.
"""
