"""`make capacity`'s model (scripts/capacity_model.py): costs and a mix in, cores and
orders a day out. The costs here are made up, round enough to check by hand."""

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import capacity_model as model

import capacity

MIX_FILE = Path(__file__).resolve().parent.parent / "capacity" / "mix.toml"


def _mix(**changes) -> model.Mix:
    values = dict(
        orders_per_day=86_400,  # 1 order/s on average
        items_per_order=3,
        client_changes_per_day=0,
        product_changes_per_day=0,
        logins_per_day=0,
        reads_per_write=0,
        read_shares={"products_list": 0.5, "order_detail": 0.5, "clients_search": 0},
        peak_to_average=1,
        api_processes=4,
        worker_processes=4,
    )
    values.update(changes)
    return model.Mix(**values)


def _unit(**cpu_ms: float) -> dict:
    return {"cpu_ms": {key.replace("__", "."): ms for key, ms in cpu_ms.items()}}


def _costs(**units: dict) -> dict:
    base = {
        "orders_create": _unit(
            orders_api__api=4, orders_api__relay=1, orders_api__db=2, broker=0.5
        ),
        "orders_create_1": _unit(
            orders_api__api=2, orders_api__relay=1, orders_api__db=1, broker=0.5
        ),
        "client_change": _unit(clients_api__api=3),
        "stock_movement": _unit(products_api__api=2),
        "login": _unit(users_api__api=100),
        "products_list": _unit(products_api__api=5, products_api__db=1),
        "order_detail": _unit(orders_api__api=2, orders_api__db=2),
        "clients_search": _unit(clients_api__api=1),
    }
    base.update(units)
    return {"units": base}


def test_the_mix_file_shipped_loads():
    mix = model.load_mix(MIX_FILE)
    assert mix.orders_per_day > 0
    assert sum(mix.read_shares.values()) == pytest.approx(1)


def test_read_shares_that_do_not_sum_to_one_are_refused(tmp_path):
    text = MIX_FILE.read_text().replace("clients_search = 0.2", "clients_search = 0.3")
    (tmp_path / "mix.toml").write_text(text)
    with pytest.raises(ValueError, match=r"sum to 1\.1"):
        model.load_mix(tmp_path / "mix.toml")


def test_an_order_interpolates_between_one_and_three_lines():
    assert model.units_per_order(_mix(items_per_order=3))["orders_create"] == 1
    assert model.units_per_order(_mix(items_per_order=3))["orders_create_1"] == 0
    two = model.units_per_order(_mix(items_per_order=2))
    assert (two["orders_create_1"], two["orders_create"]) == (0.5, 0.5)
    # 5 lines: one more line each time costs what the second and third did.
    demand = model.demand_per_order(_costs(), _mix(items_per_order=5))
    assert demand["orders_api.api"] == pytest.approx(6)


def test_reads_follow_every_write_and_split_by_share():
    mix = _mix(client_changes_per_day=86_400, reads_per_write=2)  # 2 writes per order
    units = model.units_per_order(mix)
    assert units["client_change"] == 1
    assert units["products_list"] == units["order_detail"] == 2  # 4 reads, half each


def test_cores_needed_at_the_peak():
    mix = _mix(orders_per_day=86_400 * 100, peak_to_average=5)  # 500 orders/s at the peak
    needed = model.cores_needed(_costs(), mix)
    assert needed["orders_api.api"] == pytest.approx(2.0)  # 4 ms x 500/s
    assert needed["broker"] == pytest.approx(0.25)


def test_the_api_saturates_first_and_more_cores_is_the_only_lift():
    step = model.step(_costs(), _mix(), 1)
    # One core shared by orders_api's API (4 ms) and relay (1 ms): 200 orders/s.
    assert step.saturates == "orders_api: 1 cores (API, relay, worker)"
    assert step.orders_per_day == pytest.approx(200 * 86_400)
    assert step.lifts == []


