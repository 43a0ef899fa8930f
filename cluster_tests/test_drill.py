"""The drill: steady load through HAProxy while one API replica, one relay, one worker
and one RabbitMQ node are SIGKILLed and brought back.

Two clients load the cluster at once. The careful one sends ``Idempotency-Key`` on
every creation and resends it with the same key until answered; it finishes orders and
changes records with ``If-Match`` and reads before trying again. The careless one sends
each write once, without a key or a version, and takes what comes.

What it asserts:
- the work happened: orders placed and finished, clients and products changed, and
  every kill made while writes were in flight (the API replica's while writes went to
  its API); an exception in any thread it starts fails it;
- failed client requests, for either client: only requests sent to the killed API
  replica between its kill and HAProxy marking it down (requests in flight when it died,
  and those the dying process had already taken into its listen queue); HAProxy resends
  the rest (a refused connection, whatever the method). Of those, one HAProxy may
  resend (GET, PUT, DELETE, a creation with Idempotency-Key) fails only with its answer
  cut, never with an error status; nothing fails once the replica is back;
- the careful client's work all done: one order per Idempotency-Key, each finished;
- events lost: 0 — every copy in orders_api reaches its source's version, every
  finished order (the careless client's too, answered or not) gets products_api's
  answer;
- effects applied twice: 0 — one stock movement per product line of each finished order,
  and each product's stock is its initial stock less exactly those lines;
- the time each killed piece took to come back, each client's requests and failures
  (with HAProxy's log line for each failure), printed in the report
  (var/test-reports/cluster-drill.txt).
"""

from __future__ import annotations

import random
import threading
import time
import traceback
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import requests

from cluster_tests.cluster import Cluster
from cluster_tests.conftest import INITIAL_STOCK
from scripts import harness
from scripts.harness import REPO, Process, wait_until, worker_ready

CAREFUL_THREADS = 3
CARELESS_THREADS = 2
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
    request_id: str  # X-Request-ID: HAProxy logs it with every request that went wrong

    @property
    def write(self) -> bool:
        return self.method not in ("GET", "HEAD", "OPTIONS")


