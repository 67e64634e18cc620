"""Run the API: uvicorn serving :func:`create_app` on a thread of its own.

Used by ``genloom serve`` and by the app (Settings > Local API). The address is
checked by core (:func:`genloom.core.serving.limits.check_bind_host`): loopback
unless another one is allowed explicitly.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from genloom.api.service import ApiService
from genloom.core.serving.limits import DEFAULT_HOST, ApiLimits, check_bind_host, check_port
from genloom.core.serving.token import load_or_create_token
from genloom.sdk.errors import GenloomError

if TYPE_CHECKING:
    from genloom.core.jobs.engine import Engine


class ApiUnavailable(GenloomError):
    """The API cannot run: its extra is not installed, or the address cannot be used."""


def require_api_extra() -> None:
    """Raise ApiUnavailable, with the install command, when Starlette or uvicorn is missing."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise ApiUnavailable(f"the local API needs the 'api' extra ({exc.name} is not installed); "
                             "install it with: pip install 'genloom[api]'") from None


class ApiServer:
    """The API on ``host:port`` (port 0: any free one), serving ``engine``'s project.

    ``warning`` is set when the address is reachable from other machines. The token is
    Genloom's (made on first use) unless one is given.
    """

    def __init__(self, engine: Engine, host: str = DEFAULT_HOST, port: int = 0, *,
                 allow_remote: bool = False, limits: ApiLimits | None = None,
                 token: str | None = None) -> None:
        self.warning = check_bind_host(host, allow_remote)
        self.host = host
        self.port = check_port(port)
        require_api_extra()
        self.service = ApiService(engine, token or load_or_create_token(), limits)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def token(self) -> str:
        return self.service.token

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) the server listens on, once started."""
        if self._server is None or not self._server.servers:
            return self.host, self.port
        sockname = self._server.servers[0].sockets[0].getsockname()
        return sockname[0], sockname[1]

    @property
    def url(self) -> str:
        host, port = self.address
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    def start(self, timeout: float = 30.0) -> ApiServer:
        """Start listening; returns once the socket is bound (ApiUnavailable if it cannot be)."""
        import uvicorn

        from genloom.api.app import create_app

        config = uvicorn.Config(create_app(self.service), host=self.host, port=self.port,
                                log_level="warning", lifespan="off", access_log=False,
                                timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="genloom-api", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                why = f": {self._error}" if self._error else ""
                raise ApiUnavailable(f"the API could not listen on {self.host}:{self.port}{why} "
                                     "(another program may use the port; choose another)")
            time.sleep(0.02)
        return self

    def _serve(self) -> None:
        try:
            self._server.run()
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self._error = exc

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and bool(self._server.started)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop listening and end open streams."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout=timeout)
        self.service.close()
