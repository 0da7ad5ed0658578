"""ISO 3166-1 alpha-2 countries, named from the CLDR data that babel maintains."""

from functools import cache

from babel import Locale

# CLDR territories that are not countries of ISO 3166-1.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})


@cache
def country_choices(locale: str = "en") -> list[tuple[str, str]]:
    """Return ``(code, name)`` pairs for every country, sorted by name."""
    territories = Locale.parse(locale).territories
    return sorted(
        (
            (code, name)
            for code, name in territories.items()
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
        ),
        key=lambda pair: pair[1],
    )
