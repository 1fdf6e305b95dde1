"""The newsfuse gRPC server: Summarizer, health, reflection, metrics, auth, graceful drain.

A transport around one ``SummarizerService`` (the core); with ``Settings.http_port`` the
HTTP/JSON transport (``newsfuse.http``) serves the same service, batchers and metrics from
the same process. Start-up order: the ports open at once with health NOT_SERVING (Summarizer
calls get UNAVAILABLE); the service loads and warms up its models in a background thread;
health follows the service's state and turns SERVING. ``stop`` (SIGTERM/SIGINT under
``run``) drains the service (health NOT_SERVING, HTTP ``/readyz`` 503), refuses new calls on
both transports, lets calls in flight finish within the grace period, then exits.

Health has two meanings, asked by service name (``grpc.health.v1``):

* readiness, ``""`` and ``newsfuse.v1.Summarizer``: SERVING only while Summarizer calls are
  taken (models warm, not draining);
* liveness, ``newsfuse.liveness``: SERVING for as long as the process answers, loading and
  draining included, so that an orchestrator restarts only a server that stopped answering.
"""

from __future__ import annotations

import hmac
import logging
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from newsfuse.api import ServiceState
from newsfuse.engine import Engine
from newsfuse.errors import Unauthenticated
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc
from newsfuse.server.metrics import Metrics
from newsfuse.server.servicer import SERVICE_NAME, SummarizerServicer
from newsfuse.server.status import abort
from newsfuse.service import PipelineFactory, SummarizerService
from newsfuse.settings import Settings
from newsfuse.wire import status_of

_LOGGER = logging.getLogger(__name__)

HEALTH_SERVICE_NAME = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
SERVICE_NAMES = (SERVICE_NAME, HEALTH_SERVICE_NAME, reflection.SERVICE_NAME)
READINESS_SERVICE_NAMES = ("", SERVICE_NAME)
"""Health service names that say "send me calls": NOT_SERVING while loading and draining."""
LIVENESS_SERVICE_NAME = "newsfuse.liveness"
"""Health service name that says "this process answers": SERVING from start to exit."""

# After the grace period, how long calls still running get to answer UNAVAILABLE.
_ANSWER_SECONDS = 2.0
# Then how long answers already given get to reach their callers before the rest is cancelled.
_DELIVER_SECONDS = 1.0
# Once our calls are over, the port stays open (refusing) until no call has come for
# _QUIET_SECONDS, _LINGER_SECONDS at most: a caller whose answer just went out and who calls
# again at once gets its refusal rather than a call cut by the closing port (CANCELLED).
_QUIET_SECONDS = 0.25
_LINGER_SECONDS = 1.0
# Then how long gRPC lets other calls (refusals being sent) finish before cancelling them.
_CLOSE_SECONDS = 1.0
DRAIN_OVERRUN_SECONDS = _ANSWER_SECONDS + _DELIVER_SECONDS + _LINGER_SECONDS + _CLOSE_SECONDS
"""The longest a drain runs past ``grace_seconds`` (orchestrators' kill timeouts must cover it)."""


class _BearerAuth(grpc.ServerInterceptor):
    """Requires ``authorization: Bearer <token>``; health stays open for probes."""

    def __init__(self, token: str, metrics: Metrics) -> None:
        self._expected = f"Bearer {token}".encode()
        self._metrics = metrics

        denied = status_of(Unauthenticated("missing or wrong bearer token"), "")

        def deny(request: Any, context: grpc.ServicerContext) -> None:
            abort(context, denied)

        self._deny = grpc.unary_unary_rpc_method_handler(deny)

    def intercept_service(
        self, continuation: Callable[[Any], Any], details: grpc.HandlerCallDetails
    ) -> Any:
        if details.method.startswith(f"/{HEALTH_SERVICE_NAME}/"):
            return continuation(details)
        for key, value in details.invocation_metadata or ():
            if key == "authorization" and hmac.compare_digest(str(value).encode(), self._expected):
                return continuation(details)
        self._metrics.requests.labels(details.method.rsplit("/", 1)[-1], "UNAUTHENTICATED").inc()
        return self._deny


