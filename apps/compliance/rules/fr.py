"""France: a professional client, or an initial subscription of 100,000 EUR.

``fr_min_ticket_100k`` (EUR): ``professional_client`` (bool), or the ``ticket`` argument.
    Thresholds: ``ticket_at_least`` (Money).
"""

from types import MappingProxyType

from apps.compliance.rules.base import Regime, _any_of, _Case, _major, _Result

MIN_TICKET_100K = Regime(
    code="fr_min_ticket_100k",
    name="France: professional client or an initial subscription of 100,000 EUR",
    currency="EUR",
    countries=("FR",),
    default_thresholds=MappingProxyType({"ticket_at_least": _major(100_000, "EUR")}),
    answer_fields=("professional_client",),
)


def _fr_min_ticket(case: _Case, investor_type: str) -> _Result:
    ticket = case.amount_route(
        "ticket", "ticket_at_least", over=False, route="qualifies by an initial subscription"
    )
    return _any_of(case.flag_route("professional_client"), ticket), None