@dataclass
class Load:
    """Client threads: reads, order creations and finishes, client and product changes.

    A careful client (``careful=True``) sends ``Idempotency-Key`` on every creation and
    resends it with the same key until it is answered; it finishes an order and changes
    a record with ``If-Match``, and when it gets no answer it reads the record before
    trying again, so nothing is done twice. A careless one sends each write once, without
    a key or a version, and takes what comes: its failures measure what such a client
    sees. Exceptions in a thread are kept in ``errors``, for the test to raise."""

    cluster: Cluster
    token: str
    catalog: object
    careful: bool
    stop: threading.Event = field(default_factory=threading.Event)
    calls: list[Call] = field(default_factory=list)
    orders: dict[str, dict] = field(default_factory=dict)  # its key (careless: id) -> order
    finished: int = 0
    changes: Counter = field(default_factory=Counter)  # service -> changes answered 200
    client_retries: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, service: str, method: str, path: str, **kwargs) -> requests.Response | None:
        request_id = uuid.uuid4().hex
        headers = {
            "Authorization": f"Bearer {self.token}",
            "X-Request-ID": request_id,
            **kwargs.pop("headers", {}),
        }
        # deploy/haproxy/haproxy.cfg: what HAProxy resends once it may have reached a replica.
        retryable = method in ("GET", "HEAD", "PUT", "DELETE") or (
            method == "POST" and "Idempotency-Key" in headers and path.endswith("/")
        )
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
                Call(
                    service, method, path, started, time.monotonic(), status, retryable, request_id
                )
            )
        return response

    def run(self, seed: int) -> None:
        try:
            self._run(random.Random(seed))
        except BaseException:
            with self.lock:
                self.errors.append(traceback.format_exc())

    def _run(self, rng: random.Random) -> None:
        while not self.stop.is_set():
            choice = rng.random()
            if choice < 0.35:
                self._read(rng)
            elif choice < 0.65:
                self._order(rng)
            elif choice < 0.85:
                client = rng.choice(self.catalog.clients)
                change = {"phone": f"11{rng.randrange(10**8, 10**9)}"}
                self._change("clients_api", f"/api/v1/clients/{client}/", change)
            else:
                product = rng.choice(self.catalog.products)
                change = {"description": f"drill {rng.random()}"}
                self._change("products_api", f"/api/v1/products/{product}/", change)

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
        body = {
            "client_id": rng.choice(self.catalog.clients),
            "items": [
                {"product_id": product, "quantity": rng.randint(1, 3)}
                for product in rng.sample(self.catalog.products, 2)
            ],
        }
        if not self.careful:
            response = self.call("orders_api", "POST", "/api/v1/orders/", json=body)
            if response is None or response.status_code != 201:
                return
            order = response.json()
            with self.lock:
                self.orders[order["id"]] = order
            path = f"/api/v1/orders/{order['id']}/finish"
            response = self.call("orders_api", "POST", path)
            if response is not None and response.status_code == 200:
                with self.lock:
                    self.finished += 1
            return
        key = str(uuid.uuid4())
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
        # Finishing is not idempotent: with the version it was read at, a second finish
        # is refused (412) instead of applied; on no answer, look before trying again.
        version = order["version"]
        for _ in range(20):
            response = self.call(
                "orders_api",
                "POST",
                f"/api/v1/orders/{order['id']}/finish",
                headers={"If-Match": f'"{version}"'},
            )
            if response is not None and response.status_code == 200:
                break
            current = self.call("orders_api", "GET", f"/api/v1/orders/{order['id']}/")
            if current is not None and current.status_code == 200:
                if current.json()["status"] == "finished":
                    break
                version = current.json()["version"]
            time.sleep(0.2)
        else:
            raise AssertionError(f"order {order['id']} never finished")
        with self.lock:
            self.finished += 1

    def _change(self, service: str, path: str, change: dict) -> None:
        if not self.careful:
            response = self.call(service, "PATCH", path, json=change)
            if response is not None and response.status_code == 200:
                with self.lock:
                    self.changes[service] += 1
            return
        # A change is sent with the version it was read at: one that already took effect
        # (its answer lost) or was overtaken is refused (412), never applied twice.
        for _ in range(20):
            current = self.call(service, "GET", path)
            if current is None or current.status_code != 200:
                time.sleep(0.2)
                continue
            if all(current.json()[name] == value for name, value in change.items()):
                break
            response = self.call(
                service, "PATCH", path, json=change, headers={"If-Match": current.headers["ETag"]}
            )
            if response is not None and response.status_code == 200:
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"{service} {path} never took {change}")
        with self.lock:
            self.changes[service] += 1


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
    (restart: unless-stopped) and Kubernetes do; counts them for the report. An exception
    in its thread is kept in ``errors``, for the test to raise."""

    def __init__(self, processes: list[Process]) -> None:
        self.processes = processes
        self.exits: list[str] = []
        self.errors: list[str] = []
        self.paused: set[str] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        try:
            while not self.stop.wait(0.5):
                for process in self.processes:
                    if process.name not in self.paused and not process.alive():
                        self.exits.append(f"{process.name}: {process.log_text()[-400:]}")
                        process.start()
        except BaseException:
            self.errors.append(traceback.format_exc())


def _failed(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.status is None or c.status >= 500]


def _writes_around(calls: list[Call], start: float, end: float, service: str = "") -> int:
    """Writes (of ``service``, or any) in flight at some moment between start and end."""
    return sum(
        1
        for c in calls
        if c.write and (not service or c.service == service) and c.started <= end
        if c.ended >= start
    )


def test_the_drill(cluster, token, catalog):
    report: list[str] = [f"schedulers: {', '.join(p.name for p in cluster.schedulers)}"]
    supervised = [p for ps in (*cluster.relays.values(), *cluster.workers.values()) for p in ps]
    supervised += cluster.schedulers
    supervisor = Supervisor(supervised)
    probe = Probe(cluster, token, catalog.clients[-1])
    careful = Load(cluster, token, catalog, careful=True)
    careless = Load(cluster, token, catalog, careful=False)
    loads = [(careful, seed) for seed in range(CAREFUL_THREADS)]
    loads += [(careless, CAREFUL_THREADS + seed) for seed in range(CARELESS_THREADS)]
    threads = [threading.Thread(target=load.run, args=(seed,)) for load, seed in loads]
    kills: dict[str, float] = {}
    for thread in threads:
        thread.start()
    try:
        time.sleep(5)
        report.append(f"probe before any kill: {probe():.2f} s")

        # 1. An API replica, killed in the middle of requests. From the kill until HAProxy
        # marks it down, a write sent to it may fail (module docstring); not after.
        api = cluster.apis["orders_api"]
        replica = api.replicas[0]
        api_killed_at = kills["API replica (orders_api)"] = time.monotonic()
        replica.kill()
        down = wait_until(
            lambda: cluster.haproxy_servers()[("orders_api", "replica1")] != "UP",
            15,
            "HAProxy to take the killed replica out",
        )
        api_down_at = time.monotonic()
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
        kills["relay (orders_api)"] = time.monotonic()
        relay.kill()
        report.append(f"relay (orders_api) killed: events still flow in {probe():.2f} s")
        relay.start()
        supervisor.paused.discard(relay.name)
        report.append(f"relay back: {probe():.2f} s for a change to travel after restart")

        # 3. A worker, holding stock issues.
        worker = cluster.workers["products_api"][0]
        supervisor.paused.add(worker.name)
        kills["worker (products_api)"] = time.monotonic()
        worker.kill()
        report.append(f"worker (products_api) killed: events still flow in {probe():.2f} s")
        since = len(worker.log_text())
        worker.start()
        ready = wait_until(lambda: worker_ready(worker, since), 60, "the worker to restart")
        supervisor.paused.discard(worker.name)
        report.append(f"worker back: ready {ready:.2f} s after restart")

        # 4. The RabbitMQ node every connection tries first.
        rabbitmq = cluster.rabbitmq
        node = rabbitmq.nodes[0]
        kills[f"RabbitMQ node {node}"] = time.monotonic()
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
        careful.stop.set()
        careless.stop.set()
        for thread in threads:
            thread.join(120)
        supervisor.stop.set()
        supervisor.thread.join(10)

    # Whatever went wrong inside a thread fails the test, with the thread's traceback.
    assert not [t for t in threads if t.is_alive()], "a load thread did not stop in 120 s"
    errors = careful.errors + careless.errors + supervisor.errors
    assert not errors, "\n".join(errors)

    # The work happened: orders placed and finished, records changed, every kill made
    # while writes were in flight (the API replica's while writes went to its API).
    assert len(careful.orders) >= 10 and careful.finished == len(careful.orders), careful.orders
    assert careful.changes["clients_api"] >= 5 and careful.changes["products_api"] >= 2
    assert len(careless.orders) >= 3 and careless.changes["clients_api"] >= 3
    for what, killed_at in kills.items():
        assert _writes_around(careful.calls + careless.calls, killed_at - 1, killed_at + 1), what
    assert _writes_around(
        careful.calls + careless.calls, api_killed_at, api_down_at, "orders_api"
    ), "no write reached orders_api between the kill and HAProxy marking the replica down"

    haproxy_log = (cluster.base / "logs" / "haproxy.log").read_text(errors="replace")

    def describe(load: Load, name: str) -> None:
        failed = _failed(load.calls)
        by_status = Counter(c.status for c in load.calls)
        report.append(
            f"{name} client: {len(load.calls)} requests ({dict(by_status)}), failed "
            f"{len(failed)}; orders {len(load.orders)}, finished {load.finished}; changes "
            f"{dict(load.changes)}; order creations it resent: {load.client_retries}"
        )
        for call in failed:
            seen = [line for line in haproxy_log.splitlines() if f"{{{call.request_id}}}" in line]
            report.append(f"  failed: {call}")
            report.append(f"    HAProxy: {seen[0] if seen else '(no line)'}")

    describe(careful, "careful")
    describe(careless, "careless")
    report.append(
        f"orders_api replica dying but UP in HAProxy: {api_down_at - api_killed_at:.2f} s"
    )

    # Failed client requests: only writes sent to the killed replica while HAProxy still
    # had it UP, for either client, and never one HAProxy may resend with an error status:
    # it fails only when the replica died while its answer was already on the way (a cut
    # answer: no status, nothing left to resend).
    def dying(call: Call) -> bool:
        return (
            call.service == "orders_api"
            and call.started <= api_down_at
            and call.ended >= api_killed_at
        )

    try:
        for load in (careful, careless):
            failed = _failed(load.calls)
            assert all(dying(c) for c in failed), f"failures beyond the dying replica: {failed}"
            assert not [c for c in failed if c.retryable and c.status is not None], failed
            assert all(
                c.status is not None and c.status < 500
                for c in load.calls
                if c.started > api_settled_at
            )
    except AssertionError:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text("\n".join(report) + "\n")
        raise

    # Idempotency: one order per key, however often the careful client resent it.
    ids = [order["id"] for order in careful.orders.values()]
    assert len(set(ids)) == len(ids)

    def finished_orders() -> dict[str, dict]:
        return {
            o["id"]: o
            for o in _all(cluster, token, "orders_api", "/api/v1/orders/?status=finished")
            if o["client_id"] in catalog.clients
        }

    assert set(ids) <= set(finished_orders())

    # Events lost: 0. Every copy reaches its source's version; every finished order
    # (the careless client's too, answered or not) is answered by products_api.
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
        for order in finished_orders().values():
            if order["stock_status"] != "issued":
                lagging.append(f"order {order['id']}: stock_status {order['stock_status']}")
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
        for order in finished_orders().values():
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

    # Effects applied twice: 0. One movement per (order, product) line of every finished
    # order, and the stock is the initial stock less exactly the issued lines.
    issued: dict[str, int] = defaultdict(int)
    lines: Counter = Counter()
    for order in finished_orders().values():
        for item in order["items"]:
            issued[item["product_id"]] += item["quantity"]
            lines[(item["product_id"], f"order #{order['number']}")] += 1
    for product in catalog.products:
        movements = _all(
            cluster, token, "products_api", f"/api/v1/products/{product}/stock-movements/"
        )
        # The issues only: a reserved order's lines are also held and let go (reserve).
        outs = Counter(
            (product, m["reference"])
            for m in movements
            if m["kind"] == "out" and m["reference"].startswith("order #")
        )
        assert outs == Counter({line: 1 for line in lines if line[0] == product})
        state = _api(cluster, token, "products_api", f"/api/v1/products/{product}/")
        assert state["stock_quantity"] == INITIAL_STOCK - issued[product]
    report.append(f"stock: {len(lines)} order lines issued once each")
    REPORT.write_text("\n".join(report) + "\n")
    print("\n".join(report))
