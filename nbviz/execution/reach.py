"""Is a Ray cluster's address answering? A TCP check before ``ray.init``, which would retry for minutes."""

from __future__ import annotations

import socket

__all__ = ["CONNECT_TIMEOUT", "check_reachable"]

#: seconds ``use_ray(address=...)`` waits for a cluster's address to answer before it gives up
CONNECT_TIMEOUT = 5.0


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Raise :class:`ConnectionError` unless a TCP connection to ``address`` (``host:port`` or
    ``ray://host:port``) opens within ``timeout`` seconds. ``"auto"``/``"local"`` are not checked."""
    if address in ("auto", "local"):
        return
    bare = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = bare.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"address: expected 'host:port', 'ray://host:port', 'auto' or None, got {address!r}")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as error:
        raise ConnectionError(
            f"address: no Ray cluster answers at {address!r} (within {timeout:g} s: {error}); "
            "start one with `ray start --head` or check the host and port"
        ) from None
