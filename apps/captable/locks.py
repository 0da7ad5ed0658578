"""The cap table's row locks: a change of holdings locks its issuer, and nothing below it; a step
of an OCF import locks the import."""

from apps.captable.models import Issuer, OcfImport


def issuer_lock(pk: int) -> Issuer:
    """Lock the issuer ``pk`` and return it fresh."""
    return Issuer.objects.select_for_update(of=("self",)).get(pk=pk)


def ocf_import_lock(pk: int) -> OcfImport:
    """Lock the OCF import ``pk`` and return it fresh."""
    return OcfImport.objects.select_for_update(of=("self",)).get(pk=pk)
