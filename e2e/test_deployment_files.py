"""docker-compose.yml and the Dockerfile, checked statically (no Docker engine here).

The compose file must stay honest: every command points at code that exists,
every service gets the configuration production settings demand, and that
configuration really boots Django's deployment checks.
"""

import os
import re
import secrets
import shutil
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import yaml
from cryptography.hazmat.primitives import serialization

from common.development.testing import unavailable
from e2e.conftest import postgres_server
from scripts.harness import WORKER_CONCURRENCY

REPO = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DJANGO_PROJECTS = ["users_api", "clients_api", "products_api", "orders_api"]
VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")


def _env_file_values() -> dict[str, str]:
    output = subprocess.run(
        [sys.executable, "scripts/make_env.py"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    values = {}
    for line in output.splitlines():
        name, _, value = line.partition("=")
        values[name] = value.strip('"').replace("\\n", "\n")
    return values


def _substitute(text: str, values: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        default = re.search(r":-([^}]*)", match.group(0))
        assert default, f"${{{name}}} has no default and make_env.py does not set it"
        return default.group(1)

    return VARIABLE.sub(replace, text)


def _command_text(service: dict) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(command)


def _compose_plugin() -> str | None:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return docker
    return None


def test_the_compose_file_is_well_formed():
    """`docker compose config` where the plugin exists; the same shape checks by hand elsewhere."""
    docker = _compose_plugin()
    if docker:
        result = subprocess.run(
            [docker, "compose", "config", "--quiet"],
            cwd=REPO,
            env=_env_file_values(),
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
    assert set(COMPOSE) - {"services", "volumes"} <= {k for k in COMPOSE if k.startswith("x-")}
    for name, service in SERVICES.items():
        assert ("image" in service) != ("build" in service), f"{name}: image xor build"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in COMPOSE["volumes"], f"{name} uses undeclared volume {source}"
        for variable in VARIABLE.findall(yaml.safe_dump(service)):
            assert variable in _env_file_values() or variable == "ALLOWED_HOSTS", variable


def test_dependencies_name_existing_services_with_valid_conditions():
    for name, service in SERVICES.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in SERVICES, f"{name} depends on unknown {dependency}"
            assert rule["condition"] in {
                "service_started",
                "service_healthy",
                "service_completed_successfully",
            }
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[dependency], f"{dependency} has no healthcheck"


@pytest.mark.parametrize("project", DJANGO_PROJECTS)
def test_each_project_is_migrated_once_then_served_with_a_healthcheck(project):
    migrate = SERVICES[f"{project}-migrate"]
    assert f"{project}/manage.py" in _command_text(migrate)
    assert "migrate" in _command_text(migrate)
    assert migrate["restart"] == "no"
    api = SERVICES[project]
    assert api["depends_on"][f"{project}-migrate"]["condition"] == (
        "service_completed_successfully"
    )
    command = _command_text(api)
    assert f"--chdir {project} {project}.wsgi" in command
    assert (REPO / project / project / "wsgi.py").exists()
    assert "readyz" in " ".join(api["healthcheck"]["test"])


@pytest.mark.parametrize("project", DJANGO_PROJECTS)
def test_each_project_connects_as_its_own_role_to_its_own_database(project):
    own = f"postgres://{project}:${{{project.upper()}_DB_PASSWORD}}@postgres:5432/{project}"
    processes = [name for name in SERVICES if name == project or name.startswith(f"{project}-")]
    assert {f"{project}-migrate", project} <= set(processes)
    for name in processes:
        assert SERVICES[name]["environment"]["DATABASE_URL"] == own, name
    # The role is made by the database's init script, with the password compose passes it.
    postgres = SERVICES["postgres"]
    assert f"{project.upper()}_DB_PASSWORD" in postgres["environment"]
    assert project in (REPO / "deploy" / "postgres-init.sh").read_text()


def test_no_service_connects_as_the_postgres_superuser():
    for name, service in SERVICES.items():
        url = service.get("environment", {}).get("DATABASE_URL", "")
        assert not url.startswith("postgres://postgres:"), name


def test_the_database_init_files_are_mounted_and_sound():
    volumes = SERVICES["postgres"]["volumes"]
    assert "./deploy/postgres-init.sh:/docker-entrypoint-initdb.d/10-databases.sh:ro" in volumes
    assert "./deploy/service-database.sql:/deploy/service-database.sql:ro" in volumes
    script = REPO / "deploy" / "postgres-init.sh"
    assert os.access(script, os.X_OK)  # run, not sourced into the image's entrypoint
    assert subprocess.run([shutil.which("sh") or "/bin/sh", "-n", str(script)]).returncode == 0
    assert "/deploy/service-database.sql" in script.read_text()
    sql = (REPO / "deploy" / "service-database.sql").read_text()
    assert "REVOKE CONNECT, TEMPORARY ON DATABASE" in sql and "FROM PUBLIC" in sql


def _postgres_server() -> tuple[str, str]:
    """(server URL, psql) for tests that need a real PostgreSQL."""
    server = postgres_server("the role isolation test")
    psql = shutil.which("psql")
    if not psql:
        unavailable("the role isolation test needs psql")
    return server, psql


def test_a_services_role_reaches_its_own_database_and_no_other():
    """deploy/service-database.sql for real, on the test server, under unique names."""
    server, psql = _postgres_server()
    suffix = uuid.uuid4().hex[:8]
    role_a, role_b = f"e2e_role_a_{suffix}", f"e2e_role_b_{suffix}"
    passwords = {role_a: secrets.token_urlsafe(16), role_b: secrets.token_urlsafe(16)}
    address = urlsplit(server)
    try:
        for role, password in passwords.items():
            subprocess.run(
                [
                    psql,
                    f"{server}/postgres",
                    "-q",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-v",
                    f"database={role}",
                    "-v",
                    f"role={role}",
                    "-v",
                    f"password={password}",
                    "-f",
                    str(REPO / "deploy" / "service-database.sql"),
                ],
                check=True,
                capture_output=True,
            )

        def connect_as_a(database: str) -> psycopg.Connection:
            return psycopg.connect(
                host=address.hostname,
                port=address.port or 5432,
                user=role_a,
                password=passwords[role_a],
                dbname=database,
                connect_timeout=5,
            )

        with connect_as_a(role_a) as conn:  # its own: it connects and, as owner, migrates
            conn.execute("CREATE TABLE t (id int)")
            assert conn.execute("SELECT current_user").fetchone() == (role_a,)
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            connect_as_a(role_b)
        with psycopg.connect(f"{server}/postgres") as conn:
            flags = conn.execute(
                "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = %s",
                [role_a],
            ).fetchone()
            assert flags == (False, False, False)
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            for role in passwords:
                conn.execute(f'DROP DATABASE IF EXISTS "{role}" WITH (FORCE)')
                conn.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.mark.parametrize("project", DJANGO_PROJECTS)
def test_the_compose_environment_boots_production_settings(project, tmp_path):
    """`manage.py check --deploy` with exactly the variables compose would pass."""
    values = _env_file_values()
    environment = {
        name: _substitute(str(value), values)
        for name, value in SERVICES[project]["environment"].items()
    }
    assert environment["ENVIRONMENT"] == "production"
    check_deploy(project, environment, tmp_path)


def check_deploy(project: str, environment: dict[str, str], tmp_path: Path) -> None:
    """`manage.py check --deploy` passes with ``environment`` and generates no secret."""
    # Point the database at SQLite: the check needs settings, not a server.
    environment = dict(environment, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    environment["VAR_DIR"] = str(tmp_path)
    environment["PATH"] = str(Path(sys.executable).parent)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=REPO / project,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / project / "secret_key").exists()  # nothing generated in production


@pytest.mark.parametrize("project", ["users_api", "clients_api", "products_api", "orders_api"])
def test_each_publishing_project_has_a_relay_on_its_own_database(project):
    relay = SERVICES[f"{project}-relay"]
    assert _command_text(relay) == f"python {project}/manage.py relay_outbox"
    assert relay["environment"]["DATABASE_URL"] == SERVICES[project]["environment"]["DATABASE_URL"]
    assert relay["restart"] == "unless-stopped"
    assert relay["depends_on"]["redis"]["condition"] == "service_healthy"


@pytest.mark.parametrize("project", ["users_api", "clients_api", "products_api", "orders_api"])
def test_each_project_has_a_scheduler_on_its_own_database(project):
    scheduler = SERVICES[f"{project}-scheduler"]
    assert _command_text(scheduler) == f"python {project}/manage.py run_scheduler"
    assert (
        scheduler["environment"]["DATABASE_URL"] == SERVICES[project]["environment"]["DATABASE_URL"]
    )
    assert scheduler["restart"] == "unless-stopped"


@pytest.mark.parametrize("project", ["clients_api", "orders_api", "products_api"])
def test_each_consuming_project_has_a_worker_on_its_own_queue(project):
    worker = SERVICES[f"{project}-worker"]
    command = _command_text(worker)
    assert command.startswith(f"celery -A {project}.celery worker -Q {project}.events")
    # A node name of its own (the container's host name tells replicas apart): on RabbitMQ
    # workers sharing Celery's default name clash on the exclusive pidbox queue.
    assert command.endswith(f"-n {project}@%h")
    procfile = (REPO / "Procfile").read_text()
    assert f"-Q {project}.events" in procfile
    assert f"-n {project}-$$@%h" in procfile  # and the shell's pid, which exec hands on
    assert worker["working_dir"] == f"/app/{project}"
    assert (REPO / project / project / "celery.py").exists()
    assert worker["environment"]["DATABASE_URL"].endswith(f"/{project}")


@pytest.mark.parametrize("project", ["clients_api", "products_api", "orders_api"])
def test_every_worker_runs_one_child(project):
    """ADR 0156: a second child of the same worker splits each run of waiting messages
    into smaller batches that contend for the same rows; consumers scale as workers.
    The benchmarks and the end-to-end suite run the same (``WORKER_CONCURRENCY``)."""
    assert WORKER_CONCURRENCY == 1
    name = project.removesuffix("_api")
    for worker in (SERVICES[f"{project}-worker"], SERVICES[f"{name}-api-cluster-worker"]):
        assert f" -c {WORKER_CONCURRENCY} " in _command_text(worker)
    procfile = (REPO / "Procfile").read_text()
    (line,) = [line for line in procfile.splitlines() if line.startswith(f"{name}_worker:")]
    assert f" -c {WORKER_CONCURRENCY} " in line


@pytest.mark.parametrize("project", ["users_api", "clients_api", "products_api", "orders_api"])
def test_the_capacity_mix_counts_the_processes_the_cluster_profile_ships(project):
    """The model's ceilings (one core per process) are those of what ships."""
    deployment = tomllib.loads((REPO / "capacity" / "mix.toml").read_text())["deployment"]
    name = project.removesuffix("_api")
    replica = SERVICES[f"{name}-api-replica"]
    workers = int(re.search(r"--workers (\d+)", _command_text(replica)).group(1))
    assert replica["deploy"]["replicas"] * workers == deployment["api_processes"]
    worker = SERVICES.get(f"{name}-api-cluster-worker")
    if worker is not None:
        children = int(re.search(r" -c (\d+) ", _command_text(worker)).group(1))
        assert worker["deploy"]["replicas"] * children == deployment["worker_processes"]


def test_the_broker_keeps_its_data():
    command = " ".join(SERVICES["redis"]["command"])
    assert "--appendonly yes" in command and "--maxmemory-policy noeviction" in command
    assert all(
        SERVICES[name]["environment"]["BROKER_URL"] == "redis://redis:6379/0"
        for name in SERVICES
        if "build" in SERVICES[name] and "profiles" not in SERVICES[name]
    )


def test_dockerfile_installs_the_pinned_runtime_requirements():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "FROM python:3.11" in dockerfile
    assert "pip install -r requirements/base.txt" in dockerfile
    assert "ENVIRONMENT=production" in dockerfile
    assert "USER app" in dockerfile


def _dockerignored(path: str, patterns: list[str]) -> bool:
    """Whether Docker leaves ``path`` out of the build context: a pattern matches the
    path or one of its parent directories (``**`` spans directories, ``*`` does not)."""
    parts = path.split("/")
    candidates = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    for pattern in patterns:
        regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
        if any(re.fullmatch(regex, candidate) for candidate in candidates):
            return True
    return False


def test_secrets_and_local_state_stay_out_of_the_image():
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for left_out in (
        ".git/config",
        ".venv/bin/python",
        "var/jwt/private.pem",
        "var/users_api/secret_key",
        "var/broker/appendonly.aof",
        ".env",
        "deploy/.env.production",
        "users_api/db.sqlite3",
        "keys/jwt.pem",
        "common/__pycache__/settings.cpython-311.pyc",
    ):
        assert _dockerignored(left_out, patterns), left_out
    for kept in (
        "users_api/manage.py",
        "common/settings/base.py",
        "requirements/base.txt",
        "deploy/service-database.sql",
        "common/templates/admin/base_site.html",
    ):
        assert not _dockerignored(kept, patterns), kept
    assert "COPY . ." in (REPO / "Dockerfile").read_text()  # what the ignore file guards


def test_secrets_are_ignored_by_git():
    for path in (".env", "var/jwt/private.pem", "keys/jwt.pem", "db.sqlite3"):
        ignored = subprocess.run([shutil.which("git"), "check-ignore", "-q", path], cwd=REPO)
        assert ignored.returncode == 0, path


def _system_python() -> str:
    """A Python outside the virtualenv, as a fresh checkout has."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if Path(candidate).exists():
            return candidate
    unavailable("no system python3 outside the virtualenv")


def test_make_env_runs_with_the_system_python_and_writes_a_sound_env():
    """The README's `python3 scripts/make_env.py > .env`, before any `make install`."""
    result = subprocess.run(
        [_system_python(), "-I", "scripts/make_env.py"],  # -I: no site-packages of ours
        cwd=REPO,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    values = {}
    for line in result.stdout.splitlines():
        name, _, value = line.partition("=")
        values[name] = value.strip('"').replace("\\n", "\n")
    secrets_made = [
        "POSTGRES_PASSWORD",
        *(f"{project.upper()}_SECRET_KEY" for project in DJANGO_PROJECTS),
        *(f"{project.upper()}_DB_PASSWORD" for project in DJANGO_PROJECTS),
        "ADMIN_SIGN_IN_SECRET",
        "RABBITMQ_PASSWORD",
        "RABBITMQ_ERLANG_COOKIE",
    ]
    assert set(values) == {*secrets_made, "JWT_PRIVATE_KEY", "JWT_PUBLIC_KEY"}
    assert len({values[name] for name in secrets_made}) == len(secrets_made)
    assert all(len(values[name]) >= 32 for name in secrets_made)
    private_key = serialization.load_pem_private_key(
        values["JWT_PRIVATE_KEY"].encode(), password=None
    )
    assert private_key.key_size == 2048
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_pem.decode().strip() == values["JWT_PUBLIC_KEY"].strip()
