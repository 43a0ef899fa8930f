"""gunicorn's entry point: ``bench_typical.wsgi:application``, run from ``scripts/``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_typical.settings")

application = get_wsgi_application()
