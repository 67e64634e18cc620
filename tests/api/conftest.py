"""A real API server (uvicorn on an ephemeral port of 127.0.0.1) on a real engine and project."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the local API needs the 'api' extra (starlette, uvicorn)")
pytest.importorskip("uvicorn", reason="the local API needs the 'api' extra (starlette, uvicorn)")



@pytest.fixture
def served_plugins(genloom_home: Any) -> Any:
    """The installed plugins, found as the command line finds them (entry points; the
    user plugin folder is the test home's, empty), so recipes name them the same way."""
    from genloom.core.plugins import PluginConfig, PluginManager
    from genloom.core.settings import Settings

    return PluginManager(PluginConfig.from_settings(Settings())).load()


@pytest.fixture
def api_server(served_plugins: Any, genloom_project: Any) -> Iterator[Callable[..., Any]]:
    """Factory: ``api_server(**limits)`` -> a started ApiServer with a started engine."""
    from genloom.api.server import ApiServer
    from genloom.core.jobs.engine import Engine
    from genloom.core.serving.limits import ApiLimits
    from genloom.core.settings import Settings

    made: list[tuple[Any, Any]] = []

    def make(**limits: Any) -> Any:
        engine = Engine(genloom_project, served_plugins, Settings(device="cpu")).start()
        server = ApiServer(engine, "127.0.0.1", 0, limits=ApiLimits(**limits)).start()
        made.append((server, engine))
        return server

    yield make
    for server, engine in made:
        server.stop()
        engine.stop()


@pytest.fixture
def openai_client(api_server: Callable[..., Any]) -> Any:
    openai = pytest.importorskip("openai", reason="the API tests use the official openai client")
    server = api_server()
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=server.token, max_retries=0, timeout=300)
    client.genloom_server = server
    return client
