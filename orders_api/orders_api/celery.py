"""orders_api's worker: ``celery -A orders_api.celery worker -Q orders_api.events``,
run from the orders_api directory."""

import sys
from pathlib import Path

# The repository root holds `common`, shared by every service.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from common.events.celery import create_app

app = create_app("orders_api")
