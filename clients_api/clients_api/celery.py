"""clients_api's worker: ``celery -A clients_api.celery worker -Q clients_api.events``,
run from the clients_api directory."""

import sys
from pathlib import Path

# The repository root holds `common`, shared by every service.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from common.events.celery import create_app

app = create_app("clients_api")
