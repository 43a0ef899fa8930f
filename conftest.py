"""Every project's tests load one pytest plugin, common.testing: its fixtures, hooks and
markers. A project's own conftest.py adds only what is its own."""

pytest_plugins = ["common.testing"]
