"""United Kingdom: the certified high net worth individual (FPO 2005 art. 48) and the
self-certified sophisticated investor (art. 50A), both on a statement in the Schedule 5 form.

A statement counts when it was completed and signed within the twelve months ending with the
day of the communication (a statement signed on 2025-03-10 is valid through 2026-03-09), and
only for the criteria its completion indicates. The rule set in force on the day the statement
was signed sets its thresholds and routes (:data:`DECIDED_BY`); a statement signed in the
interim form (2024-01-31 to 2024-03-26) is usable until 2025-01-30 at the latest (SI 2024/301,
the transitional provision).

``uk_certified_hnw`` (GBP; persons only): ``statement`` (a ``Step``: the day it was signed, by
    whom, the document), ``statement_criteria`` (the criteria it ticks: ``income``,
    ``net_assets``), ``annual_income`` (in the financial year before the statement),
    ``net_assets`` (throughout that year, without the primary residence, insurance rights and
    pension benefits), Money. Thresholds: ``annual_income_at_least``, ``net_assets_at_least``
    (Money), ``statement_valid_months`` (int).
``uk_self_certified_sophisticated`` (GBP; persons only): ``statement``, ``statement_criteria``
    (``angel_network``, ``unlisted_investments``, ``private_equity_work``, ``director``), each
    measured back from the statement's date: ``angel_network_member_since`` (date; ``None``
    given: not a member), ``unlisted_investments_last_two_years`` (int),
    ``private_equity_work_last_two_years`` (bool), ``director_of_company_with_turnover`` (Money,
    the annual turnover of a company directed in the two years; ``None`` given: no such
    directorship). Thresholds: ``director_turnover_at_least`` (Money),
    ``statement_valid_months``, ``angel_network_months_at_least``,
    ``unlisted_investments_over`` (int), ``routes`` (the criteria the version allows).
"""

from collections.abc import Callable
from datetime import date, timedelta
from types import MappingProxyType

from apps.compliance.rules.base import (
    Outcome,
    Regime,
    Step,
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

# The answer whose day chooses the rule set version: the statement's.
DECIDED_BY = "statement"
# SI 2024/301: statements made in the interim form stay usable until this day.
INTERIM_FORM = (date(2024, 1, 31), date(2024, 3, 26))
INTERIM_STATEMENTS_USABLE_UNTIL = date(2025, 1, 30)

HNW_CRITERIA = ("income", "net_assets")
SOPHISTICATED_CRITERIA = (
    "angel_network",
    "unlisted_investments",
    "private_equity_work",
    "director",
)

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
    answer_fields=("statement", "statement_criteria", "annual_income", "net_assets"),
    decided_by=DECIDED_BY,
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
            "routes": SOPHISTICATED_CRITERIA,
        }
    ),
    answer_fields=(
        *("statement", "statement_criteria", "angel_network_member_since"),
        *("unlisted_investments_last_two_years", "private_equity_work_last_two_years"),
        "director_of_company_with_turnover",
    ),
    decided_by=DECIDED_BY,
)

_PERSONS_ONLY_REASON = (
    "this regime qualifies natural persons only; an entity cannot qualify under it"
)


def _uk_statement(case: _Case) -> _Result:
    """The statement, signed within the twelve months ending with the day of the assessment
    (FPO art. 48(2)(a), 50A(1)(a)); one signed in the interim form, no later than 2025-01-30."""
    statement = case.step_route("statement")
    if statement.outcome is not Outcome.QUALIFIED:
        return statement, None
    signed, months = case["statement"].on, case.limit("statement_valid_months")
    valid_until = add_months(signed, months) - timedelta(days=1)
    if INTERIM_FORM[0] <= signed <= INTERIM_FORM[1]:
        valid_until = min(valid_until, INTERIM_STATEMENTS_USABLE_UNTIL)
    if case.on > valid_until:
        return _unknown(
            f"the statement signed on {signed} was valid through {valid_until}; a new signed "
            "statement is needed"
        ), None
    return _met(*statement.reasons, f"valid through {valid_until}"), valid_until


