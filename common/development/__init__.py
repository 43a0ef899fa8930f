"""Tools for developing and testing, never for serving a request: the development files
a service writes on first start (``devfiles``), the embedded broker (``embedded_broker``),
free ports for the processes tests and scripts start (``ports``) and the test helpers
(``testing``).

Production code paths must not depend on this package except through the development
defaults the settings choose when nothing else is configured.
"""
