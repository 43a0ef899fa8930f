import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "users_api.settings")

from common.api.wsgi import application as service_application

application = service_application("users_api")