def _completed(case: _Case, criteria: tuple[str, ...], routes: dict[str, _Finding]) -> _Finding:
    """The routes the statement's completion indicates (art. 48(2)(b), 50A(1)(b)): a route
    met but not ticked needs a statement completed with it."""
    if gap := case.unanswered("statement_criteria"):
        return _all_of(gap, _any_of(*routes.values()))
    ticked = list(case["statement_criteria"])
    unknown = sorted(set(ticked) - set(criteria))
    if unknown:
        raise ValueError(f"unknown statement criteria: {', '.join(unknown)}")
    findings = []
    for name, finding in routes.items():
        if name in ticked or finding.outcome is not Outcome.QUALIFIED:
            findings.append(finding)
        else:
            findings.append(
                _unknown(
                    f"the {name.replace('_', ' ')} criterion is met but the statement does not "
                    "indicate it: a statement completed with it is needed"
                )
            )
    return _any_of(*findings)


def _uk_certified_hnw(case: _Case, investor_type: str) -> _Result:
    """FPO 2005 art. 48 and Schedule 5 Part 1."""
    if investor_type != "person":
        return _failed(_PERSONS_ONLY_REASON), None
    routes = {
        "income": case.amount_route(
            "annual_income",
            "annual_income_at_least",
            over=False,
            route="qualifies by annual income",
        ),
        "net_assets": case.amount_route(
            "net_assets", "net_assets_at_least", over=False, route="qualifies by net assets"
        ),
    }
    statement, valid_until = _uk_statement(case)
    return _all_of(_completed(case, HNW_CRITERIA, routes), statement), valid_until


def _statement_day(case: _Case) -> date:
    """The day the criteria are measured back from: the statement's, else the assessment's."""
    statement = case.answers.get("statement")
    return statement.on if isinstance(statement, Step) else case.on


def _uk_angel_network(case: _Case) -> _Finding:
    if gap := case.unanswered("angel_network_member_since"):
        return gap
    since, months = case["angel_network_member_since"], case.limit("angel_network_months_at_least")
    if since is None:
        return _failed("is not a member of a business angels network")
    day = _statement_day(case)
    if since > day:
        return _failed(f"joined a business angels network on {since}, after the statement")
    membership = f"member of a business angels network since {since}"
    if add_months(since, months) <= day:
        return _met(f"qualifies as {membership}, at least {months} months before the statement")
    return _failed(f"{membership}, less than {months} months on the statement's date {day}")


def _uk_unlisted_investments(case: _Case) -> _Finding:
    if gap := case.unanswered("unlisted_investments_last_two_years"):
        return gap
    count, over = (
        case["unlisted_investments_last_two_years"],
        case.limit("unlisted_investments_over"),
    )
    made = f"investments in unlisted companies in the two years before the statement: {count}"
    if count > over:
        return _met(f"qualifies by {made}, more than {over}")
    return _failed(f"{made}, not more than {over}")


def _uk_directorship(case: _Case) -> _Finding:
    if case.answers.get("director_of_company_with_turnover", False) is None:
        return _failed("has not been a director of a company in the two years before the statement")
    return case.amount_route(
        "director_of_company_with_turnover",
        "director_turnover_at_least",
        over=False,
        route="qualifies as director in the two years before the statement of a company with a "
        "turnover",
    )


_SOPHISTICATED_ROUTES: dict[str, Callable[[_Case], _Finding]] = {
    "angel_network": _uk_angel_network,
    "unlisted_investments": _uk_unlisted_investments,
    "private_equity_work": lambda case: case.flag_route("private_equity_work_last_two_years"),
    "director": _uk_directorship,
}


def _uk_sophisticated(case: _Case, investor_type: str) -> _Result:
    """FPO 2005 art. 50A and Schedule 5 Part 2; the version in force when the statement was
    signed says which criteria there are (the interim version had no unlisted-investment
    criterion)."""
    if investor_type != "person":
        return _failed(_PERSONS_ONLY_REASON), None
    allowed = case.limit("routes")
    unknown = sorted(set(allowed) - set(SOPHISTICATED_CRITERIA))
    if unknown:
        raise ValueError(f"the rule set names unknown criteria: {', '.join(unknown)}")
    routes = {name: _SOPHISTICATED_ROUTES[name](case) for name in allowed}
    statement, valid_until = _uk_statement(case)
    return _all_of(_completed(case, SOPHISTICATED_CRITERIA, routes), statement), valid_until
