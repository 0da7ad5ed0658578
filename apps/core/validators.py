"""Validators of identifiers used across domains."""

import re

from django.core.exceptions import ValidationError

_LEI = re.compile(r"[0-9A-Z]{18}[0-9]{2}")


def validate_lei(value: str) -> None:
    """Check a Legal Entity Identifier (ISO 17442): 18 characters, ISO 7064 check digits."""
    if not _LEI.fullmatch(value):
        raise ValidationError(
            "An LEI has 18 upper-case letters or digits followed by two check digits.",
            code="lei_format",
        )
    if int("".join(str(int(char, 36)) for char in value)) % 97 != 1:
        raise ValidationError("This LEI's check digits are wrong.", code="lei_checksum")
