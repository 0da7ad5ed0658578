import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from apps.core.crypto import decrypt_text, encrypt_text


def test_encrypted_text_reads_back_and_does_not_show_the_clear_text():
    token = encrypt_text("JBSWY3DPEHPK3PXP")

    assert "JBSWY3DPEHPK3PXP" not in token
    assert decrypt_text(token) == "JBSWY3DPEHPK3PXP"


def test_text_encrypted_under_a_retired_key_still_decrypts_after_rotation(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    token = encrypt_text("IBAN FR76 3000 6000 0112 3456 7890 189")

    settings.FIELD_ENCRYPTION_KEYS = [new, old]

    assert decrypt_text(token) == "IBAN FR76 3000 6000 0112 3456 7890 189"
    assert Fernet(new).decrypt(encrypt_text("x").encode()) == b"x"


def test_text_under_an_unknown_key_is_refused(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    token = encrypt_text("secret")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(ValueError, match="cannot be decrypted"):
        decrypt_text(token)


def test_a_malformed_key_is_a_clear_configuration_error(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-fernet-key"]

    with pytest.raises(ImproperlyConfigured, match="DJANGO_FIELD_ENCRYPTION_KEYS"):
        encrypt_text("x")
