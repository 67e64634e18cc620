"""``genloom-app``: start the desktop application (the stages are in :mod:`genloom._qt.startup`)."""

from __future__ import annotations

from genloom._qt.startup import (
    after_first_paint,
    close_on_sigterm,
    finish_startup,
    start_application,
)


def main(argv: list[str] | None = None) -> int:
    """Show the frame first, then fill it and start the engine from the event loop."""
    app, window, _settings = start_application(argv)

    def complete() -> None:
        first_run = finish_startup(window, argv)
        window.start_engine()
        if first_run:
            from genloom._qt.welcome import welcome

            welcome(window)

    _watcher = after_first_paint(window, complete)
    _sigterm = close_on_sigterm(window)
    window.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