class NewsfuseServer:
    """One server process' worth of state; several may run in one process (tests)."""

    def __init__(self, settings: Settings, pipeline_factory: PipelineFactory | None = None) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.health = health.HealthServicer()
        self.service = SummarizerService(settings, pipeline_factory, observer=self.metrics)
        self.servicer = SummarizerServicer(self.service, self.metrics)
        self._stop_requested = threading.Event()
        self._stopped = threading.Event()
        self._stop_lock = threading.Lock()
        self.port = 0
        self.metrics_port = 0
        self.http_port = 0
        self.http: Any = None
        """The ``newsfuse.http.server.HttpServer`` when ``settings.http_port`` is set."""
        interceptors = (
            [_BearerAuth(settings.auth_token, self.metrics)] if settings.auth_token else []
        )
        receive = settings.max_receive_mb * 1024 * 1024
        self._server = grpc.server(
            ThreadPoolExecutor(settings.workers, thread_name_prefix="grpc"),
            interceptors=interceptors,
            options=[
                ("grpc.max_receive_message_length", receive),
                ("grpc.max_send_message_length", receive),
                # Never share a port silently with another process.
                ("grpc.so_reuseport", 0),
            ],
            # Calls beyond this are refused with RESOURCE_EXHAUSTED instead of piling up.
            maximum_concurrent_rpcs=settings.workers + settings.max_queue,
        )
        pb_grpc.add_SummarizerServicer_to_server(self.servicer, self._server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        reflection.enable_server_reflection(SERVICE_NAMES, self._server)
        self.health.set(LIVENESS_SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
        self.service.subscribe(self._follow)

    def _follow(self, state: ServiceState) -> None:
        """Readiness and the ready gauge follow the service's state (liveness stays SERVING)."""
        serving = state is ServiceState.SERVING
        self._set_health(
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        self.metrics.ready.set(1 if serving else 0)
        if serving:
            _LOGGER.info("health SERVING")

    # --- start ---------------------------------------------------------------------------
    def start(self) -> NewsfuseServer:
        """Open the ports and start loading the models in the background."""
        s = self.settings
        host = f"[{s.host}]" if ":" in s.host and not s.host.startswith("[") else s.host
        address = f"{host}:{s.port}"
        try:
            if s.tls_cert and s.tls_key:
                credentials = grpc.ssl_server_credentials(
                    [(Path(s.tls_key).read_bytes(), Path(s.tls_cert).read_bytes())]
                )
                self.port = self._server.add_secure_port(address, credentials)
            else:
                self.port = self._server.add_insecure_port(address)
            self.metrics_port = self.metrics.serve(s.host, s.metrics_port)
        except (OSError, RuntimeError) as exc:  # grpc reports a port in use as RuntimeError
            self.metrics.close()
            raise OSError(
                f"cannot serve on {address} (metrics port {s.metrics_port}): {exc}"
            ) from exc
        if s.http_port is not None:
            try:
                self.http_port = self._start_http()
            except OSError as exc:
                self.metrics.close()
                raise OSError(f"cannot serve HTTP on {s.host}:{s.http_port}: {exc}") from exc
        self._server.start()
        _LOGGER.info(
            "listening on %s:%d (%s), metrics on port %d%s",
            s.host,
            self.port,
            "TLS" if s.tls_cert else "plaintext",
            self.metrics_port,
            f", HTTP on port {self.http_port}" if self.http is not None else "",
        )
        self.service.start_loading()
        return self

    def _start_http(self) -> int:
        try:
            from newsfuse.http.app import HttpApi
            from newsfuse.http.server import HttpServer
        except ImportError as exc:
            raise OSError(
                f"HTTP needs the http extra ({exc.name} is missing): pip install 'newsfuse[http]'"
            ) from exc
        self.http = HttpServer(HttpApi(self.service, self.metrics), self.settings)
        return self.http.start()

    @property
    def engine(self) -> Engine | None:
        """The warmed-up engine, or None while the models load."""
        return self.service.engine

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait for the models; True when serving, raise when loading failed."""
        return self.service.wait_ready(timeout)

    def _set_health(self, status: int) -> None:
        for name in READINESS_SERVICE_NAMES:
            self.health.set(name, status)

    # --- stop ----------------------------------------------------------------------------
    def stop(self, grace: float | None = None) -> None:
        """Drain: readiness NOT_SERVING, refuse new calls, finish calls in flight within grace.

        Liveness stays SERVING and health keeps answering until the calls in flight are done,
        so a liveness probe never kills a server in the middle of its drain.
        """
        grace = self.settings.grace_seconds if grace is None else grace
        with self._stop_lock:
            if self._stop_requested.is_set():
                self._stopped.wait()
                return
            self._stop_requested.set()
            # Readiness NOT_SERVING (by the service's state) and new calls refused with
            # UNAVAILABLE by the service; calls in flight go on.
            self.service.drain()
        started = time.monotonic()
        _LOGGER.info("draining: readiness NOT_SERVING, %.1fs grace for calls in flight", grace)
        # The port stays open while calls in flight finish: health answers (readiness
        # NOT_SERVING, liveness SERVING) and the servicer refuses new calls with UNAVAILABLE.
        # A call is over when gRPC reports it over (its answer sent: metrics.ended), not when
        # its handler returns, so nothing below can cut an answer on its way. Only the calls
        # taken before the drain began count: the ones refused since are over in a moment.
        metrics = self.metrics
        taken = metrics.last_ticket()
        if not _wait_until(lambda: metrics.open_calls(up_to=taken) == 0, grace):
            _LOGGER.warning("grace period over with %d calls in flight: answering UNAVAILABLE",
                            metrics.running_handlers(up_to=taken))  # fmt: skip
            self.service.abandon_calls()
            _wait_until(lambda: metrics.running_handlers(up_to=taken) == 0, _ANSWER_SECONDS)
            if not _wait_until(lambda: metrics.open_calls(up_to=taken) == 0, _DELIVER_SECONDS):
                _LOGGER.error(
                    "%d calls not over at the end of the drain (%d still running): cancelled",
                    metrics.open_calls(up_to=taken),
                    metrics.running_handlers(up_to=taken),
                )
        _wait_until(lambda: metrics.idle_for() >= _QUIET_SECONDS, _LINGER_SECONDS)
        # Our calls are over: close the port. gRPC refuses new calls from now on (UNAVAILABLE,
        # retryable), lets the refusals it is sending finish, and after _CLOSE_SECONDS cancels
        # what is left (long-lived streams such as health Watch, which would hold the drain).
        self._server.stop(_CLOSE_SECONDS).wait()
        if self.http is not None:
            self.http.stop()
        # Every call is answered: a model call still running computes for nobody.
        self.service.close(timeout=0.5)
        self.metrics.close()
        _LOGGER.info("stopped after %.2fs of drain", time.monotonic() - started)
        self._stopped.set()

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT, then drain; the exit code (1 if loading failed)."""
        signalled = threading.Event()

        def on_signal(signum: int, _frame: Any) -> None:
            _LOGGER.info("received %s", signal.Signals(signum).name)
            signalled.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            try:
                self.start()
            except OSError as exc:
                _LOGGER.error("%s", exc)
                return 1
            while not signalled.wait(0.2):
                if self.service.state is ServiceState.FAILED:
                    self.stop(0)
                    return 1
            self.stop()
            return 0
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll ``condition`` for at most ``seconds``; whether it came true."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= end:
            return False
        time.sleep(0.02)
    return True
