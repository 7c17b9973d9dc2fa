"""Limits uvicorn does not set by itself, so slow or idle clients cannot hold the server's sockets.

uvicorn times out idle keep-alive connections, but not a client that sends part of its request
headers and then waits: each such client keeps a file descriptor for as long as it likes, and a
thousand of them exhaust a default `ulimit -n 1024`. `HeaderDeadline` closes a connection whose
request headers are not complete within HEADER_SECONDS, and under pressure (more connections than
half the descriptors allow) each new connection closes those stalled for over PRESSED_SECONDS, so
slow clients cannot starve quick ones. Request bodies are read under BODY_SECONDS
(bot.wecom.endpoint.read_body); beyond MAX_CONNECTIONS uvicorn answers 503.
"""
from __future__ import annotations

import asyncio
import resource
import time

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_SECONDS = 10.0
PRESSED_SECONDS = 1.0
BODY_SECONDS = 10.0
MAX_CONNECTIONS = 400          # uvicorn's limit_concurrency: 503 beyond it (LimitNOFILE is far above)
GRACEFUL_SHUTDOWN_SECONDS = 5  # in-flight requests get this long after SIGTERM


class HeaderDeadline:
    """A uvicorn HTTP protocol mixin: the connection closes unless a request's headers arrive in time."""

    header_seconds = HEADER_SECONDS
    _deadline: asyncio.TimerHandle | None = None
    _waiting_since: float | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()
        connections = self.connections  # type: ignore[attr-defined]  # the server's, shared
        if len(connections) > pressure_threshold():
            now = time.monotonic()
            for other in list(connections):
                since = getattr(other, "_waiting_since", None)
                if other is not self and since is not None and now - since > PRESSED_SECONDS:
                    other._too_slow()

    def data_received(self, data: bytes) -> None:
        if self._idle() and self._deadline is None:  # the next request on a kept-alive connection
            self._arm()
        super().data_received(data)  # type: ignore[misc]
        if not self._idle():
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def _idle(self) -> bool:
        cycle = self.cycle  # type: ignore[attr-defined]
        return cycle is None or cycle.response_complete

    def _arm(self) -> None:
        self._waiting_since = time.monotonic()
        self._deadline = self.loop.call_later(self.header_seconds, self._too_slow)  # type: ignore[attr-defined]

    def _disarm(self) -> None:
        self._waiting_since = None
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._disarm()
        if self._idle():
            self.transport.close()  # type: ignore[attr-defined]


def pressure_threshold() -> int:
    """Half the process's file descriptors: past it, stalled clients give way to new ones."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(16, soft // 2) if soft != resource.RLIM_INFINITY else 1 << 20


def protocol_class() -> type:
    """uvicorn's fastest available HTTP protocol, with the header deadline."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # httptools is optional in uvicorn
        return type("TimedH11Protocol", (HeaderDeadline, H11Protocol), {})
    return type("TimedHttpToolsProtocol", (HeaderDeadline, HttpToolsProtocol), {})
