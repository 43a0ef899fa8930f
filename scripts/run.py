"""`make run`: migrate every service, print where everything is, start them all.

Processes run under honcho (Procfile); Ctrl-C or SIGTERM stops every one of them,
and when one dies honcho stops the others and names it. With ``BROKER_URL`` set
(Redis or RabbitMQ) the services use that broker and the embedded one is not started.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from common import embedded_broker  # noqa: E402

VENV_BIN = Path(sys.executable).parent

# (service, default port); the port can be changed with <SERVICE>_PORT.
SERVICES = [
    ("users_api", 8001),
    ("clients_api", 8002),
    ("products_api", 8003),
    ("orders_api", 8004),
]


#: The Procfile's process that runs the embedded broker.
EMBEDDED_BROKER = "broker"


def _manage(service: str, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=REPO / service, check=True)


def procfile_processes(procfile: Path) -> list[str]:
    """The process names of ``procfile``, in order."""
    names = []
    for line in procfile.read_text().splitlines():
        name, colon, _ = line.partition(":")
        if colon and name.strip() and not name.lstrip().startswith("#"):
            names.append(name.strip())
    return names


def processes_to_start(procfile: Path, broker_url: str) -> list[str]:
    """Every process, less the embedded broker when ``broker_url`` names another one."""
    names = procfile_processes(procfile)
    return [name for name in names if name != EMBEDDED_BROKER] if broker_url else names


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def main() -> int:
    env = dict(os.environ)
    lines = []
    for service, default_port in SERVICES:
        port = int(env.setdefault(f"{service.upper()}_PORT", str(default_port)))
        print(f"==> {service}: migrating its database", flush=True)
        _manage(service, "migrate", "--noinput", "-v", "0")
        _manage(service, "collectstatic", "--noinput", "-v", "0")
        base = f"http://127.0.0.1:{port}"
        # The admin sites link to each other, and sign in against users_api, where it runs.
        env.setdefault(f"{service.upper()}_PUBLIC_URL", base)
        if service == "users_api":
            env.setdefault("USERS_API_URL", base)
        lines += [
            f"  {service}",
            f"    API      {base}/api/v1/",
            f"    docs     {base}/api/docs/",
            f"    admin    {base}/admin/",
            f"    health   {base}/healthz  {base}/readyz",
        ]
    broker_url = env.get("BROKER_URL", "").strip()
    if broker_url:
        lines.append(f"  broker (BROKER_URL)  {_without_password(broker_url)}")
    else:
        lines.append(f"  embedded broker (Redis)  {embedded_broker.url()}")
    print("\nSistema Multi-APIs is starting:\n" + "\n".join(lines), flush=True)
    print(
        "\nFirst admin (once):\n"
        "  DJANGO_SUPERUSER_PASSWORD='choose-a-strong-one' .venv/bin/python "
        "users_api/manage.py createsuperuser --noinput --username admin "
        "--email admin@example.com\n"
        "Token:\n"
        f"  curl -s -X POST http://127.0.0.1:{env['USERS_API_PORT']}/api/v1/auth/token "
        "-H 'Content-Type: application/json' "
        '-d \'{"username": "admin", "password": "choose-a-strong-one"}\'\n'
        "\nCtrl-C stops everything.\n",
        flush=True,
    )
    os.execve(
        str(VENV_BIN / "honcho"),
        [
            str(VENV_BIN / "honcho"),
            "--procfile",
            str(REPO / "Procfile"),
            "--app-root",
            str(REPO),
            "start",
            *processes_to_start(REPO / "Procfile", broker_url),
        ],
        env,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
