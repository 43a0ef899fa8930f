"""The settings modules every service's ``<service>/settings.py`` builds on.

- ``base``: what every service shares, read from the environment; a service's settings
  star-import it and add their own few values (name, apps, URLs, database, secret).
- ``events``: the broker and event settings of a service that publishes or consumes.
- ``environment``: the readers both use, with their development defaults and the
  ``ENVIRONMENT=production`` rule that an unsafe default is an error instead.

Importing any of them writes nothing: the development files they read are made by
``common.development.devfiles.ensure_dev_files()``.
"""
