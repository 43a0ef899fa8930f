"""Clients (customers) and their addresses. A client is the aggregate its events describe."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import prefetch_related_objects
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from clients.brazil import UFS
from common.admin.spreadsheets import ImportJob
from common.localization.formats import format_document
from common.localization.search import Searchable
from common.versioning import VersionedModel


class Client(Searchable, VersionedModel):
    #: ``?search=`` finds a client by these and by its addresses' districts and cities.
    SEARCHED_FIELDS = ("name", "document", "email")

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual (CPF)")
        COMPANY = "company", _("Company (CNPJ)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    document = models.CharField(
        _("document"),
        max_length=14,
        unique=True,
        help_text=_(
            "CPF (11 digits) for individuals, CNPJ (14 characters) for companies; "
            "stored without punctuation."
        ),
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(
        _("phone"), max_length=20, blank=True, help_text=_("Digits only, with area code.")
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Deactivated clients stay for history and take no new orders."),
    )

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="individual", document__regex=r"^[0-9]{11}$")
                | models.Q(kind="company", document__regex=r"^[0-9A-Z]{12}[0-9]{2}$"),
                name="clients_client_document_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["is_active", "name"], name="clients_active_name_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.formatted_document})"

    def searched_texts(self) -> list[str]:
        """Also the districts and cities of its addresses: an address's change saves its
        client (clients.events), which so keeps them current. The addresses are read
        once, into the prefetch the client's event reads them from."""
        texts = super().searched_texts()
        if self._state.adding:
            return texts  # a new client has no addresses yet
        prefetch_related_objects([self], "addresses")
        for address in self.addresses.all():
            texts += [address.district, address.city]
        return texts

    @property
    def formatted_document(self) -> str:
        return format_document(self.document)


class Address(VersionedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("client")
    )
    label = models.CharField(
        _("label"), max_length=50, blank=True, help_text=_("e.g. Home, Billing, Store")
    )
    street = models.CharField(_("street"), max_length=200)
    number = models.CharField(_("number"), max_length=20, help_text=_('House number, or "S/N".'))
    complement = models.CharField(_("complement"), max_length=100, blank=True)
    district = models.CharField(_("district"), max_length=100, help_text=_("Bairro"))
    city = models.CharField(_("city"), max_length=100)
    state = models.CharField(
        _("state"), max_length=2, choices=[(uf, name) for uf, name in UFS.items()]
    )
    postal_code = models.CharField(_("CEP"), max_length=8, help_text=_("CEP, 8 digits."))
    country = models.CharField(
        _("country"), max_length=2, default="BR", help_text=_("ISO 3166-1 alpha-2.")
    )
    is_default = models.BooleanField(
        _("default"),
        default=False,
        help_text=_("At most one per client; setting it unsets the previous one."),
    )

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(is_default=True),
                name="clients_address_one_default_per_client",
            ),
            models.CheckConstraint(
                condition=Exact(Length("postal_code"), 8), name="clients_address_cep_8_digits"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=list(UFS)), name="clients_address_state_is_uf"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.street}, {self.number} — {self.city}/{self.state}"


class ClientImport(ImportJob):
    """A spreadsheet of clients being previewed or imported (common.admin.spreadsheets)."""

    class Meta(ImportJob.Meta):
        verbose_name = _("client import")
        verbose_name_plural = _("client imports")
