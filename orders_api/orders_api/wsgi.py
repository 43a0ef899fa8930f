import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orders_api.settings")

from django.core.wsgi import get_wsgi_application

from common.devfiles import ensure_dev_files

ensure_dev_files("orders_api")
application = get_wsgi_application()
