"""The capacity model of `make capacity` (docs/capacity.md): measured costs and a daily
mix in, cores and orders per day out. Pure functions, no I/O but ``load_mix``.

A *unit* is one request of a kind (``orders_create``, ``login``...) with everything it
sets off: its API's CPU, the relays' and workers' CPU for the events it causes, the
broker's, and the database backends'. ``costs["units"][unit]["cpu_ms"]`` maps a
*process key* (``"<service>.api"``, ``"<service>.relay"``, ``"<service>.worker"``,
``"<service>.db"`` or ``"broker"``) to CPU milliseconds per unit (scripts/capacity.py
measures them). The mix says how many of each unit a day brings per order placed; the
model adds them into milliseconds of CPU per order for each process key, and divides
what each resource can give by what an order asks of it.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROLES = ("api", "relay", "worker", "db")
STEPS = (1, 2, 4, 8, 16)
SECONDS_PER_DAY = 86_400
#: The units that only read: their database work may move to a read replica.
READS = ("products_list", "order_detail", "clients_search")
#: The order units measured, by their number of items: the cost of another item is
#: the difference between the two, divided by the items between them.
ORDER_UNITS = {1: "orders_create_1", 3: "orders_create"}


@dataclass(frozen=True)
class Mix:
    """A day's traffic (capacity/mix.toml explains each field)."""

    orders_per_day: float
    items_per_order: float
    client_changes_per_day: float
    product_changes_per_day: float
    logins_per_day: float
    reads_per_write: float
    read_shares: dict[str, float]
    peak_to_average: float
    api_processes: int
    worker_processes: int
    target_orders_per_day: float = 1_000_000


def load_mix(path: Path) -> Mix:
    """The mix file, checked: every field present, shares summing to 1."""
    data = tomllib.loads(path.read_text())
    day, reads, deployment = data["day"], data["reads"], data["deployment"]
    shares = {name: float(reads[name]) for name in READS}
    if abs(sum(shares.values()) - 1) > 1e-6:
        raise ValueError(f"{path}: the read shares sum to {sum(shares.values())}, not 1")
    return Mix(
        orders_per_day=float(day["orders"]),
        items_per_order=float(day["items_per_order"]),
        client_changes_per_day=float(day["client_changes"]),
        product_changes_per_day=float(day["product_changes"]),
        logins_per_day=float(day["logins"]),
        reads_per_write=float(reads["per_write"]),
        read_shares=shares,
        peak_to_average=float(day["peak_to_average"]),
        api_processes=int(deployment["api_processes"]),
        worker_processes=int(deployment["worker_processes"]),
        target_orders_per_day=float(data.get("target", {}).get("orders_per_day", 1_000_000)),
    )


def units_per_order(mix: Mix) -> dict[str, float]:
    """How many of each unit the day brings per order placed. The order itself is split
    between the two measured order units so that their costs interpolate to
    ``items_per_order`` (weights may be negative past 3 items: extrapolation)."""
    orders = mix.orders_per_day
    writes = orders + mix.client_changes_per_day + mix.product_changes_per_day
    (low, low_unit), (high, high_unit) = sorted(ORDER_UNITS.items())
    weight = (mix.items_per_order - low) / (high - low)
    units = {
        low_unit: 1 - weight,
        high_unit: weight,
        "client_change": mix.client_changes_per_day / orders,
        "stock_movement": mix.product_changes_per_day / orders,
        "login": mix.logins_per_day / orders,
    }
    for name, share in mix.read_shares.items():
        units[name] = mix.reads_per_write * writes * share / orders
    return units


def demand_per_order(costs: dict, mix: Mix, *, only: tuple[str, ...] | None = None) -> dict:
    """CPU ms per order placed, for each process key, over the whole mix (or over the
    units in ``only``)."""
    demand: dict[str, float] = {}
    for unit, count in units_per_order(mix).items():
        if only is not None and unit not in only:
            continue
        for key, ms in costs["units"][unit]["cpu_ms"].items():
            demand[key] = demand.get(key, 0.0) + count * ms
    return demand