def test_one_relay_saturates_and_sharding_lifts_it():
    costs = _costs(
        orders_create=_unit(orders_api__api=1, orders_api__relay=4, orders_api__db=1),
    )
    step = model.step(costs, _mix(), 8)
    assert step.saturates == "orders_api: one relay (one process, one core)"
    assert step.orders_per_day == pytest.approx(250 * 86_400)
    _, lift, after, following = step.lifts[0]
    assert lift == "relay sharding by aggregate"
    # Then the 8 cores shared by API (1 ms) and relay (4 ms): 1,600 orders/s.
    assert after == pytest.approx(1600 * 86_400)
    assert following == "orders_api: 8 cores (API, relay, worker)"


def test_read_replicas_lift_the_database_to_its_writes():
    costs = _costs(
        orders_create=_unit(orders_api__api=0.1, orders_api__db=1),
        order_detail=_unit(orders_api__api=0.1, orders_api__db=1),
    )
    mix = _mix(
        reads_per_write=3, read_shares={"products_list": 0, "order_detail": 1, "clients_search": 0}
    )
    step = model.step(costs, mix, 2)
    assert step.saturates == "orders_api database: one server (2 cores)"
    assert step.orders_per_day == pytest.approx(500 * 86_400)  # 4 ms of database per order
    assert step.lifts[0][1] == "read replicas"
    assert step.lifts[0][2] == pytest.approx(2000 * 86_400)  # the writes' 1 ms alone
    assert step.final_saturates.startswith("orders_api database: write transactions")


def test_each_queue_is_one_process_of_the_broker():
    costs = _costs(orders_create=_unit(orders_api__api=0.1, broker=2))
    costs["units"]["orders_create"]["deliveries"] = {"products_api": 3, "orders_api": 1}
    step = model.step(costs, _mix(), 4)
    # 1.5 ms of the broker's 2 per order go to products_api's queue: one core, 667/s.
    assert step.saturates == "broker: the products_api.events queue (one process, one core)"
    assert step.orders_per_day == pytest.approx(1000 / 1.5 * 86_400)
    assert step.lifts[0][1] == "a queue per shard of aggregates"
    assert step.lifts[0][2] == pytest.approx(2000 * 86_400)  # the broker's 4 cores
    assert step.final_saturates == "broker: RabbitMQ (4 cores)"


def test_one_pgbouncer_splits_into_one_per_service_by_their_commits():
    costs = _costs(orders_create=_unit(orders_api__api=0.1, pgbouncer=2))
    costs["units"]["orders_create"]["transactions"] = {"orders_api": 3, "products_api": 1}
    step = model.step(costs, _mix(), 8)
    assert step.saturates == "PgBouncer: one process (one core)"
    assert step.orders_per_day == pytest.approx(500 * 86_400)
    assert step.lifts[0][1] == "a PgBouncer per service"
    assert step.lifts[0][2] == pytest.approx(1000 / 1.5 * 86_400)  # orders_api's 3 of 4
    assert step.final_saturates == "orders_api's PgBouncer (one core)"


def test_commits_per_order_meet_the_wal_whatever_the_cores():
    costs = dict(_costs(orders_create=_unit(orders_api__api=0.1)), commit_ceiling=2000)
    costs["units"]["orders_create"]["transactions"] = {"orders_api": 8, "products_api": 2}
    costs["units"]["order_detail"]["transactions"] = {"orders_api": 2}  # writes no WAL
    mix = _mix(
        reads_per_write=2,
        read_shares={"products_list": 0, "order_detail": 1, "clients_search": 0},
    )
    for cores in (4, 16):
        step = model.step(costs, mix, cores)
        assert step.saturates == "orders_api database: commits (WAL flushes, 2,000/s)"
        assert step.orders_per_day == pytest.approx(250 * 86_400)
        assert step.lifts == []


def test_cliffs_name_what_stops_short_of_the_target():
    cheap = _costs(orders_create=_unit(orders_api__api=0.1))
    assert model.cliffs(cheap, _mix()) == []
    sequence = dict(cheap, sequence_ms=1.0)  # a serialized ms per order: 1,000 orders/s
    assert model.cliffs(sequence, _mix(target_orders_per_day=1_000 * 86_400 + 1)) == [
        "the order-number sequence (nextval, serialized)"
    ]


