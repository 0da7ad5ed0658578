"""United Kingdom: the certified high net worth individual and the self-certified
sophisticated investor, both on a signed statement of limited validity.

``uk_certified_hnw`` (GBP; persons only): ``annual_income``, ``net_assets`` (Money),
    ``statement_signed_on`` (date). Thresholds: ``annual_income_at_least``,
    ``net_assets_at_least`` (Money), ``statement_valid_months`` (int).
``uk_self_certified_sophisticated`` (GBP; persons only): ``statement_signed_on``,
    ``angel_network_member_since`` (date; ``None`` given: not a member),
    ``unlisted_investments_last_two_years`` (int), ``private_equity_work_last_two_years``
    (bool), ``director_of_company_with_turnover`` (Money, the annual turnover of a company
    directed in the last two years; ``None`` given: no such directorship). Thresholds:
    ``director_turnover_at_least`` (Money), ``statement_valid_months``,
    ``angel_network_months_at_least``, ``unlisted_investments_over`` (int).
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
    _unknown,
)
from apps.core.dates import add_months

CERTIFIED_HNW = Regime(
    code="uk_certified_hnw",
    name="UK certified high net worth individual",
    currency="GBP",
    countries=("GB",),
    default_thresholds=MappingProxyType(
        {
            "annual_income_at_least": _major(100_000, "GBP"),
            "net_assets_at_least": _major(250_000, "GBP"),
            "statement_valid_months": 12,
        }
    ),
    answer_fields=("annual_income", "net_assets", "statement_signed_on"),
)

SELF_CERTIFIED_SOPHISTICATED = Regime(
    code="uk_self_certified_sophisticated",
    name="UK self-certified sophisticated investor",
    currency="GBP",
    countries=("GB",),
    default_thresholds=MappingProxyType(
        {
            "statement_valid_months": 12,
            "angel_network_months_at_least": 6,
            "unlisted_investments_over": 1,
            "director_turnover_at_least": _major(1_000_000, "GBP"),
        }
    ),
    answer_fields=(
        *("statement_signed_on", "angel_network_member_since"),
        *("unlisted_investments_last_two_years", "private_equity_work_last_two_years"),
        "director_of_company_with_turnover",
    ),
)

_PERSONS_ONLY_REASON = (
    "this regime qualifies natural persons only; an entity cannot qualify under it"
)


def _uk_statement(case: _Case) -> _Result:
    """Require a signed statement dated within the last months the rule set allows."""
    if gap := case.unanswered("statement_signed_on"):
        return gap, None
    signed, months = case["statement_signed_on"], case.limit("statement_valid_months")
    if future := case.dated_after_assessment(signed, "statement"):
        return future, None
    valid_until = add_months(signed, months)
    if case.on > valid_until:
        age = (case.on - signed).days
        return _unknown(
            f"the statement signed on {signed} is {age} days old on {case.on}, older than "
            f"{months} months; a new signed statement is needed"
        ), None
    return _met(f"the statement signed on {signed} is valid until {valid_until}"), valid_until


def _uk_certified_hnw(case: _Case, investor_type: str) -> _Result:
    if investor_type != "person":
        return _failed(_PERSONS_ONLY_REASON), None
    finding = _any_of(
        case.amount_route(
            "annual_income",
            "annual_income_at_least",
            over=False,
            route="qualifies by annual income",
        ),
        case.amount_route(
            "net_assets", "net_assets_at_least", over=False, route="qualifies by net assets"
        ),
    )
    statement, valid_until = _uk_statement(case)
    return _all_of(finding, statement), valid_until


def _uk_angel_network(case: _Case) -> _Finding:
    if gap := case.unanswered("angel_network_member_since"):
        return gap
    since, months = case["angel_network_member_since"], case.limit("angel_network_months_at_least")
    if since is None:
        return _failed("is not a member of a business angels network")
    if future := case.dated_after_assessment(since, "business angels network membership"):
        return future
    membership = f"member of a business angels network since {since}"
    if add_months(since, months) <= case.on:
        return _met(f"qualifies as {membership}, at least {months} months")
    return _failed(f"{membership}, less than {months} months on {case.on}")


def _uk_unlisted_investments(case: _Case) -> _Finding:
    if gap := case.unanswered("unlisted_investments_last_two_years"):
        return gap
    count, over = (
        case["unlisted_investments_last_two_years"],
        case.limit("unlisted_investments_over"),
    )
    made = f"investments in unlisted companies in the last two years: {count}"
    if count > over:
        return _met(f"qualifies by {made}, more than {over}")
    return _failed(f"{made}, not more than {over}")


def _uk_directorship(case: _Case) -> _Finding:
    if case.answers.get("director_of_company_with_turnover", False) is None:
        return _failed("has not been a director of a company in the last two years")
    return case.amount_route(
        "director_of_company_with_turnover",
        "director_turnover_at_least",
        over=False,
        route="qualifies as director in the last two years of a company with a turnover",
    )


def _uk_sophisticated(case: _Case, investor_type: str) -> _Result:
    if investor_type != "person":
        return _failed(_PERSONS_ONLY_REASON), None
    finding = _any_of(
        _uk_angel_network(case),
        _uk_unlisted_investments(case),
        case.flag_route("private_equity_work_last_two_years"),
        _uk_directorship(case),
    )
    statement, valid_until = _uk_statement(case)
    return _all_of(finding, statement), valid_until
