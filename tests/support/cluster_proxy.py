"""A TCP front for the cluster, as an operator's load balancer (HAProxy, a Kubernetes Service) is.

Each client connection goes to the first node, in the given order, that accepts a TCP connection
(a stopped node refuses at once); when either side closes, so does the other, so a client sees
its node's death as a dropped connection and reconnects, which lands on a live node. One thread
per connection: the platform opens a few dozen.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from collections import Counter


class FailoverProxy:
    def __init__(self, upstreams: dict[str, int], host: str = "127.0.0.1"):
        self.upstreams = upstreams  # node name → AMQP port, in order of preference
        self.listener = socket.create_server((host, 0), backlog=256)
        self.port = self.listener.getsockname()[1]
        self.open: Counter = Counter()  # node → client connections open through it now
        self.total: Counter = Counter()  # node → connections ever routed to it
        self.refused = 0  # clients turned away: no node accepted
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="amqp-proxy", daemon=True)
        self._thread.start()

    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _connect(self) -> tuple[str, socket.socket] | None:
        for node, port in self.upstreams.items():
            try:
                return node, socket.create_connection(("127.0.0.1", port), timeout=1)
            except OSError:
                continue
        return None

    def _serve(self, client: socket.socket) -> None:
        found = self._connect()
        if found is None:
            with self._lock:
                self.refused += 1
            client.close()
            return
        node, upstream = found
        upstream.settimeout(None)
        pair = (client, upstream)
        with self._lock:
            self._pairs.add(pair)
            self.open[node] += 1
            self.total[node] += 1
        try:
            self._pump(client, upstream)
        finally:
            with self._lock:
                self._pairs.discard(pair)
                self.open[node] -= 1
            for sock in pair:
                try:
                    sock.close()
                except OSError:
                    pass

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        other = {client: upstream, upstream: client}
        with selectors.DefaultSelector() as selector:
            for sock in other:
                selector.register(sock, selectors.EVENT_READ)
            while not self._stop.is_set():
                for key, _ in selector.select(timeout=1):
                    try:
                        data = key.fileobj.recv(65536)
                        if not data:
                            return
                        other[key.fileobj].sendall(data)
                    except OSError:
                        return

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {node: n for node, n in self.open.items() if n}

    def close(self) -> None:
        self._stop.set()
        for end in (lambda: self.listener.shutdown(socket.SHUT_RDWR), self.listener.close):
            try:
                end()  # shutdown wakes the thread blocked in accept()
            except OSError:
                pass
        self._thread.join(timeout=5)
        with self._lock:
            pairs = list(self._pairs)
        for pair in pairs:
            for sock in pair:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        deadline = time.time() + 5
        while self._pairs and time.time() < deadline:
            time.sleep(0.05)
