"""Tables every service has: remembered Idempotency-Key responses."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class IdempotencyRecord(models.Model):
    """The first response to a create sent with an ``Idempotency-Key``."""

    principal = models.CharField(max_length=80, help_text="user:<id>, or anonymous")
    path = models.CharField(max_length=300)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body")
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["principal", "path", "key"], name="common_idempotency_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.path} {self.key}"
