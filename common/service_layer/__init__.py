"""The skeleton every service's ``services.py`` (writes) and ``selectors.py`` (reads)
share: locking a row, changing its fields, saving against a unique constraint, reading one
row or a 404, and compiled queries.

It holds no business rule of any service and no HTTP: a use-case's rules stay in its
service.
"""
