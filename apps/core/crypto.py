"""Encryption at rest for secrets and sensitive personal data.

Values are encrypted with Fernet (AES-128-CBC with HMAC-SHA256) under the keys of
``settings.FIELD_ENCRYPTION_KEYS``, newest first: the first key encrypts, every key decrypts,
so keys are rotated by prepending a new one and re-encrypting at leisure.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "DJANGO_FIELD_ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64-encoded "
            "bytes each); generate one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`."
        ) from exc


def encrypt_text(text: str) -> str:
    """Encrypt ``text`` under the newest key."""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(text.encode()).decode()


def decrypt_text(token: str) -> str:
    """Decrypt a value written by :func:`encrypt_text` under any configured key."""
    try:
        return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("value cannot be decrypted with the configured keys") from exc
