"""The drill: steady load through HAProxy while one API replica, one relay, one worker
and one RabbitMQ node are SIGKILLed and brought back.

What it asserts:
- failed client requests: only requests in flight on the killed API replica; of those
  HAProxy may resend (GET, PUT, DELETE, POST with Idempotency-Key) only one whose
  answer was already on the way; an order creation the client retries with the same
  Idempotency-Key is one order;
- events lost: 0 — every copy in orders_api reaches its source's version, every
  finished order gets products_api's answer;
- effects applied twice: 0 — one stock movement per product line of each finished order,
  and each product's stock is its initial stock less exactly those lines;
- the time each killed piece took to come back, printed in the report
  (var/test-reports/cluster-drill.txt).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import requests

from cluster_tests.cluster import Cluster
from cluster_tests.conftest import INITIAL_STOCK
from scripts import harness
from scripts.harness import REPO, Process, wait_until, worker_ready

THREADS = 4
CONVERGENCE_BOUND = (
    120  # seconds; every copy converges (docs/events.md), the sweep's 30 s bound inside it
)
REPORT = REPO / "var" / "test-reports" / "cluster-drill.txt"


@dataclass
class Call:
    service: str
    method: str
    path: str
    started: float
    ended: float
    status: int | None  # None: no HTTP answer at all
    retryable: bool  # HAProxy may resend it after it reached a replica


@dataclass
class Load:
    """Client threads: reads, order creations (Idempotency-Key, retried by the client with
    the same key), order finishes, client and product changes."""

    cluster: Cluster
    token: str
    catalog: object
    stop: threading.Event = field(default_factory=threading.Event)
    calls: list[Call] = field(default_factory=list)
    orders: dict[str, dict] = field(default_factory=dict)  # key -> order
    client_retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, service: str, method: str, path: str, **kwargs) -> requests.Response | None:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        retryable = method in ("GET", "HEAD", "PUT", "DELETE") or "Idempotency-Key" in headers
        started = time.monotonic()
        try:
            response = requests.request(
                method,
                f"{self.cluster.apis[service].url}{path}",
                headers=headers,
                timeout=30,
                **kwargs,
            )
        except requests.RequestException:
            response = None
        status = response.status_code if response is not None else None
        with self.lock:
            self.calls.append(
                Call(service, method, path, started, time.monotonic(), status, retryable)
            )
        return response

    def run(self, seed: int) -> None:
        rng = random.Random(seed)
        while not self.stop.is_set():
            choice = rng.random()
            if choice < 0.35:
                self._read(rng)
            elif choice < 0.65:
                self._order(rng)
            elif choice < 0.85:
                client = rng.choice(self.catalog.clients)
                change = {"phone": f"11{rng.randrange(10**8, 10**9)}"}
                self.call("clients_api", "PATCH", f"/api/v1/clients/{client}/", json=change)
            else:
                product = rng.choice(self.catalog.products)
                change = {"description": f"drill {rng.random()}"}
                self.call("products_api", "PATCH", f"/api/v1/products/{product}/", json=change)

    def _read(self, rng: random.Random) -> None:
        service, path = rng.choice(
            [
                ("products_api", "/api/v1/products/?limit=20"),
                ("orders_api", "/api/v1/orders/?limit=20"),
                ("clients_api", f"/api/v1/clients/{rng.choice(self.catalog.clients)}/"),
            ]
        )
        self.call(service, "GET", path)

    def _order(self, rng: random.Random) -> None:
        key = str(uuid.uuid4())
        body = {
            "client_id": rng.choice(self.catalog.clients),
            "items": [
                {"product_id": product, "quantity": rng.randint(1, 3)}
                for product in rng.sample(self.catalog.products, 2)
            ],
        }
        for attempt in range(20):
            response = self.call(
                "orders_api", "POST", "/api/v1/orders/", json=body, headers={"Idempotency-Key": key}
            )
            if response is not None and response.status_code == 201:
                break
            with self.lock:
                self.client_retries += 1
            time.sleep(0.2 * (attempt + 1))
        else:
            raise AssertionError(f"order with key {key} never created")
        order = response.json()
        with self.lock:
            self.orders[key] = order
        # Finishing is not idempotent: on no answer, look before trying again.
        for _ in range(20):
            response = self.call("orders_api", "POST", f"/api/v1/orders/{order['id']}/finish")
            if response is not None and response.status_code == 200:
                return
            current = self.call("orders_api", "GET", f"/api/v1/orders/{order['id']}/")
            if (
                current is not None
                and current.status_code == 200
                and (current.json()["status"] == "finished")
            ):
                return
            time.sleep(0.2)
        raise AssertionError(f"order {order['id']} never finished")


def _api(cluster: Cluster, token: str, service: str, path: str) -> dict:
    response = requests.get(
        f"{cluster.apis[service].url}{path}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _all(cluster: Cluster, token: str, service: str, path: str) -> list[dict]:
    results, offset = [], 0
    separator = "&" if "?" in path else "?"
    while True:
        page = _api(cluster, token, service, f"{path}{separator}limit=200&offset={offset}")
        results += page["results"]
        offset += 200
        if not page["next"]:
            return results


class Probe:
    """A change of one client, timed until orders_api's copy has it: events flow."""

    def __init__(self, cluster: Cluster, token: str, client: str) -> None:
        self.cluster, self.token, self.client = cluster, token, client

    def __call__(self) -> float:
        headers = {"Authorization": f"Bearer {self.token}"}
        started = time.monotonic()
        for _ in range(50):
            try:
                response = requests.patch(
                    f"{self.cluster.apis['clients_api'].url}/api/v1/clients/{self.client}/",
                    json={"email": f"probe-{uuid.uuid4().hex[:8]}@example.com"},
                    headers=headers,
                    timeout=10,
                )
            except requests.RequestException:
                response = None
            if response is not None and response.status_code == 200:
                break
            time.sleep(0.2)
        version = response.json()["version"]
        url = f"{self.cluster.apis['orders_api'].url}/api/v1/client-snapshots/{self.client}/"

        def copied() -> bool:
            answer = requests.get(url, headers=headers, timeout=10)
            return answer.status_code == 200 and answer.json()["version"] >= version

        wait_until(copied, 120, f"the probe's change to reach orders_api (v{version})")
        return time.monotonic() - started


