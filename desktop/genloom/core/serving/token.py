"""The API's bearer token: made on first use, kept readable only by the user.

The token lives in Genloom's config folder (``GENLOOM_HOME/config/api-token`` when
``GENLOOM_HOME`` is set). It is written atomically with mode 0600 from the start (never
created readable and then narrowed), and a token file that others can read is refused
rather than trusted: a token that may have leaked is not a secret.
"""

from __future__ import annotations

import hmac
import os
import secrets
import stat
import sys
from pathlib import Path

from genloom.core import paths
from genloom.sdk.errors import GenloomError

#: Bytes of randomness in a token (256 bits), written as URL-safe base64.
TOKEN_BYTES = 32


class TokenFileError(GenloomError):
    """The token file cannot be used; the message says why and how to mend it."""


def token_path() -> Path:
    """Where the token is kept."""
    return paths.config_dir() / "api-token"


def load_or_create_token(path: Path | None = None) -> str:
    """The API token, made (and saved, mode 0600) the first time it is asked for."""
    path = path or token_path()
    try:
        return read_token(path)
    except FileNotFoundError:
        pass
    token = secrets.token_urlsafe(TOKEN_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(token + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # Two servers starting at once: the first token written wins, both use it.
            os.link(tmp, path)
        except FileExistsError:
            return read_token(path)
    finally:
        tmp.unlink(missing_ok=True)
    return token


def read_token(path: Path | None = None) -> str:
    """The saved token; FileNotFoundError when there is none yet."""
    path = path or token_path()
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode):
        raise TokenFileError(f"the API token file {path} is not a regular file; delete it and a "
                             "new token is made at the next start")
    if sys.platform != "win32" and info.st_mode & 0o077:
        raise TokenFileError(f"the API token file {path} can be read by other users (mode "
                             f"{stat.S_IMODE(info.st_mode):o}); delete it and a new token is made "
                             "at the next start (the old one may have leaked)")
    token = path.read_text(encoding="ascii", errors="replace").strip()
    if len(token) < 32:
        raise TokenFileError(f"the API token file {path} holds no usable token; delete it and a "
                             "new one is made at the next start")
    return token


def token_matches(given: str | None, expected: str) -> bool:
    """True when ``given`` is the token; compared in constant time."""
    if not given:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header, or None."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
