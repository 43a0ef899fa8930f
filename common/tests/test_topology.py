"""Topic routing as the exchange does it: ``*`` one word, ``#`` zero or more."""

from __future__ import annotations

import pytest

from common.events import topology


@pytest.mark.parametrize(
    ("pattern", "routed", "not_routed"),
    [
        ("orders.#", ["orders", "orders.order.created"], ["order.created", "ordersx.a"]),
        ("orders.order.finished", ["orders.order.finished"], ["orders.order.finished.x"]),
        ("*.order.*", ["orders.order.created"], ["orders.order", "a.b.order.c"]),
        ("#.finished", ["finished", "orders.order.finished"], ["orders.finished.x"]),
    ],
)
def test_routes_to(settings, pattern, routed, not_routed):
    settings.EVENTS_TOPOLOGY = {"q": (pattern,)}
    assert all(topology.routes_to("q", key) for key in routed)
    assert not any(topology.routes_to("q", key) for key in not_routed)