def test_shared_cores_or_one_process_binds():
    cpu = {"orders_api.api": 5, "orders_api.db": 5}
    assert model.shared_saturation(cpu, cores=2, limits={"orders_api.api": 2}) == (
        200,
        "the shared cores",
    )
    assert model.shared_saturation(cpu, cores=4, limits={"orders_api.api": 1}) == (
        200,
        "orders_api.api",
    )


def test_a_run_takes_in_the_sweep_repeats_that_fall_inside_it():
    # Sweeps every 10 s, each event repeated by the two after it.
    assert model.sweep_repeats_within(0, 10) == 0
    assert model.sweep_repeats_within(5, 10) == pytest.approx(0.25)
    assert model.sweep_repeats_within(20, 10) == pytest.approx(1)
    assert model.sweep_repeats_within(40, 10) == pytest.approx(1.5)
    assert model.sweep_repeats_within(10_000, 10) == pytest.approx(2, abs=0.01)


def test_a_saturation_run_pays_for_the_repeats_inside_it_at_the_rate_it_runs():
    en_route = {"orders_api.api": 6, "orders_api.db": 4}
    whole = {"orders_api.api": 6, "orders_api.db": 6, "schedulers": 2}  # repeats: 4 ms
    # An instant run is the en-route cost alone: 1 core at 10 ms an order.
    assert model.sustained_saturation(
        en_route, whole, orders=0.001, interval_s=10, cores=1, limits={}
    )[:3] == pytest.approx((100, "the shared cores", 0), abs=0.01)
    rate, binding, repeats, cpu_ms = model.sustained_saturation(
        en_route, whole, orders=2000, interval_s=10, cores=1, limits={}
    )
    # Where it settles, the run's length at the rate gives the repeats that set the rate.
    assert repeats == pytest.approx(model.sweep_repeats_within(2000 / rate, 10), rel=1e-3)
    assert cpu_ms == pytest.approx(
        {"orders_api.api": 6, "orders_api.db": 4 + repeats, "schedulers": repeats}
    )
    assert rate == pytest.approx(1000 / (10 + 2 * repeats), rel=1e-3)
    assert 1 < repeats < 2 and binding == "the shared cores"
    # One gunicorn process still binds before the shared cores do.
    assert model.sustained_saturation(
        en_route, whole, orders=2000, interval_s=10, cores=4, limits={"orders_api.api": 0.5}
    )[:2] == (pytest.approx(1000 * 0.5 / 6), "orders_api.api")


def test_the_check_predicts_the_sustained_rate_from_the_orders_unit():
    costs = {
        "units": {
            "orders_create": {
                "cpu_ms": {"orders_api.api": 6, "orders_api.db": 6},
                "cpu_ms_en_route": {"orders_api.api": 6, "orders_api.db": 4},
            }
        }
    }
    run = {
        "replicas": 2,
        "orders": 2000,
        "sweep_interval_s": 10,
        "available_cores": 1,
        "measured_rps": 80,
    }
    throughput = capacity.predict_throughput(run, costs)
    rate, binding, repeats, cpu_ms = model.sustained_saturation(
        {"orders_api.api": 6, "orders_api.db": 4},
        {"orders_api.api": 6, "orders_api.db": 6},
        orders=2000,
        interval_s=10,
        cores=1,
        limits={"orders_api.api": 2},
    )
    assert throughput == {
        "predicted_rps": rate,
        "binding": binding,
        "predicted_cpu_ms_per_order": sum(cpu_ms.values()),
        "sweep_repeats_within": repeats,
        "rps_within": True,  # about 90 against 80
    }
    assert not capacity.predict_throughput(dict(run, measured_rps=60), costs)["rps_within"]


#: What one item of each process on the path costs, made up: ms per relay pass, worker
#: task, database or PgBouncer transaction, broker event.
ITEM_MS = {
    "orders_api.relay": 2,
    "products_api.relay": 3,
    "products_api.worker": 6,
    "orders_api.worker": 4,
    "orders_api.db": 0.5,
    "products_api.db": 1,
    "pgbouncer": 0.25,
    "broker": 0.5,
}


