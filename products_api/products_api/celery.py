"""products_api's worker: ``celery -A products_api.celery worker -Q products_api.events``,
run from the products_api directory."""

import sys
from pathlib import Path

# The repository root holds `common`, shared by every service.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from common.events.celery import create_app

app = create_app("products_api")
