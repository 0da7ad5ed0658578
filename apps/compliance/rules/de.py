"""Germany: the semi-professional investor.

``de_semi_professional`` (EUR): the ``ticket`` argument, ``risk_statement_signed``,
    ``expertise_assessed`` (bool), all three needed. Thresholds: ``ticket_at_least`` (Money).
"""

from types import MappingProxyType

from apps.compliance.rules.base import Regime, _all_of, _Case, _major, _Result

SEMI_PROFESSIONAL = Regime(
    code="de_semi_professional",
    name="Germany: semi-professional investor",
    currency="EUR",
    countries=("DE",),
    default_thresholds=MappingProxyType({"ticket_at_least": _major(200_000, "EUR")}),
    answer_fields=("risk_statement_signed", "expertise_assessed"),
)


def _de_semi_professional(case: _Case, investor_type: str) -> _Result:
    return _all_of(
        case.amount_route("ticket", "ticket_at_least", over=False, route="commitment"),
        case.flag_route("risk_statement_signed"),
        case.flag_route("expertise_assessed"),
    ), None
