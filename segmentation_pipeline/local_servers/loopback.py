"""Run an ASGI app on 127.0.0.1 in a background thread, over TLS, behind a CONNECT proxy.

Clients such as simple-salesforce build `https://<host>.salesforce.com` URLs themselves.
Rather than teach production code about test hosts, the local server is reached the way a
corporate network reaches the real one: through an HTTPS proxy (`proxy_url`) with a CA
the client is told to trust (`ca_file`). The proxy tunnels every CONNECT, whatever host
it names, to the local server only, so no traffic leaves loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
import socket
import tempfile
import threading
from pathlib import Path

import trustme
import uvicorn

CERT_HOSTS = (
    "login.salesforce.com",
    "test.salesforce.com",
    "*.salesforce.com",
    "*.my.salesforce.com",
    "localhost",
    "127.0.0.1",
)


class ThrowawayTls:
    """A fresh CA and a leaf certificate for `hosts`, written to a temporary folder."""

    def __init__(self, hosts: tuple[str, ...] = CERT_HOSTS) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="loopback-tls-")
        folder = Path(self._dir.name)
        ca = trustme.CA()
        leaf = ca.issue_cert(*hosts)
        self.ca_file = str(folder / "ca.pem")
        self.cert_file = str(folder / "cert.pem")
        self.key_file = str(folder / "key.pem")
        ca.cert_pem.write_to_path(self.ca_file)
        leaf.private_key_pem.write_to_path(self.key_file)
        for i, pem in enumerate(leaf.cert_chain_pems):
            pem.write_to_path(self.cert_file, append=i > 0)

    def cleanup(self) -> None:
        self._dir.cleanup()


class ServerThread:
    """uvicorn serving `app` on a free 127.0.0.1 port until `stop()`."""

    def __init__(self, app, tls: ThrowawayTls | None = None) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this; without it small responses wait on delayed ACKs.
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ssl_certfile=tls.cert_file if tls else None,
            ssl_keyfile=tls.key_file if tls else None,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="loopback-server", daemon=True)

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        deadline = threading.Event()
        for _ in range(int(timeout / 0.01)):
            if self._server.started:
                return
            deadline.wait(0.01)
        raise RuntimeError("local server did not start")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        with contextlib.suppress(OSError):
            self._sock.close()


class ConnectProxy:
    """An HTTP CONNECT proxy that tunnels every request to one loopback port."""

    def __init__(self, target_port: int) -> None:
        self._target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.tunnelled_hosts: list[str] = []
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(
            target=self._accept_loop, name="loopback-proxy", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            for sock in list(self._open):
                with contextlib.suppress(OSError):
                    sock.close()
        self._thread.join(timeout=5)

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        upstream = None
        try:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            line = head.split(b"\r\n", 1)[0].decode("latin-1").split()
            if len(line) < 2 or line[0].upper() != "CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            with self._lock:
                self.tunnelled_hosts.append(line[1])
            upstream = socket.create_connection(("127.0.0.1", self._target_port))
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            rest = head.split(b"\r\n\r\n", 1)[1]
            if rest:
                upstream.sendall(rest)
            with self._lock:
                self._open.update((client, upstream))
            self._pump(client, upstream)
        except OSError:
            return
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    with self._lock:
                        self._open.discard(sock)
                    with contextlib.suppress(OSError):
                        sock.close()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        sel = selectors.DefaultSelector()
        sel.register(a, selectors.EVENT_READ, b)
        sel.register(b, selectors.EVENT_READ, a)
        try:
            while True:
                for key, _ in sel.select(timeout=60):
                    data = key.fileobj.recv(262144)
                    if not data:
                        return
                    key.data.sendall(data)
        finally:
            sel.close()