def test_the_critical_path_costs_one_item_of_each_hop():
    hops = model.path_cpu_ms(model.reservation_path(), ITEM_MS)
    assert list(hops.values()) == [
        2 + 0.5 + 0.25,  # orders_api's relay: a pass, its claim through PgBouncer
        0.5,  # the order's one event
        6 + 1 + 0.25,  # products_api's worker: a task, its transaction
        3 + 1 + 0.25,  # products_api's relay: a pass, its claim
        0.5,  # the answer, the products it moved inside
        4 + 0.5 + 0.25,  # orders_api's worker applies the answer
    ]


def test_a_path_item_not_costed_leaves_its_hops_and_the_lag_unknown():
    costed = {key: ms for key, ms in ITEM_MS.items() if key != "broker"}
    hops = model.path_cpu_ms(model.reservation_path(), costed)
    unknown = [name for name, ms in hops.items() if math.isnan(ms)]
    assert unknown == [
        "RabbitMQ takes it to products_api's queue",
        "RabbitMQ takes it to orders_api's queue",
    ]
    assert math.isnan(model.path_lag_ms(10, [(ms, 0.5) for ms in hops.values()]))


def test_utilization_is_the_cpu_the_rate_takes_of_the_cores():
    # 10 orders a second at 80 ms each: 0.8 of a core, 40 % of two.
    assert model.utilization(10, cpu_ms_per_order=80, cores=2) == pytest.approx(0.4)
    assert model.utilization(50, cpu_ms_per_order=80, cores=2) == 2  # past saturation


def test_a_lone_order_costs_its_items_where_they_are_counted_and_the_unit_elsewhere():
    unit = {"orders_api.api": 5, "broker": 3, "orders_api.relay": 2, "orders_api.worker": 9}
    items = {"orders_api.relay": 6, "orders_api.worker": 12, "orders_api.db": 1.5}
    per_order = {"orders_api.relay": 2, "orders_api.worker": 1, "orders_api.db": 4}
    # The relay's two passes and the worker's task in full, the database's four
    # commits; the API and the broker at the unit's cost.
    assert model.lone_order_cpu_ms(unit, items, per_order) == pytest.approx(12 + 12 + 6 + 5 + 3)
    # A process costed per item but with no item counted per order: the unit's.
    assert model.lone_order_cpu_ms(unit, items, {}) == pytest.approx(5 + 3 + 2 + 9)


def test_the_rate_at_a_utilization_is_its_inverse():
    rate = model.rate_at_utilization(0.5, cpu_ms_per_order=80, cores=1.6)
    assert rate == pytest.approx(10)
    assert model.utilization(rate, cpu_ms_per_order=80, cores=1.6) == pytest.approx(0.5)
    assert math.isnan(model.rate_at_utilization(0.5, cpu_ms_per_order=float("nan"), cores=2))
    assert math.isnan(model.rate_at_utilization(0.5, cpu_ms_per_order=0, cores=2))


def test_at_a_low_rate_the_lag_is_the_waits_and_the_path_cpu():
    # 20 ms of CPU on cores 10 % busy: 22.2 ms, behind 30 ms of waits.
    assert model.path_lag_ms(30, [(12, 0.1), (6, 0.1)]) == pytest.approx(30 + 18 / 0.9)
    assert model.path_lag_ms(30, []) == 30


def test_on_busy_cores_each_hop_waits_by_its_own_utilization():
    # Hops on cores 75 % and 50 % busy: four and two times their CPU.
    assert model.path_lag_ms(10, [(5, 0.75), (5, 0.5)]) == pytest.approx(10 + 20 + 10)


def test_a_saturated_hop_has_no_lag_to_predict():
    assert model.path_lag_ms(10, [(5, 0.2), (5, 1.0)]) == float("inf")
    assert model.path_lag_ms(10, [(5, 1.5)]) == float("inf")


def test_on_one_core_work_waits_as_in_m_m_1_and_on_two_less():
    assert model.stretch(0.5) == pytest.approx(2)
    assert model.stretch(0.75, 1) == pytest.approx(4)
    # Two cores half busy: 1 / (1 - 0.25), a second core often free.
    assert model.stretch(0.5, 2) == pytest.approx(4 / 3)
    assert model.stretch(0, 2) == 1
    assert model.stretch(1, 2) == float("inf")
    assert model.path_lag_ms(10, [(6, 0.5), (6, 0.5)], cores=2) == pytest.approx(10 + 16)


