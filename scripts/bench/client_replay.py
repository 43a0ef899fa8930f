"""The client replay of `make bench-events`: ``publish_snapshots`` of N clients in
clients_api until orders_api holds every copy.

    python scripts/bench/client_replay.py [N]

Fresh PostgreSQL databases for both services (production settings, a Redis of
their own), N clients with two addresses each written by SQL (their creation is not what
is measured), clients_api's relay and orders_api's worker running; then
``manage.py publish_snapshots`` in clients_api, timed from its start to the last
copy committed in orders_api. Prints the seconds; exits 1 after 300 s.
`make bench-events` runs it last (``replay_clients``).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parent))
from deployed import deployed, scalar  # noqa: E402

CLIENTS = """
INSERT INTO clients_client (id, kind, name, document, email, phone, is_active, version,
                            created_at, updated_at, search_text)
SELECT gen_random_uuid(), 'individual', 'Cliente Replay ' || n, lpad(n::text, 11, '0'),
       'replay' || n || '@example.com', '11987654321', true, 1, now(), now(),
       -- what Client.current_search_text() gives once the addresses below exist
       concat_ws(E'\n', 'cliente replay ' || n, lpad(n::text, 11, '0'),
                 'replay' || n || '@example.com', 'centro', 'sao paulo')
FROM generate_series(1, %s) AS n
"""
ADDRESSES = """
INSERT INTO clients_address (id, client_id, label, street, number, complement, district,
                             city, state, postal_code, country, is_default, version,
                             created_at, updated_at)
SELECT gen_random_uuid(), c.id, label, 'Rua das Flores', '1', '', 'Centro', 'São Paulo', 'SP',
       '01310100', 'BR', label = 'Casa', 1, now(), now()
FROM clients_client c CROSS JOIN (VALUES ('Casa'), ('Trabalho')) AS labels(label)
"""


def replay_clients(count: int) -> float:
    """Seconds from ``publish_snapshots``' start until orders_api holds ``count`` copies.

    Raises SystemExit when they are not all there after 300 s.
    """
    with deployed("client_replay", relays=["clients_api"], workers=["orders_api"]) as env:
        import psycopg

        with psycopg.connect(env["clients_api"]["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(CLIENTS, (count,))
            conn.execute(ADDRESSES)
        print(
            f"==> client replay: publish_snapshots of {count} clients into orders_api", flush=True
        )
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "manage.py", "publish_snapshots"],
            cwd=REPO / "clients_api",
            env=env["clients_api"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        recorded = time.monotonic() - started
        query = "SELECT count(*) FROM orders_clientsnapshot WHERE jsonb_array_length(addresses) = 2"
        deadline = started + 300
        while (copies := scalar(env["orders_api"]["DATABASE_URL"], query)) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {copies} of {count} client copies after 300 s")
            time.sleep(0.2)
        seconds = time.monotonic() - started
        print(
            f"    {count} copies in orders_api in {seconds:.1f} s "
            f"(publish_snapshots itself: {recorded:.1f} s)",
            flush=True,
        )
        return seconds


if __name__ == "__main__":
    replay_clients(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
