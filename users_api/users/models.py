"""Users, roles, the permission catalogue and login sessions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import _user_has_module_perms, _user_has_perm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from common.localization.search import Searchable
from common.versioning import VersionedModel


class Permission(models.Model):
    """One code of ``users.permission_catalogue``; synced after every migrate."""

    code = models.CharField(_("code"), primary_key=True, max_length=100)
    service = models.CharField(_("service"), max_length=50, db_index=True)
    description = models.CharField(_("description"), max_length=200)

    class Meta:
        verbose_name = _("permission code")
        verbose_name_plural = _("permission codes")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Role(VersionedModel):
    """A named set of permission codes that can be granted to users at once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=80, help_text=_("Unique, case-insensitively."))
    description = models.TextField(_("description"), blank=True)
    permissions = models.ManyToManyField(
        Permission, blank=True, related_name="roles", verbose_name=_("permission codes")
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="users_role_name_ci_unique",
                violation_error_message=_("A role with this name already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    """Used by ``createsuperuser``; the API creates users through ``users.services``."""

    def create_user(
        self, username: str, email: str, password: str | None = None, **fields: Any
    ) -> User:
        user = self.model(username=username, email=self.normalize_email(email), **fields)
        user.set_password(password)
        with transaction.atomic(using=self._db):  # the user and its event (users.events)
            user.save(using=self._db)
        return user

    def create_superuser(
        self, username: str, email: str, password: str | None = None, **fields: Any
    ) -> User:
        fields.update(is_staff=True, is_superuser=True, is_active=True)
        return self.create_user(username, email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        """The user whose name is ``username`` in any case (names are unique that way):
        the admin's login and ``createsuperuser`` look users up through here.

        Raises User.DoesNotExist when there is none.
        """
        return self.get(username__iexact=username)


class User(Searchable, AbstractBaseUser, VersionedModel):
    UNVERSIONED_FIELDS = frozenset({"last_login"})
    SEARCHED_FIELDS = ("username", "email", "first_name", "last_name")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = models.CharField(
        _("username"),
        max_length=150,
        unique=True,
        validators=[UnicodeUsernameValidator()],
        error_messages={"unique": _("A user with this username already exists.")},
        help_text=_("Letters, digits and @/./+/-/_ only; 150 characters at most."),
    )
    email = models.EmailField(_("email"), help_text=_("Unique, case-insensitively."))
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive users cannot log in or refresh tokens.")
    )
    is_staff = models.BooleanField(
        _("staff"), default=False, help_text=_("May sign in to the admin sites.")
    )
    is_superuser = models.BooleanField(
        _("superuser"),
        default=False,
        help_text=_("Passes every permission check of every service."),
    )
    tokens_revoked_at = models.DateTimeField(
        _("tokens revoked at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Every service refuses this user's access tokens and admin sessions issued "
            "before this moment."
        ),
    )
    roles = models.ManyToManyField(Role, blank=True, related_name="users", verbose_name=_("roles"))
    permissions = models.ManyToManyField(
        Permission,
        blank=True,
        related_name="granted_users",
        verbose_name=_("permission codes"),
        help_text=_("Codes granted directly, on top of those of the user's roles."),
    )

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="users_user_username_ci_unique",
                violation_error_message=_("A user with this username already exists."),
            ),
            models.UniqueConstraint(
                Lower("email"),
                name="users_user_email_ci_unique",
                violation_error_message=_("A user with this email already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.username

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name

    # The admin asks these; the answers come from the authentication backend
    # (users.backends), i.e. from the same codes the user's tokens carry.
    def has_perm(self, perm: str, obj: Any = None) -> bool:
        if self.is_active and self.is_superuser:
            return True
        return _user_has_perm(self, perm, obj)

    def has_perms(self, perm_list: Iterable[str], obj: Any = None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        if self.is_active and self.is_superuser:
            return True
        return _user_has_module_perms(self, app_label)


class LoginSession(models.Model):
    """One login and every refresh token rotated from it (a token family)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"login {self.pk} of {self.user_id}"


class IssuedRefreshToken(models.Model):
    """A refresh token we issued; ``used_at`` set means it was rotated (blacklisted)."""

    jti = models.CharField(primary_key=True, max_length=64)
    session = models.ForeignKey(
        LoginSession, on_delete=models.CASCADE, related_name="refresh_tokens"
    )
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.jti