def test_the_unloaded_waits_are_the_low_rate_lag_less_its_path():
    hops = [(9, 0.1), (9, 0.1)]  # 20 ms through the cores at 10 %
    waits = model.unloaded_waits_ms(50, hops)
    assert waits == pytest.approx(30)
    # The same path at half the cores busy: 30 ms of waits and 36 of CPU and queueing.
    assert model.path_lag_ms(waits, [(9, 0.5), (9, 0.5)]) == pytest.approx(66)
    # A path whose CPU explains more than the lag measured leaves no waits.
    assert model.unloaded_waits_ms(15, hops) == 0


def test_within_twenty_percent():
    assert model.within(119, 100)
    assert not model.within(121, 100)
    assert not model.within(79, 100)


def test_a_window_becomes_costs_per_request_less_the_idle_burn():
    costs = capacity.unit_costs(
        cpu={"orders_api.api": 1000, "orders_api.relay": 300, "broker": 50},
        idle={"orders_api.relay": 100, "broker": 80},
        change={
            "xact:orders_api": 400,
            "events:orders_api": 100,
            "statements:orders_api:api/v1/orders/": 700,
            "answered:orders_api:api/v1/orders/": 100,
            "statements:products_api:api/v1/products/": 999,
        },
        requests=100,
        service="orders_api",
    )
    assert costs["cpu_ms"] == {"orders_api.api": 10, "orders_api.relay": 2}  # broker: all idle
    assert costs["statements"] == 7
    assert costs["transactions"] == {"orders_api": 4}
    assert costs["events"] == {"orders_api": 1}


def test_a_lag_window_costs_each_item_of_the_path_less_the_idle_burn():
    items = capacity.item_costs(
        cpu={
            "orders_api.relay": 260,
            "products_api.worker": 900,
            "orders_api.db": 500,
            "products_api.db": 300,
            "pgbouncer": 150,
            "broker": 999,
        },
        idle={"orders_api.relay": 20, "orders_api.db": 100, "pgbouncer": 50},
        passes={"orders_api": 120, "products_api": 0},
        tasks={"products_api": 100},
        commits={"orders_api": 400, "products_api": 100},
    )
    assert items == {
        "orders_api.relay": 2,  # (260 - 20) / 120 passes
        "products_api.worker": 9,
        "orders_api.db": 1,  # (500 - 100) / 400 commits
        "products_api.db": 3,
        "pgbouncer": 0.2,  # (150 - 50) / every database's 500 commits
    }  # no pass of products_api's relay counted: not costed; the broker is not an item here


#: A window whose orders cost 100 ms each: 92 of the unit's (``UNIT_MS``) and, per
#: order, two passes of orders_api's relay and a task of its worker (``ITEM_MS``: 2 and
#: 4 ms).
UNIT_MS = {"orders_api.api": 62, "broker": 30}
WINDOW_ITEMS = {
    "orders": 80,
    "passes": {"orders_api": 160},
    "tasks": {"orders_api": 80},
    "commits": {},
}


def test_the_check_predicts_the_loaded_lag_from_the_unloaded_window():
    unloaded = {
        "rate": 2,
        **WINDOW_ITEMS,
        # Orders at 100 ms of CPU each on two cores: 10 % busy at 2 a second; their
        # work waiting as on one core (M/M/1), to keep the arithmetic plain.
        "available_cores": 2,
        "machine_cores": 1,
        "lag_ms": 30 + 20 / 0.9,  # 30 ms of waits, 20 of CPU on cores 10 % busy
        "item_ms": {key: ms for key, ms in ITEM_MS.items() if key != "broker"},
    }
    loaded = {"rate": 10, "lag_ms": 60, "lag_p99_ms": 200}
    broker = {"per_event_ms": {"broker": 0.5}, "units": {"orders_create": {"cpu_ms": UNIT_MS}}}
    lag = capacity.predict_lag(unloaded, loaded, broker)
    assert sum(lag["path_cpu_ms"].values()) == pytest.approx(20)
    assert lag["waits_ms"] == pytest.approx(30)
    assert lag["predicted_lag_utilization"] == pytest.approx(0.5)
    assert lag["predicted_lag_ms"] == pytest.approx(30 + 20 / 0.5)
    assert lag["lag_within"]  # 70 against 60 measured
    saturated = capacity.predict_lag(unloaded, dict(loaded, rate=20), broker)
    assert saturated["predicted_lag_ms"] == float("inf")
    assert not saturated["lag_within"]
    # On the two cores of a machine the same path waits less for one of them.
    two = capacity.predict_lag(dict(unloaded, machine_cores=2), loaded, broker)
    assert two["predicted_lag_ms"] == pytest.approx(two["waits_ms"] + 20 * model.stretch(0.5, 2))
    assert two["predicted_lag_ms"] < lag["predicted_lag_ms"]


