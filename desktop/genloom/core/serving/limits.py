"""Where the API may listen and how much one client may ask of it."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from genloom.sdk.errors import GenloomError, ParameterError

#: The address the API listens on unless told otherwise: this machine only.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


@dataclass(frozen=True)
class ApiLimits:
    """What one request and one client may ask for."""

    #: The largest request body accepted (413 beyond it): prompts and parameters, never media.
    max_request_bytes: int = 1024 * 1024
    #: Jobs one client may have queued or running at once (429 beyond it).
    max_queued_per_client: int = 32

    def __post_init__(self) -> None:
        if self.max_request_bytes < 1024:
            raise ParameterError("max_request_bytes", self.max_request_bytes, "is too small",
                                 "use at least 1024")
        if self.max_queued_per_client < 1:
            raise ParameterError("max_queued_per_client", self.max_queued_per_client,
                                 "must be at least 1")


class RequestTooLarge(GenloomError):
    """A request body over :attr:`ApiLimits.max_request_bytes`."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request is larger than the limit of {limit} bytes; send a "
                         "smaller request (media goes in as project assets, not inline)")


class TooManyJobs(GenloomError):
    """A client with as many unfinished jobs as it may have."""

    def __init__(self, limit: int, unfinished: int) -> None:
        super().__init__(f"this client has {unfinished} jobs queued or running, and the limit "
                         f"is {limit}; wait for some to finish, or cancel some")


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind_host(host: str, allow_remote: bool) -> str | None:
    """Check the address to listen on; return a warning to show when it is not loopback.

    Raises ParameterError when another address is asked for without ``allow_remote``:
    listening beyond this machine is a decision the user states, never a default.
    """
    if not isinstance(host, str) or not host.strip():
        raise ParameterError("host", host, "is not an address", f"use {DEFAULT_HOST}")
    if is_loopback(host):
        return None
    if not allow_remote:
        raise ParameterError("host", host, "is reachable from other machines",
                             "allow that explicitly (allow_remote) or listen on 127.0.0.1")
    return (f"the API listens on {host}, so other machines can reach it: anyone holding the token "
            "can run jobs and read this project's assets; keep it on a private network")


def check_port(port: int) -> int:
    """A TCP port to listen on (0: any free one)."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ParameterError("port", port, "is not a TCP port", "use 1024 to 65535, or 0 for any free one")
    return port


class ClientQuota:
    """Counts each client's unfinished jobs against :attr:`ApiLimits.max_queued_per_client`.

    ``unfinished_of(ids)`` says which of the ids are still queued or running (it asks the
    project, the source of truth); a client is whatever the server names it (its address).
    Thread-safe: checking and adding happen under one lock, so two requests at once cannot
    both take the last place.
    """

    def __init__(self, limit: int, unfinished_of: Callable[[set[int]], set[int]]) -> None:
        self.limit = limit
        self._unfinished_of = unfinished_of
        self._jobs: dict[str, set[int]] = {}
        self._lock = threading.Lock()

    def unfinished(self, client: str) -> int:
        with self._lock:
            return self._prune(client)

    def _prune(self, client: str) -> int:
        jobs = self._jobs.get(client)
        if not jobs:
            return 0
        jobs &= self._unfinished_of(jobs)
        return len(jobs)

    def admit(self, client: str, adding: int, submit: Callable[[], Iterable[int]]) -> list[int]:
        """Run ``submit`` (which queues jobs and returns their ids) when ``adding`` more jobs
        stay within the limit; TooManyJobs otherwise."""
        with self._lock:
            unfinished = self._prune(client)
            if unfinished + adding > self.limit:
                raise TooManyJobs(self.limit, unfinished)
            ids = list(submit())
            self._jobs.setdefault(client, set()).update(ids)
            return ids
