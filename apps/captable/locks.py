"""The cap table's row lock: a change of holdings locks its issuer, and nothing below it."""

from apps.captable.models import Issuer


def issuer_lock(pk: int) -> Issuer:
    """Lock the issuer ``pk`` and return it fresh."""
    return Issuer.objects.select_for_update(of=("self",)).get(pk=pk)
