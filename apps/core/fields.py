"""Model fields that keep sensitive personal data encrypted at rest."""

from django.db import models

from apps.core.crypto import decrypt_text, encrypt_text


class EncryptedTextField(models.TextField):
    """Text stored encrypted under ``FIELD_ENCRYPTION_KEYS`` and read back in clear.

    Each write encrypts afresh (Fernet adds a random IV), so the column can be neither searched
    nor compared in SQL; an empty value is stored empty, as it holds no secret.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt_text(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt_text(value)
