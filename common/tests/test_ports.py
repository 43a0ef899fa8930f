from common.development.ports import free_port


def test_free_port_never_hands_out_a_port_twice():
    # The kernel offers the numbers at random from ~14,000: a thousand draws repeat one
    # almost surely, and two programs given one port cannot both serve.
    ports = [free_port() for _ in range(1000)]
    assert len(set(ports)) == len(ports)
