"""Where each service answers by default, and free TCP ports for the processes
`make run`, the benches and the tests start."""

import socket
import threading

#: Each service's port in development (`make run`, docs/api.md) and in the compose and
#: Kubernetes files; ``<SERVICE>_PORT`` moves one under `make run`.
SERVICE_PORTS = {"users_api": 8001, "clients_api": 8002, "products_api": 8003, "orders_api": 8004}

_handed_out: set[int] = set()
_lock = threading.Lock()


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now and this process has not handed out.

    The port is not reserved: until a program binds it, the kernel may offer the same
    number again, and a second program given it would fail to bind (or, behind a proxy,
    the first one would answer for both). Ports already handed out are therefore skipped.
    """
    with _lock:
        while True:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            if port not in _handed_out:
                _handed_out.add(port)
                return port
