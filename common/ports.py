"""Free TCP ports for the processes `make run`, the benches and the tests start."""

import socket
import threading

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