def test_the_loaded_lag_does_not_depend_on_the_rate_sustained_in_batches():
    # Orders cost half as much in a saturation run's batches: that run's rate would
    # put the cores at 25 % where an order travelling alone keeps them 50 % busy.
    unloaded = {
        "rate": 2,
        **WINDOW_ITEMS,
        "available_cores": 2,
        "machine_cores": 1,
        "lag_ms": 60,
        "item_ms": {key: ms for key, ms in ITEM_MS.items() if key != "broker"},
    }
    loaded = {"rate": 10, "lag_ms": 70, "lag_p99_ms": 200}
    costs = {"per_event_ms": {"broker": 0.5}, "units": {"orders_create": {"cpu_ms": UNIT_MS}}}
    lag = capacity.predict_lag(unloaded, loaded, costs)
    assert lag["predicted_lag_utilization"] == pytest.approx(0.5)


def test_the_lag_judged_is_the_median_windows_and_every_windows_mean_is_reported():
    windows = [
        {"lag_ms": 52.0, "lag_p99_ms": 90.0, "rate": 4, "probe_ms": 31.2},
        {"lag_ms": 41.0, "lag_p99_ms": 70.0, "rate": 4, "probe_ms": 30.4},
        {"lag_ms": 47.0, "lag_p99_ms": 80.0, "rate": 4, "probe_ms": 39.6},
    ]
    for window, api_idle, cpu_ms, busy in zip(
        windows, (53.5, 55.0, 68.0), (60.0, 55.0, 75.0), (0.5, 0.45, 0.6), strict=True
    ):
        window.update(api_idle_ms_per_s=api_idle, cpu_ms_per_order=cpu_ms, utilization=busy)
    chosen = capacity.median_of(windows)
    assert (chosen["lag_ms"], chosen["lag_p99_ms"]) == (47.0, 80.0)  # a window, whole
    assert chosen["lag_ms_windows"] == [52.0, 41.0, 47.0]  # in the order measured
    assert chosen["probe_ms_windows"] == [31.2, 30.4, 39.6]
    assert chosen["api_idle_ms_per_s_windows"] == [53.5, 55.0, 68.0]
    assert chosen["cpu_ms_per_order_windows"] == [60.0, 55.0, 75.0]
    assert chosen["utilization_windows"] == [0.5, 0.45, 0.6]
    assert capacity._spread(chosen) == "[52, 41, 47; probe 31, 30, 40 ms]"
    assert capacity.median_of(windows[:2])["lag_ms"] == 41.0  # the lower middle one
    assert capacity._spread({"lag_ms": 47.0}) == ""  # a run recorded before: one window
    # Recorded before the probe: the means alone.
    assert capacity._spread({"lag_ms_windows": [52.0, 41.0]}) == "[52, 41]"


def test_the_speed_probe_times_cpu_not_the_wall(monkeypatch):
    clock = iter([0.0, 0.030, 1.0, 1.025, 2.0, 2.040])  # CPU seconds, three runs
    monkeypatch.setattr(capacity.time, "process_time", lambda: next(clock))
    monkeypatch.setattr(capacity, "PROBE_STEPS", 10)
    assert capacity.speed_probe_ms() == pytest.approx(25.0)  # the least of three
