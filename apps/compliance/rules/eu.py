"""European Economic Area: the MiFID II professional client (Directive 2014/65/EU, Annex II).

``eu_mifid_professional`` (EUR):

- Per se (Annex II.I), entities: ``regulated_entity`` (bool: an authorised or regulated
  financial entity, I(1)); a large undertaking meeting two of ``balance_sheet_total``,
  ``net_turnover``, ``own_funds`` (Money) at ``balance_sheet_total_at_least``,
  ``net_turnover_at_least``, ``own_funds_at_least`` (I(2)); ``public_body`` (bool: a national
  or regional government, public debt office, central bank, international or supranational
  institution, I(3)); ``institutional_investor`` (bool: another institutional investor whose
  main activity is investing in financial instruments, I(4)).
- Elective (Annex II.II), any client: ``person_criteria_required`` of the three criteria,
  ``transactions_per_quarter`` (list of ``transaction_quarters`` ints, oldest first: on
  average ``transactions_per_quarter_at_least`` of significant size), ``portfolio`` (Money,
  over ``portfolio_over``), ``years_in_financial_sector`` (int, at least
  ``years_in_financial_sector_at_least``); and the recorded steps (each a ``Step``):
  ``firm_assessment`` (the firm's assessment of expertise, experience and knowledge), then
  the procedure in its order, ``professional_request`` (the client's written request),
  ``protections_warning`` (the firm's written warning of the protections lost),
  ``warning_acknowledgement`` (the client's written acknowledgement, in a document separate
  from the request). Two of three criteria alone is not enough (ESMA Q&A).

Thresholds: the counts and the Money above, ``entity_criteria_required`` (int).
"""

from itertools import pairwise
from types import MappingProxyType

from apps.compliance.rules.base import (
    _ANSWERS,
    Outcome,
    Regime,
    _all_of,
    _any_of,
    _at_least,
    _Case,
    _failed,
    _Finding,
    _major,
    _met,
    _Result,
    _unknown,
)

# EU member states and the EEA states that apply MiFID II (Iceland, Liechtenstein, Norway).
_EEA = (
    *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"),
    *("IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"),
    *("IS", "LI", "NO"),
)

# The elective route's steps: the firm's assessment, then the procedure, in this order.
ELECTIVE_STEPS = (
    "firm_assessment",
    "professional_request",
    "protections_warning",
    "warning_acknowledgement",
)

MIFID_PROFESSIONAL = Regime(
    code="eu_mifid_professional",
    name="EU MiFID II professional client",
    currency="EUR",
    countries=_EEA,
    default_thresholds=MappingProxyType(
        {
            "transactions_per_quarter_at_least": 10,
            "transaction_quarters": 4,
            "portfolio_over": _major(500_000, "EUR"),
            "years_in_financial_sector_at_least": 1,
            "person_criteria_required": 2,
            "balance_sheet_total_at_least": _major(20_000_000, "EUR"),
            "net_turnover_at_least": _major(40_000_000, "EUR"),
            "own_funds_at_least": _major(2_000_000, "EUR"),
            "entity_criteria_required": 2,
        }
    ),
    answer_fields=(
        *("transactions_per_quarter", "portfolio", "years_in_financial_sector"),
        *("balance_sheet_total", "net_turnover", "own_funds", "regulated_entity"),
        *("public_body", "institutional_investor"),
        *ELECTIVE_STEPS,
    ),
)


def _mifid_transactions(case: _Case) -> _Finding:
    quarters = case.limit("transaction_quarters")
    if gap := case.unanswered("transactions_per_quarter", length=quarters):
        return gap
    total, average = (
        sum(case["transactions_per_quarter"]),
        case.limit("transactions_per_quarter_at_least"),
    )
    done = f"significant transactions over the last {quarters} quarters: {total}"
    # An average of at least N per quarter is a total of at least N times the quarters: exact.
    if total >= average * quarters:
        return _met(f"{done}, on average at least {average} per quarter")
    return _failed(f"{done}, on average under {average} per quarter")


def _mifid_experience(case: _Case) -> _Finding:
    if gap := case.unanswered("years_in_financial_sector"):
        return gap
    years, needed = (
        case["years_in_financial_sector"],
        case.limit("years_in_financial_sector_at_least"),
    )
    worked = f"years of professional work in the financial sector: {years}"
    if years >= needed:
        return _met(f"{worked}, at least {needed}")
    return _failed(f"{worked}, fewer than {needed}")


def _mifid_procedure(case: _Case) -> _Finding:
    """The firm's assessment and the procedure's three documents, each after the one before:
    the request, then the warning, then the acknowledgement."""
    steps = [case.step_route(name) for name in ELECTIVE_STEPS]
    done = _all_of(*steps)
    if done.outcome is not Outcome.QUALIFIED:
        return done
    for earlier, later in pairwise(ELECTIVE_STEPS[1:]):
        if case[later].on < case[earlier].on:
            return _unknown(
                f"{_ANSWERS[later][1]} is dated {case[later].on}, before "
                f"{_ANSWERS[earlier][1]} ({case[earlier].on}): the procedure is taken again in "
                "its order"
            )
    return done


def _eu_mifid(case: _Case, investor_type: str) -> _Result:
    """Annex II.I (per se, entities) and II.II (elective, on request, any client)."""
    criteria = (
        _mifid_transactions(case),
        case.amount_route("portfolio", "portfolio_over", over=True, route="portfolio"),
        _mifid_experience(case),
    )
    required = case.limit("person_criteria_required")
    elective = _all_of(
        _at_least(required, criteria, what="an elective professional client"),
        _mifid_procedure(case),
    )
    if investor_type == "person":
        return elective, None
    sizes = (
        case.amount_route(
            "balance_sheet_total",
            "balance_sheet_total_at_least",
            over=False,
            route="balance sheet total",
        ),
        case.amount_route(
            "net_turnover", "net_turnover_at_least", over=False, route="net turnover"
        ),
        case.amount_route("own_funds", "own_funds_at_least", over=False, route="own funds"),
    )
    large = _at_least(case.limit("entity_criteria_required"), sizes, what="a large undertaking")
    per_se = _any_of(
        case.flag_route("regulated_entity"),
        large,
        case.flag_route("public_body"),
        case.flag_route("institutional_investor"),
    )
    return _any_of(per_se, elective), None
