"""docker-compose.yml and the Dockerfile, checked statically (no Docker engine here).

The compose file must stay honest: every command points at code that exists,
every service gets the configuration production settings demand, and that
configuration really boots Django's deployment checks.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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
def test_each_project_gets_its_own_database(project):
    init_sql = (REPO / "deploy" / "postgres-init.sql").read_text()
    for name in (project, f"{project}-migrate"):
        url = SERVICES[name]["environment"]["DATABASE_URL"]
        assert url.endswith(f"@postgres:5432/{project}")
    assert f"CREATE DATABASE {project};" in init_sql


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


@pytest.mark.parametrize("project", ["clients_api", "products_api", "orders_api"])
def test_each_publishing_project_has_a_relay_on_its_own_database(project):
    relay = SERVICES[f"{project}-relay"]
    assert _command_text(relay) == f"python {project}/manage.py relay_outbox"
    assert relay["environment"]["DATABASE_URL"] == SERVICES[project]["environment"]["DATABASE_URL"]
    assert relay["restart"] == "unless-stopped"
    assert relay["depends_on"]["redis"]["condition"] == "service_healthy"


@pytest.mark.parametrize("project", ["orders_api", "products_api"])
def test_each_consuming_project_has_a_worker_on_its_own_queue(project):
    worker = SERVICES[f"{project}-worker"]
    command = _command_text(worker)
    assert command.startswith(f"celery -A {project}.celery worker -Q {project}.events")
    assert worker["working_dir"] == f"/app/{project}"
    assert (REPO / project / project / "celery.py").exists()
    assert worker["environment"]["DATABASE_URL"].endswith(f"/{project}")


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
