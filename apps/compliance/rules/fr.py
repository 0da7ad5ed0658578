"""France: restricted-access funds (FPCI: RG AMF art. 423-49; FPS: art. 423-27; CMF L214-144
and L214-160).

``fr_min_ticket_100k`` (EUR): one of the routes, and on every route the recorded
``restricted_access_declaration`` (a ``Step``: the subscriber's written declaration of having
been informed that the fund's access is restricted):

- ``professional_client`` (bool);
- an initial subscription (the ``ticket`` argument) of at least ``ticket_at_least``;
- an initial subscription of at least ``reduced_ticket_at_least`` with one private-equity
  criterion among ``private_equity_criteria`` (list of names): ``helps_companies`` (helping
  unlisted companies in the fund's scope technically or financially), ``helps_manager``
  (helping the manager find, select, follow or sell investments), ``private_equity_knowledge``
  (as a direct investor in unlisted companies, or a subscriber to a professional
  private-equity fund or an unlisted venture capital company);
- ``management_company_staff`` (bool): an officer or employee of the management company, a
  natural person;
- ``discretionary_mandate`` (bool): a subscription under a discretionary portfolio
  management mandate.

Thresholds: ``ticket_at_least``, ``reduced_ticket_at_least`` (Money).
"""

from types import MappingProxyType

from apps.compliance.rules.base import (
    Regime,
    _all_of,
    _any_of,
    _Case,
    _failed,
    _Finding,
    _major,
    _met,
    _Result,
)

MIN_TICKET_100K = Regime(
    code="fr_min_ticket_100k",
    name="France: restricted-access fund (professional client or minimum subscription)",
    currency="EUR",
    countries=("FR",),
    default_thresholds=MappingProxyType(
        {
            "ticket_at_least": _major(100_000, "EUR"),
            "reduced_ticket_at_least": _major(30_000, "EUR"),
        }
    ),
    answer_fields=(
        "professional_client",
        "private_equity_criteria",
        "management_company_staff",
        "discretionary_mandate",
        "restricted_access_declaration",
    ),
)

PRIVATE_EQUITY_CRITERIA = {
    "helps_companies": "helps unlisted companies in the fund's scope technically or financially",
    "helps_manager": "helps the manager find, select, follow or sell investments",
    "private_equity_knowledge": (
        "has private-equity knowledge as a direct investor in unlisted companies or as a "
        "subscriber to a professional private-equity fund or an unlisted venture capital company"
    ),
}


def _private_equity_criterion(case: _Case) -> _Finding:
    if gap := case.unanswered("private_equity_criteria"):
        return gap
    named = list(case["private_equity_criteria"])
    unknown = sorted(set(named) - set(PRIVATE_EQUITY_CRITERIA))
    if unknown:
        raise ValueError(f"unknown private-equity criteria: {', '.join(unknown)}")
    if not named:
        return _failed("meets none of the private-equity criteria")
    return _met(*(PRIVATE_EQUITY_CRITERIA[name] for name in named))


def _fr_min_ticket(case: _Case, investor_type: str) -> _Result:
    """RG AMF art. 423-49 and 423-27: one route, and the declaration on every route."""
    if investor_type == "person":
        staff = case.flag_route("management_company_staff")
    else:
        staff = _failed(
            "the management company's officers and staff are natural persons; an entity is not"
        )
    route = _any_of(
        case.flag_route("professional_client"),
        case.amount_route(
            "ticket", "ticket_at_least", over=False, route="qualifies by an initial subscription"
        ),
        _all_of(
            case.amount_route(
                "ticket",
                "reduced_ticket_at_least",
                over=False,
                route="qualifies by an initial subscription",
            ),
            _private_equity_criterion(case),
        ),
        staff,
        case.flag_route("discretionary_mandate"),
    )
    return _all_of(route, case.step_route("restricted_access_declaration")), None
