"""Germany: the semi-professional investor (KAGB section 1(19) no. 33).

``de_semi_professional`` (EUR), three routes:

(a) a commitment (the ``ticket`` argument) of at least ``ticket_at_least`` with four recorded
    steps (each a ``Step``: when, by whom, which document): ``risk_statement`` (the investor's
    written statement, in a document separate from the commitment, of awareness of the risks),
    ``expertise_assessment`` (the manager's or distributor's assessment of expertise,
    experience and knowledge), ``manager_satisfied`` (the manager's finding that the investor
    can decide alone, understands the risks and that the commitment is appropriate) and
    ``manager_confirmation`` (the manager's confirmation in text form that it so assessed);
(b) ``manager_staff`` (bool): an officer or employee of the manager investing in a fund it
    manages, a natural person;
(c) a commitment of at least ``large_ticket_at_least``, with nothing else.

Thresholds: ``ticket_at_least``, ``large_ticket_at_least`` (Money).
"""

from types import MappingProxyType

from apps.compliance.rules.base import (
    Regime,
    _all_of,
    _any_of,
    _Case,
    _failed,
    _major,
    _Result,
)

SEMI_PROFESSIONAL = Regime(
    code="de_semi_professional",
    name="Germany: semi-professional investor",
    currency="EUR",
    countries=("DE",),
    default_thresholds=MappingProxyType(
        {
            "ticket_at_least": _major(200_000, "EUR"),
            "large_ticket_at_least": _major(10_000_000, "EUR"),
        }
    ),
    answer_fields=(
        "risk_statement",
        "expertise_assessment",
        "manager_satisfied",
        "manager_confirmation",
        "manager_staff",
    ),
)


def _de_semi_professional(case: _Case, investor_type: str) -> _Result:
    """KAGB section 1(19) no. 33 (a) to (c): one route is enough."""
    assessed = _all_of(
        case.amount_route("ticket", "ticket_at_least", over=False, route="commitment"),
        case.step_route("risk_statement"),
        case.step_route("expertise_assessment"),
        case.step_route("manager_satisfied"),
        case.step_route("manager_confirmation"),
    )
    if investor_type == "person":
        staff = case.flag_route("manager_staff")
    else:
        staff = _failed("the manager's officers and staff are natural persons; an entity is not")
    large = case.amount_route(
        "ticket",
        "large_ticket_at_least",
        over=False,
        route="qualifies by a commitment, with nothing else needed",
    )
    return _any_of(large, assessed, staff), None
