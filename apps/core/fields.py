"""Model fields that keep sensitive personal data encrypted at rest."""

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from apps.core.crypto import decrypt_text, encrypt_text

if TYPE_CHECKING:
    # Django's fields take their type parameters in the stubs only.
    _TextField = models.TextField[str, str]
else:
    _TextField = models.TextField


class EncryptedTextField(_TextField):
    """Text stored encrypted under ``FIELD_ENCRYPTION_KEYS`` and read back in clear.

    Each write encrypts afresh (Fernet adds a random IV), so the column can be neither searched
    nor compared in SQL; an empty value is stored empty, as it holds no secret.
    """

    description = "Text encrypted at rest"

    def from_db_value(
        self, value: str | None, expression: Any, connection: BaseDatabaseWrapper
    ) -> str | None:
        if value in (None, ""):
            return value
        return decrypt_text(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt_text(value)
