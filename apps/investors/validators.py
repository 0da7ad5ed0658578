"""Checks of bank and tax identifiers, by maintained libraries (schwifty, python-stdnum)."""

from django.core.exceptions import ValidationError
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import get_cc_module
from stdnum.exceptions import ValidationError as NumberInvalid

# python-stdnum's module names for tax numbers, most specific first, by kind of investor.
TAX_NUMBER_MODULES = {
    "person": ("tin", "nif", "idnr", "utr", "codicefiscale", "personalid", "ssn", "nir"),
    "entity": ("tin", "vat", "siren", "uid", "nif", "utr", "rsin", "tva", "cif"),
}


COMPANY_NUMBER_MODULES = (
    "siren",
    "siret",
    "handelsregisternummer",
    "uid",
    "cif",
    "businessid",
    "ein",
)


def company_number_normalized(value: str, *, country: str) -> str:
    """Check a company registry number against the formats python-stdnum knows for ``country``."""
    return _normalized(value, country=country, names=COMPANY_NUMBER_MODULES, what="company number")


def iban_normalized(value: str) -> str:
    """Return the IBAN in its compact form, or raise a ValidationError saying what is wrong."""
    try:
        return IBAN(value).compact
    except SchwiftyException as error:
        raise ValidationError(f"{value!r} is not a valid IBAN: {error}", code="iban") from error


def bic_normalized(value: str) -> str:
    try:
        return BIC(value).compact
    except SchwiftyException as error:
        raise ValidationError(f"{value!r} is not a valid BIC: {error}", code="bic") from error


def tax_id_normalized(value: str, *, country: str, kind: str) -> str:
    """Check a tax number against the formats python-stdnum knows for ``country``.

    A number valid under any of the country's tax formats is accepted in its compact form; a
    country python-stdnum does not know is accepted as given.
    """
    return _normalized(value, country=country, names=TAX_NUMBER_MODULES[kind], what="tax number")


def _normalized(value: str, *, country: str, names: tuple[str, ...], what: str) -> str:
    modules = [
        module for name in names if (module := get_cc_module(country.lower(), name)) is not None
    ]
    if not modules:
        return value.strip()
    for module in modules:
        try:
            return module.compact(module.validate(value))
        except NumberInvalid:
            continue
    raise ValidationError(f"{value!r} is not a valid {what} of {country}", code=what)
