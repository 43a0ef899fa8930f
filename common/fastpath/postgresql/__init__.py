"""A database backend: Django's PostgreSQL one with per-request costs taken out (base.py)
and short inserts written as ``VALUES`` (compiler.py)."""
