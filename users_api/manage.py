#!/usr/bin/env python
"""users_api's command-line entry point."""

import os
import sys
from pathlib import Path

# The repository root holds `common`, shared by every service.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "users_api.settings")
    from django.core.management import execute_from_command_line

    from common.development.devfiles import ensure_dev_files

    ensure_dev_files("users_api")

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