def transactions_per_order(costs: dict, mix: Mix, *, writes: bool = False) -> dict[str, float]:
    """Commits per order placed in each service's database, over the whole mix (or over
    the units that write: in autocommit each read statement is a transaction of its own,
    but one that writes no WAL, so it waits for no flush)."""
    found: dict[str, float] = {}
    for unit, count in units_per_order(mix).items():
        if writes and unit in READS:
            continue
        for service, commits in costs["units"][unit].get("transactions", {}).items():
            found[service] = found.get(service, 0.0) + count * commits
    return found


def peak_orders_per_second(mix: Mix, orders_per_day: float | None = None) -> float:
    per_day = mix.orders_per_day if orders_per_day is None else orders_per_day
    return per_day / SECONDS_PER_DAY * mix.peak_to_average


def cores_needed(costs: dict, mix: Mix) -> dict[str, float]:
    """Cores each process key needs at the mix's peak (its busiest second on average)."""
    rate = peak_orders_per_second(mix)
    return {key: ms * rate / 1000 for key, ms in sorted(demand_per_order(costs, mix).items())}


@dataclass(frozen=True)
class Resource:
    """Something that saturates: ``capacity`` per second against ``demand`` per order
    placed (CPU ms, or commits for a database's WAL); ``lift`` names what removes it
    (empty: nothing short of more cores), ``lifted`` the resources that take its place
    once lifted."""

    name: str
    capacity: float
    demand: float
    lift: str = ""
    lifted: tuple[Resource, ...] = ()

    @property
    def orders_per_second(self) -> float:
        return self.capacity / self.demand if self.demand > 0 else float("inf")


@dataclass
class Step:
    """What ``cores`` per service carry: the figure before any lift, then each lift in the
    order the resources saturate, and the resource that stops it in the end."""

    cores: int
    orders_per_day: float
    saturates: str
    lifts: list[tuple[str, str, float, str]] = field(default_factory=list)
    # (resource that saturated, its lift, orders/day after it, what saturates next)

    @property
    def final_orders_per_day(self) -> float:
        return self.lifts[-1][2] if self.lifts else self.orders_per_day

    @property
    def final_saturates(self) -> str:
        return self.lifts[-1][3] if self.lifts else self.saturates


def services_of(costs: dict) -> list[str]:
    """The services whose processes the costs name (``<service>.<role>`` keys)."""
    return sorted(
        {
            key.split(".")[0]
            for unit in costs["units"].values()
            for key in unit["cpu_ms"]
            if key.rpartition(".")[2] in ROLES
        }
    )


