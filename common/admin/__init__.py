"""The back office every service shares: the admin site (its sign-in through users_api, its
links between the four services' admins) and the base ``ModelAdmin`` classes whose writes go
through the service layer.

It registers no model: each service's ``admin.py`` registers its own (Django's
``admin.autodiscover`` imports this package for the ``common`` app and finds nothing to do).
"""
