"""Shared plumbing for the four services: settings, auth, errors, pagination, health."""
