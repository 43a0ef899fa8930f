"""Tools for developing and testing, never for serving a request: the development files
a service writes on first start (``devfiles``), the embedded broker (``embedded_broker``),
free ports for the processes tests and scripts start (``ports``) and the test helpers
(``testing``).

A request must not depend on this package. The exceptions are start-up only:
``ensure_dev_files`` runs in every entry point (``manage.py``, ``wsgi.py``, the Celery
apps) before Django reads its settings, and the settings choose the embedded broker and
the default ports when nothing else is configured.
"""
