"""uvicorn serving the HTTP application in a thread of the gRPC server's process.

The socket is bound in ``start`` (so a taken port fails at once, like gRPC's), then uvicorn
runs its own event loop in a background thread; signals stay with the main thread, which
drains both transports (``NewsfuseServer.stop``).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time

import uvicorn

from newsfuse.http.app import HttpApi
from newsfuse.settings import Settings

_LOGGER = logging.getLogger(__name__)


class HttpServer:
    """One uvicorn server for ``api`` on ``settings.host:settings.http_port``."""

    def __init__(self, api: HttpApi, settings: Settings) -> None:
        self.api = api
        self.settings = settings
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 30.0) -> int:
        """Bind and start serving; the bound port. Raises ``OSError`` when it cannot."""
        s = self.settings
        sock = _bind(s.host, s.http_port or 0)
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.api.app,
            log_config=None,  # the process's logging as configured (no uvicorn formatters)
            access_log=False,  # one line per call comes from the app, without document text
            lifespan="off",
            ws="none",
            server_header=False,
            ssl_certfile=s.tls_cert,
            ssl_keyfile=s.tls_key,
            # Calls in flight are awaited by the drain before this server is stopped.
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        self._server = server
        failure: list[BaseException] = []

        def run() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as exc:  # noqa: BLE001 - reported to start() and the log
                failure.append(exc)
                _LOGGER.error("the HTTP server stopped", exc_info=exc)
            finally:
                sock.close()

        self._thread = threading.Thread(target=run, name="http-server", daemon=True)
        self._thread.start()
        end = time.monotonic() + timeout
        while not server.started:
            if failure or not self._thread.is_alive() or time.monotonic() > end:
                self.stop(0)
                raise OSError(f"the HTTP server did not start on port {self.port}: {failure}")
            time.sleep(0.01)
        _LOGGER.info(
            "HTTP on %s://%s:%d/ (API /v1, page /)",
            "https" if s.tls_cert else "http",
            s.host,
            self.port,
        )
        return self.port

    def stop(self, timeout: float = 5.0) -> None:
        """Close the port; connections still open get ``timeout`` seconds, then go."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(1.0)
        self.api.close()


def _bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (IPv4 or IPv6 by the host's address family)."""
    infos = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            with contextlib.suppress(OSError):  # also take IPv4 where the system allows
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(address)
        sock.listen(2048)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
