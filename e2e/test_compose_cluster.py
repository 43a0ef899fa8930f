"""docker-compose.yml's `cluster` profile, checked statically (no Docker engine here):
the same shape as the drill in cluster_tests/ — two replicas of each API behind HAProxy,
three RabbitMQ nodes with quorum queues, PgBouncer in transaction mode, one role per
service, two relays and two workers per service."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from common.development.ports import SERVICE_PORTS
from e2e.test_deployment_files import (
    COMPOSE,
    DJANGO_PROJECTS,
    REPO,
    _env_file_values,
    _substitute,
    check_deploy,
)

SERVICES = COMPOSE["services"]
PROFILE = {name: s for name, s in SERVICES.items() if "cluster" in s.get("profiles", [])}

RABBITMQ_NODES = ["rabbitmq-1", "rabbitmq-2", "rabbitmq-3"]


def _dashed(project: str) -> str:
    return project.replace("_", "-")


def _needs(name: str) -> set[str]:
    """Every service ``name`` depends on, directly or not."""
    found: set[str] = set()
    pending = [name]
    while pending:
        for dependency in SERVICES[pending.pop()].get("depends_on") or {}:
            if dependency not in found:
                found.add(dependency)
                pending.append(dependency)
    return found


def test_up_haproxy_starts_the_whole_profile_and_nothing_of_the_single_machine_shape():
    needed = _needs("haproxy")
    assert set(PROFILE) - {"haproxy"} <= needed
    # Besides the profile: PostgreSQL, Redis (the shared cache) and the migrations only.
    assert needed - set(PROFILE) == {
        "postgres",
        "redis",
        *(f"{p}-migrate" for p in DJANGO_PROJECTS),
    }


@pytest.mark.parametrize("project", DJANGO_PROJECTS)
def test_two_replicas_of_each_api_and_of_its_relays_and_workers(project):
    replica = PROFILE[f"{_dashed(project)}-replica"]
    assert replica["deploy"]["replicas"] == 2
    assert f"{project}.wsgi --bind 0.0.0.0:{SERVICE_PORTS[project]}" in replica["command"]
    assert "readyz" in " ".join(replica["healthcheck"]["test"])
    relay = PROFILE.get(f"{_dashed(project)}-cluster-relay")
    worker = PROFILE.get(f"{_dashed(project)}-cluster-worker")
    assert relay is not None  # every project publishes (users_api: its users, issue #35)
    assert (worker is not None) == (project != "users_api")
    if relay:
        assert relay["deploy"]["replicas"] == 2
        assert relay["command"] == ["python", f"{project}/manage.py", "relay_outbox"]
    if worker:
        assert worker["deploy"]["replicas"] == 2
        command = " ".join(worker["command"])
        assert f"-Q {project}.events" in command
        # A node name per container: two replicas must not share Celery's default.
        assert re.search(r"-n \S*%h", command)


@pytest.mark.parametrize("project", DJANGO_PROJECTS)
def test_each_service_is_its_own_role_through_pgbouncer_and_on_rabbitmq_quorum_queues(project):
    names = [f"{_dashed(project)}-replica", f"{_dashed(project)}-cluster-relay"]
    names.append(f"{_dashed(project)}-cluster-worker")
    for name in (n for n in names if n in PROFILE):
        environment = PROFILE[name]["environment"]
        password = f"${{{project.upper()}_DB_PASSWORD}}"
        assert environment["DATABASE_URL"] == (
            f"postgres://{project}:{password}@pgbouncer:6432/{project}"
        )
        assert environment[f"{project.upper()}_DIRECT_DATABASE_URL"] == (
            f"postgres://{project}:{password}@postgres:5432/{project}"
        )
        assert environment["DATABASE_POOL_MODE"] == "transaction"
        assert environment["BROKER_QUEUE_TYPE"] == "quorum"
        hosts = re.findall(r"@([\w-]+):5672/", environment["BROKER_URL"])
        assert hosts == RABBITMQ_NODES
        assert set(RABBITMQ_NODES) | {"pgbouncer"} <= set(PROFILE[name]["depends_on"])


def test_pgbouncer_pools_in_transaction_mode_for_every_service():
    ini = (REPO / "deploy" / "pgbouncer" / "pgbouncer.ini").read_text()
    assert re.search(r"^pool_mode = transaction$", ini, re.M)
    for project in DJANGO_PROJECTS:
        assert re.search(rf"^{project} = host=postgres port=5432 dbname={project}$", ini, re.M)
        assert f"{project.upper()}_DB_PASSWORD" in PROFILE["pgbouncer"]["environment"]
    entrypoint = (REPO / "deploy" / "pgbouncer" / "entrypoint.sh").read_text()
    assert "for service in users_api clients_api products_api orders_api" in entrypoint


def test_the_rabbitmq_nodes_form_one_cluster():
    config = (REPO / "deploy" / "rabbitmq" / "rabbitmq.conf").read_text()
    peers = re.findall(
        r"^cluster_formation\.classic_config\.nodes\.\d+ = rabbit@(\S+)$", config, re.M
    )
    assert peers == RABBITMQ_NODES
    for node in RABBITMQ_NODES:
        assert PROFILE[node]["hostname"] == node
        assert "RABBITMQ_COOKIE" in PROFILE[node]["command"]


def test_haproxy_sends_each_api_to_its_replicas_and_the_config_is_valid(tmp_path):
    config = (REPO / "deploy" / "haproxy" / "haproxy.cfg").read_text()
    templates = re.findall(r"server-template \S+ (\d+) ([\w-]+):(\d+) ", config)
    assert {(host, int(port)) for _, host, port in templates} == {
        (f"{_dashed(p)}-replica", SERVICE_PORTS[p]) for p in DJANGO_PROJECTS
    }
    assert all(int(count) == 2 for count, _, _ in templates)
    haproxy = PROFILE["haproxy"]
    published = {entry.split(":")[1] for entry in haproxy["ports"]}
    assert published == {str(port) for port in SERVICE_PORTS.values()}
    for project, port in SERVICE_PORTS.items():
        assert haproxy["environment"][f"{project.upper()}_BIND"] == f":{port}"
    # Django answers the health checks only if their Host is allowed, whatever the
    # operator puts in ALLOWED_HOSTS.
    host = re.search(r"http-check send .* hdr Host (\S+)", config).group(1)
    for project in DJANGO_PROJECTS:
        allowed = _substitute(
            PROFILE[f"{_dashed(project)}-replica"]["environment"]["ALLOWED_HOSTS"],
            {"ALLOWED_HOSTS": "shop.example.com"},
        )
        assert host in allowed.split(","), allowed
    binary = shutil.which("haproxy")
    if binary is None:
        pytest.skip("haproxy is not installed: the syntax check needs it")
    env = {name: f"127.0.0.1:{value.lstrip(':')}" for name, value in haproxy["environment"].items()}
    # Docker's DNS does not exist here: the replicas' names resolve at run time only.
    result = subprocess.run(
        [binary, "-c", "-f", str(REPO / "deploy" / "haproxy" / "haproxy.cfg")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("project", DJANGO_PROJECTS)
def test_the_profile_environment_boots_production_settings(project, tmp_path):
    """`manage.py check --deploy` with exactly what compose would pass a replica."""
    values = _env_file_values()
    environment = {
        name: _substitute(str(value), values)
        for name, value in PROFILE[f"{_dashed(project)}-replica"]["environment"].items()
    }
    check_deploy(project, environment, tmp_path)