def resources(costs: dict, mix: Mix, cores: int) -> list[Resource]:
    """Every resource of the system with ``cores`` cores per service: each service's
    processes (API, relay, worker) share ``cores`` and its database server has ``cores``
    of its own; the broker, the relays and the order-number sequence are single-threaded
    whatever the cores; the API and the workers run as many processes as deployed
    (``mix.api_processes``, ``mix.worker_processes``) until scaled."""
    demand = demand_per_order(costs, mix)
    reads = demand_per_order(costs, mix, only=READS)
    full = cores * 1000.0
    found: list[Resource] = []
    for service in services_of(costs):

        def ms(role: str, of: dict = demand, service: str = service) -> float:
            return of.get(f"{service}.{role}", 0.0)

        found.append(
            Resource(
                f"{service}: {cores} cores (API, relay, worker)",
                full,
                ms("api") + ms("relay") + ms("worker"),
            )
        )
        if ms("api") and mix.api_processes < cores:
            found.append(
                Resource(
                    f"{service} API: {mix.api_processes} processes as deployed",
                    mix.api_processes * 1000.0,
                    ms("api"),
                    "more API replicas",
                )
            )
        if ms("relay") and cores > 1:
            found.append(
                Resource(
                    f"{service}: one relay (one process, one core)",
                    1000.0,
                    ms("relay"),
                    "relay sharding by aggregate",
                )
            )
        if ms("worker") and mix.worker_processes < cores:
            found.append(
                Resource(
                    f"{service} worker: {mix.worker_processes} processes on the queue",
                    mix.worker_processes * 1000.0,
                    ms("worker"),
                    "more workers on the queue",
                )
            )
        if ms("db"):
            writes = Resource(
                f"{service} database: write transactions on the primary ({cores} cores)",
                full,
                ms("db") - ms("db", reads),
            )
            found.append(
                Resource(
                    f"{service} database: one server ({cores} cores)",
                    full,
                    ms("db"),
                    "read replicas",
                    (writes,) if ms("db", reads) else (),
                )
            )
    commit_ceiling = costs.get("commit_ceiling", 0.0)
    if commit_ceiling:
        # A commit waits for its WAL flush; more cores do not make the disk faster.
        for service, commits in transactions_per_order(costs, mix, writes=True).items():
            found.append(
                Resource(
                    f"{service} database: commits (WAL flushes, {commit_ceiling:,.0f}/s)",
                    commit_ceiling,
                    commits,
                )
            )
    broker = demand.get("broker", 0.0)
    if broker:
        # RabbitMQ spreads over its nodes' cores, but each queue is one Erlang process.
        found.append(Resource(f"broker: RabbitMQ ({cores} cores)", full, broker))
        found.extend(
            Resource(
                f"broker: the {queue}.events queue (one process, one core)",
                1000.0,
                broker * share,
                "a queue per shard of aggregates",
            )
            for queue, share in broker_shares(costs, mix).items()
        )
    pooler = demand.get("pgbouncer", 0.0)
    if pooler:
        commits = transactions_per_order(costs, mix)
        found.append(
            Resource(
                "PgBouncer: one process (one core)",
                1000.0,
                pooler,
                "a PgBouncer per service",
                tuple(
                    Resource(
                        f"{service}'s PgBouncer (one core)",
                        1000.0,
                        pooler * share / sum(commits.values()),
                    )
                    for service, share in sorted(commits.items())
                ),
            )
        )
    sequence_ms = costs.get("sequence_ms", 0.0)
    if sequence_ms:
        found.append(
            Resource("the order-number sequence (nextval, serialized)", 1000.0, sequence_ms)
        )
    return found


def broker_shares(costs: dict, mix: Mix) -> dict[str, float]:
    """Each consuming queue's share of the messages the mix delivers."""
    delivered: dict[str, float] = {}
    for unit, count in units_per_order(mix).items():
        for queue, per_unit in costs["units"][unit].get("deliveries", {}).items():
            delivered[queue] = delivered.get(queue, 0.0) + count * per_unit
    total = sum(delivered.values())
    return {queue: value / total for queue, value in sorted(delivered.items()) if total}


def per_day(mix: Mix, orders_per_second: float) -> float:
    """Orders a day whose peak second is ``orders_per_second``."""
    return orders_per_second * SECONDS_PER_DAY / mix.peak_to_average


def step(costs: dict, mix: Mix, cores: int) -> Step:
    """Orders/day at ``cores`` per service, then lift after lift while the resource that
    saturates first has one."""
    active = resources(costs, mix, cores)
    first = min(active, key=lambda resource: resource.orders_per_second)
    result = Step(cores, per_day(mix, first.orders_per_second), first.name)
    current = first
    while current.lift:
        active = [resource for resource in active if resource is not current] + list(current.lifted)
        following = min(active, key=lambda resource: resource.orders_per_second)
        result.lifts.append(
            (current.name, current.lift, per_day(mix, following.orders_per_second), following.name)
        )
        current = following
    return result


def steps(costs: dict, mix: Mix) -> list[Step]:
    return [step(costs, mix, cores) for cores in STEPS]


def cliffs(costs: dict, mix: Mix) -> list[str]:
    """What stops the system below the target at 16 cores per service, every lift made:
    the resources that would still saturate before ``mix.target_orders_per_day``."""
    last = step(costs, mix, STEPS[-1])
    if last.final_orders_per_day >= mix.target_orders_per_day:
        return []
    return [last.final_saturates]


def shared_saturation(
    cpu_ms: dict[str, float], *, cores: float, limits: dict[str, float]
) -> tuple[float, str]:
    """Requests/s of one unit (``cpu_ms``: CPU ms per request per process key) when every
    process shares ``cores`` (one machine), and what binds: the shared cores, or a
    process key held to ``limits[key]`` cores (one gunicorn process is one core, the GIL).
    """
    bounds = {"the shared cores": cores * 1000.0 / sum(cpu_ms.values())}
    for key, limit in limits.items():
        if cpu_ms.get(key):
            bounds[key] = limit * 1000.0 / cpu_ms[key]
    binding = min(bounds, key=bounds.__getitem__)
    return bounds[binding], binding