class Supervisor:
    """Restarts any relay or worker that exits on its own, as `make run`, docker compose
    (restart: unless-stopped) and Kubernetes do; counts them for the report."""

    def __init__(self, processes: list[Process]) -> None:
        self.processes = processes
        self.exits: list[str] = []
        self.paused: set[str] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.stop.wait(0.5):
            for process in self.processes:
                if process.name not in self.paused and not process.alive():
                    self.exits.append(f"{process.name}: {process.log_text()[-400:]}")
                    process.start()


def test_the_drill(cluster, token, catalog):
    report: list[str] = [f"schedulers: {', '.join(p.name for p in cluster.schedulers)}"]
    supervised = [p for ps in (*cluster.relays.values(), *cluster.workers.values()) for p in ps]
    supervised += cluster.schedulers
    supervisor = Supervisor(supervised)
    probe = Probe(cluster, token, catalog.clients[-1])
    load = Load(cluster, token, catalog)
    threads = [threading.Thread(target=load.run, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(5)
        report.append(f"probe before any kill: {probe():.2f} s")

        # 1. An API replica, killed in the middle of requests.
        api = cluster.apis["orders_api"]
        replica = api.replicas[0]
        api_killed_at = time.monotonic()
        replica.kill()
        down = wait_until(
            lambda: cluster.haproxy_servers()[("orders_api", "replica1")] != "UP",
            15,
            "HAProxy to take the killed replica out",
        )
        time.sleep(2)
        restarted = time.monotonic()
        replica.start()
        wait_until(lambda: harness.ready(api.replica_url(0), api.name), 60, "the replica to start")
        up = wait_until(
            lambda: cluster.haproxy_servers()[("orders_api", "replica1")] == "UP",
            30,
            "HAProxy to take the replica back",
        )
        report.append(
            f"API replica (orders_api): out of HAProxy {down:.2f} s after SIGKILL; back in "
            f"{time.monotonic() - restarted:.2f} s after restart (UP {up:.2f} s after ready)"
        )
        api_settled_at = time.monotonic()

        # 2. A relay.
        relay = cluster.relays["orders_api"][0]
        supervisor.paused.add(relay.name)
        relay.kill()
        report.append(f"relay (orders_api) killed: events still flow in {probe():.2f} s")
        restarted = time.monotonic()
        relay.start()
        supervisor.paused.discard(relay.name)
        report.append(f"relay back: {probe():.2f} s for a change to travel after restart")

        # 3. A worker, holding stock issues.
        worker = cluster.workers["products_api"][0]
        supervisor.paused.add(worker.name)
        worker.kill()
        report.append(f"worker (products_api) killed: events still flow in {probe():.2f} s")
        since = len(worker.log_text())
        restarted = time.monotonic()
        worker.start()
        ready = wait_until(lambda: worker_ready(worker, since), 60, "the worker to restart")
        supervisor.paused.discard(worker.name)
        report.append(f"worker back: ready {ready:.2f} s after restart")

        # 4. The RabbitMQ node every connection tries first.
        rabbitmq = cluster.rabbitmq
        node = rabbitmq.nodes[0]
        rabbitmq.processes[node].kill()
        report.append(f"RabbitMQ node {node} killed: events flow again in {probe():.2f} s")
        took = rabbitmq.start_node(node)
        rejoined = wait_until(
            lambda: rabbitmq.running_nodes() == set(rabbitmq.nodes), 60, "the node to rejoin"
        )
        report.append(f"RabbitMQ node back: running {took:.2f} s, in the cluster {rejoined:.2f} s")
        report.append(f"after everything: {probe():.2f} s")
        time.sleep(3)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(120)
        supervisor.stop.set()

    # Failed client requests: only those in flight on the killed replica, never retryable.
    failed = [c for c in load.calls if c.status is None or c.status >= 500]
    by_status = Counter(c.status for c in load.calls)
    report.append(
        f"requests: {len(load.calls)} ({dict(by_status)}); failed: {len(failed)}; "
        f"order creations retried by the client: {load.client_retries}; "
        f"orders: {len(load.orders)}"
    )
    for call in failed:
        report.append(f"  failed: {call}")
    assert all(
        call.service == "orders_api" and call.started <= api_killed_at <= call.ended
        for call in failed
    ), f"failures beyond the killed replica's in-flight requests: {failed}"
    assert len(failed) <= THREADS
    # HAProxy resends what is safe to send twice: such a request never gets an error
    # status from it; it fails only when the replica died while its answer was already
    # on the way (a cut response, no status: nothing left to resend).
    assert not [c for c in failed if c.retryable and c.status is not None], failed
    assert all(
        c.status is not None and c.status < 500 for c in load.calls if c.ended > api_settled_at
    )

    # Idempotency: one order per key, however often the client retried.
    ids = [order["id"] for order in load.orders.values()]
    assert len(set(ids)) == len(ids)
    all_orders = {
        o["id"]: o
        for o in _all(cluster, token, "orders_api", "/api/v1/orders/?status=finished")
        if o["client_id"] in catalog.clients
    }
    assert set(ids) <= set(all_orders)

    # Events lost: 0. Every copy reaches its source's version; every finished order is
    # answered by products_api.
    def stale() -> list[str]:
        lagging = []
        for kind, service, ids_ in (
            ("client", "clients_api", catalog.clients),
            ("product", "products_api", catalog.products),
        ):
            for id_ in ids_:
                source = _api(cluster, token, service, f"/api/v1/{kind}s/{id_}/")["version"]
                copy = _api(cluster, token, "orders_api", f"/api/v1/{kind}-snapshots/{id_}/")
                if copy["version"] != source:
                    lagging.append(f"{kind} {id_}: copy v{copy['version']}, source v{source}")
        for id_ in ids:
            order = _api(cluster, token, "orders_api", f"/api/v1/orders/{id_}/")
            if order["stock_status"] != "issued":
                lagging.append(f"order {id_}: stock_status {order['stock_status']}")
        return lagging

    try:
        converged = wait_until(lambda: not stale(), CONVERGENCE_BOUND, "every copy to converge")
    except AssertionError:
        report.append(f"NOT CONVERGED after {CONVERGENCE_BOUND} s: {stale()}")
        # Which leg lost it: products_api never issued the stock (the finished event
        # was lost), or it did and orders_api never heard the answer.
        references = {
            m["reference"]
            for product in catalog.products
            for m in _all(
                cluster, token, "products_api", f"/api/v1/products/{product}/stock-movements/"
            )
        }
        for id_ in ids:
            order = _api(cluster, token, "orders_api", f"/api/v1/orders/{id_}/")
            if order["stock_status"] == "pending":
                issued_there = f"order #{order['number']}" in references
                report.append(
                    f"  order #{order['number']} ({order['updated_at']}): products_api "
                    + (
                        "issued its stock; the answer never reached orders_api"
                        if issued_there
                        else "never issued its stock: orders.order.finished lost"
                    )
                )
        raise
    finally:
        report.append(f"unexpected exits restarted by the supervisor: {supervisor.exits}")
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text("\n".join(report) + "\n")
        print("\n".join(report))
    report.append(f"every copy converged {converged:.2f} s after the load stopped")

    # Effects applied twice: 0. One movement per (order, product) line, and the stock is
    # the initial stock less exactly the issued lines.
    issued: dict[str, int] = defaultdict(int)
    lines: Counter = Counter()
    for id_ in ids:
        order = _api(cluster, token, "orders_api", f"/api/v1/orders/{id_}/")
        for item in order["items"]:
            issued[item["product_id"]] += item["quantity"]
            lines[(item["product_id"], f"order #{order['number']}")] += 1
    for product in catalog.products:
        movements = _all(
            cluster, token, "products_api", f"/api/v1/products/{product}/stock-movements/"
        )
        outs = Counter(
            (product, m["reference"]) for m in movements if m["reference"].startswith("order #")
        )
        assert outs == Counter({line: 1 for line in lines if line[0] == product})
        state = _api(cluster, token, "products_api", f"/api/v1/products/{product}/")
        assert state["stock_quantity"] == INITIAL_STOCK - issued[product]
    report.append(f"stock: {len(lines)} order lines issued once each")
    REPORT.write_text("\n".join(report) + "\n")
    print("\n".join(report))
