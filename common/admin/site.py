"""One back office: every service's admin site has the same header and links.

``BackOfficeAdminConfig`` replaces ``django.contrib.admin`` in INSTALLED_APPS so
that ``admin.site`` is the class ``BACK_OFFICE_SITE`` names: a ``BackOfficeSite``,
or a ``PanelSite`` of the service's own whose home opens on a panel. The links to
the four admin sites come from ``BACK_OFFICE_URLS`` (public base URLs, by service).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

#: The backend of the admin sites whose accounts live in users_api.
USERS_API_BACKEND = "common.auth.admin_sign_in.UsersApiBackend"


class BackOfficeSite(admin.AdminSite):
    """The admin site of a service: header "Sistema Multi-APIs — <service>", links to
    the other services' admin sites and to this service's API docs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site_header = f"Sistema Multi-APIs — {settings.SERVICE_NAME}"
        self.site_title = format_lazy(_("{service} admin"), service=settings.SERVICE_NAME)
        self.index_title = _("Back office")
        self.site_url = None  # the services have no site at "/" to go back to

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        context["back_office_links"] = [
            {"service": service, "url": f"{url.rstrip('/')}/admin/"}
            for service, url in settings.BACK_OFFICE_URLS.items()
            if service != settings.SERVICE_NAME
        ]
        context["service_name"] = settings.SERVICE_NAME
        context["api_docs_url"] = reverse("docs")
        return context


class PanelSite(BackOfficeSite):
    """A back office whose home shows a panel (``panel_template`` filled by ``panel``)
    above the model list, to whoever holds ``panel_permission``; others see the usual
    home. A service's subclass says which, in its own admin module."""

    index_template = "admin/panel_index.html"
    panel_permission: str
    panel_template: str

    def panel(self, request: HttpRequest) -> dict[str, Any]:
        """The panel template's context (only asked for someone who may see it)."""
        raise NotImplementedError

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        if request.user.has_perm(self.panel_permission):
            extra_context = {
                **self.panel(request),
                "panel_template": self.panel_template,
                **(extra_context or {}),
            }
        return super().index(request, extra_context)


class BackOfficeAdminConfig(AdminConfig):
    @property
    def default_site(self) -> str:
        # The service's settings choose its site (a PanelSite for a home with a panel).
        return settings.BACK_OFFICE_SITE

    def ready(self) -> None:
        super().ready()
        if settings.AUTHENTICATION_BACKENDS == [USERS_API_BACKEND]:
            # Accounts, roles and grants are users_api's: a local user or group made
            # here could never sign in, so these admins do not offer them.
            from django.contrib.auth.models import Group, User

            for model in (User, Group):
                if admin.site.is_registered(model):
                    admin.site.unregister(model)