def sweep_repeats_within(run_s: float, interval_s: float) -> float:
    """How many of an event's two sweep repeats fall inside a run of ``run_s`` seconds
    whose events are sent evenly across it, on average: a sweep every ``interval_s``
    (at a phase the run does not know) re-publishes what the last two intervals sent,
    so an event sent ``t`` s before the run's end meets ``min(2, t / interval_s)``
    sweeps inside it. Two for a run much longer than two intervals, none for an
    instant one."""
    if run_s <= 0:
        return 0.0
    if run_s >= 2 * interval_s:
        return 2 - 2 * interval_s / run_s
    return run_s / (2 * interval_s)


def sustained_saturation(
    en_route: dict[str, float],
    whole: dict[str, float],
    *,
    orders: float,
    interval_s: float,
    cores: float,
    limits: dict[str, float],
) -> tuple[float, str, float, dict[str, float]]:
    """Orders/s the shared cores sustain for a run of ``orders`` (``shared_saturation``)
    when an order costs ``en_route`` CPU ms until its last event is handled and
    ``whole`` with its events' two sweep repeats too: the run lasts ``orders`` over the
    rate, and the repeats that fall inside it (``sweep_repeats_within``) take their
    share of the difference. Returns the rate, what binds, the repeats counted and the
    CPU ms an order costs in each process with them."""
    cpu_ms = dict(en_route)
    rate, binding = shared_saturation(cpu_ms, cores=cores, limits=limits)
    repeats = 0.0
    # A longer run takes in more repeats and so runs slower: the rate falls towards
    # the fixed point, and a few rounds settle it well within a percent.
    for _ in range(20):
        repeats = sweep_repeats_within(orders / rate, interval_s)
        cpu_ms = {
            key: en_route.get(key, 0.0)
            + repeats / 2 * max(0.0, whole.get(key, 0.0) - en_route.get(key, 0.0))
            for key in en_route.keys() | whole.keys()
        }
        rate, binding = shared_saturation(cpu_ms, cores=cores, limits=limits)
    return rate, binding, repeats, cpu_ms


@dataclass(frozen=True)
class Hop:
    """One step an order's reservation waits on: the work items it takes, as
    ``(item, count)``. An item is a process key costed per unit of its work (see
    ``path_cpu_ms``)."""

    name: str
    work: tuple[tuple[str, float], ...]


def reservation_path() -> tuple[Hop, ...]:
    """The hops between an order's commit and its ``stock_status=reserved``, in order.
    A relay's item is a pass (claim, publish, mark), a worker's a task (one message
    applied in one transaction), a database's and PgBouncer's a transaction (the
    claim's and the task's; a pass's mark comes after its publish, off the path), the
    broker's an event. The answer carries the products it moved (ADR 0146), so each
    hop takes one event whatever the lines. What else an order sets off (its echo
    ``orders.order.updated``, the sweeps' repeats) runs beside the path: it loads the
    cores, it is not waited on."""
    return (
        Hop(
            "orders_api's relay publishes the order",
            (("orders_api.relay", 1), ("orders_api.db", 1), ("pgbouncer", 1)),
        ),
        Hop("RabbitMQ takes it to products_api's queue", (("broker", 1),)),
        Hop(
            "products_api's worker reserves the stock",
            (("products_api.worker", 1), ("products_api.db", 1), ("pgbouncer", 1)),
        ),
        Hop(
            "products_api's relay publishes the answer (the products it moved in it)",
            (("products_api.relay", 1), ("products_api.db", 1), ("pgbouncer", 1)),
        ),
        Hop("RabbitMQ takes it to orders_api's queue", (("broker", 1),)),
        Hop(
            "orders_api's worker applies the answer and the products' copies",
            (("orders_api.worker", 1), ("orders_api.db", 1), ("pgbouncer", 1)),
        ),
    )


