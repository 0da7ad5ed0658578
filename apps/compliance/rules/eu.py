"""European Economic Area: the MiFID II professional client.

``eu_mifid_professional`` (EUR): person (elective): ``transactions_per_quarter`` (list of
    ``transaction_quarters`` ints, oldest first), ``portfolio`` (Money),
    ``years_in_financial_sector`` (int); entity (per se): ``regulated_entity`` (bool),
    ``balance_sheet_total``, ``net_turnover``, ``own_funds`` (Money). Thresholds:
    ``transactions_per_quarter_at_least``, ``transaction_quarters``,
    ``years_in_financial_sector_at_least``, ``person_criteria_required``,
    ``entity_criteria_required`` (int), ``portfolio_over``, ``balance_sheet_total_at_least``,
    ``net_turnover_at_least``, ``own_funds_at_least`` (Money).
"""

from types import MappingProxyType

from apps.compliance.rules.base import (
    Regime,
    _any_of,
    _at_least,
    _Case,
    _failed,
    _Finding,
    _major,
    _met,
    _Result,
)

# EU member states and the EEA states that apply MiFID II (Iceland, Liechtenstein, Norway).
_EEA = (
    *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"),
    *("IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"),
    *("IS", "LI", "NO"),
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


def _eu_mifid(case: _Case, investor_type: str) -> _Result:
    if investor_type == "person":
        criteria = (
            _mifid_transactions(case),
            case.amount_route("portfolio", "portfolio_over", over=True, route="portfolio"),
            _mifid_experience(case),
        )
        required = case.limit("person_criteria_required")
        return _at_least(required, criteria, what="an elective professional client"), None
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
    return _any_of(case.flag_route("regulated_entity"), large), None