def path_cpu_ms(path: tuple[Hop, ...], item_ms: dict[str, float]) -> dict[str, float]:
    """CPU ms of each hop: its items times what one costs (``item_ms``: ms per pass,
    task, transaction or event by process key); NaN for a hop with an item not costed
    (none of it counted in the window), which makes the lag predicted NaN too."""
    return {
        hop.name: sum(count * item_ms.get(item, float("nan")) for item, count in hop.work)
        for hop in path
    }


def utilization(rate: float, *, cpu_ms_per_order: float, cores: float) -> float:
    """The share of the time ``cores`` are busy at ``rate`` orders a second when an
    order costs ``cpu_ms_per_order`` across every process sharing them.

    The cost must be the one at that rate: an order that travels the event path
    alone pays its relay passes' and worker tasks' fixed costs in full, about twice
    what it pays in a backlog's batches, so the rate that saturates the cores (where
    batches are long) says nothing of how busy they are at half of it."""
    return rate * cpu_ms_per_order / (cores * 1000.0)


def lone_order_cpu_ms(
    unit_ms: dict[str, float], item_ms: dict[str, float], items_per_order: dict[str, float]
) -> float:
    """CPU ms an order costs across every process when it travels the event path alone:
    each process costed per work item (``item_ms``: a relay's pass, a worker's task, a
    database's or PgBouncer's transaction) at the items an order sets off there
    (``items_per_order``, its echo's and its repeats' included); every other process
    (the API, the broker, the schedulers, HAProxy) at the order unit's cost
    (``unit_ms``), which batching does not change.

    Summed from items, not read off a window's whole CPU: at a few orders a second the
    deployment's idle burn (0.2-0.4 of a core) is as large as the orders' work, and taking
    it off left 80-130 ms an order from run to run. A relay's or worker's idle burn is
    small beside its items."""
    total = 0.0
    for key in unit_ms.keys() | item_ms.keys():
        if key in item_ms and key in items_per_order:
            total += item_ms[key] * items_per_order[key]
        else:
            total += unit_ms.get(key, 0.0)
    return total


def rate_at_utilization(share: float, *, cpu_ms_per_order: float, cores: float) -> float:
    """The orders a second that keep ``cores`` busy ``share`` of the time
    (``utilization``'s inverse); NaN when the cost is not known."""
    if not cpu_ms_per_order > 0:
        return float("nan")
    return share * cores * 1000.0 / cpu_ms_per_order


def stretch(utilization: float, cores: int = 1) -> float:
    """How many times its CPU a piece of work takes on ``cores`` busy ``utilization`` of
    the time, waiting for one of them (M/M/c: 1 plus Erlang C's chance of waiting over
    what the free capacity serves); 1/(1 - utilization) on one core, less on several
    (a second core is often free when the first is not). Infinite at saturation."""
    if utilization >= 1:
        return float("inf")
    offered = cores * utilization
    queued = offered**cores / math.factorial(cores) / (1 - utilization)
    waiting = queued / (sum(offered**k / math.factorial(k) for k in range(cores)) + queued)
    return 1 + waiting / (cores * (1 - utilization))


def path_lag_ms(waits_ms: float, hops: list[tuple[float, float]], cores: int = 1) -> float:
    """The mean time through a path: ``waits_ms`` that take no core (the relays' wake
    and linger, the broker's confirms, the worker's delivery), plus each hop's CPU ms
    on ``cores`` busy a share of the time, as ``(cpu_ms, utilization)``: a hop's work
    waits for one of them (``stretch``). Infinite once a hop's cores are saturated."""
    if any(busy >= 1 for _, busy in hops):
        return float("inf")
    return waits_ms + sum(cpu * stretch(busy, cores) for cpu, busy in hops)


def unloaded_waits_ms(lag_ms: float, hops: list[tuple[float, float]], cores: int = 1) -> float:
    """The waits that take no core in a lag measured at a low rate (``lag_ms``, the
    path's ``hops`` at that rate's utilization, on ``cores``): the lag less the hops'
    CPU and its queueing; never below zero (the path's CPU then explains the whole
    lag)."""
    return max(0.0, lag_ms - path_lag_ms(0.0, hops, cores))


def within(predicted: float, measured: float, tolerance: float = 0.20) -> bool:
    """``predicted`` is within ``tolerance`` (a fraction) of ``measured``."""
    return abs(predicted - measured) <= tolerance * measured
