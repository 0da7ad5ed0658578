"""United States: the Regulation D accredited investor.

``us_reg_d_accredited`` (USD; a person qualifies by one of income, net worth or licence, an
entity by one of assets, owners or regulation; in a Rule 506(c) offering both then need a
fresh third-party verification):
    person: ``joint`` (bool: the income figures are joint with a spouse or spousal equivalent),
    ``income`` or, when joint, ``joint_income`` (list of Money, the last ``income_years``
    calendar years, oldest first), ``expected_income_this_year`` (Money, on the same basis),
    ``net_worth_excluding_residence`` (Money, alone or jointly), ``licences`` (list among
    ``qualifying_licences``); entity: ``total_assets`` (Money), ``formed_for_this_investment``,
    ``all_owners_accredited``, ``regulated_entity`` (bool); both: ``offering_506c`` (bool),
    ``verification_date`` (date of a third-party verification, read in a 506(c) offering).
    Thresholds: ``income_over``, ``joint_income_over``, ``net_worth_over``,
    ``total_assets_over`` (Money), ``income_years``, ``verification_valid_days`` (int),
    ``qualifying_licences`` (tuple of str).
"""

from datetime import timedelta
from types import MappingProxyType

from apps.compliance.rules.base import (
    _ANSWERS,
    Regime,
    _all_of,
    _any_of,
    _Case,
    _failed,
    _Finding,
    _fmt,
    _major,
    _met,
    _Result,
    _shortfall,
    _unknown,
)

REG_D_ACCREDITED = Regime(
    code="us_reg_d_accredited",
    name="US Regulation D accredited investor",
    currency="USD",
    countries=("US",),
    default_thresholds=MappingProxyType(
        {
            "income_over": _major(200_000, "USD"),
            "joint_income_over": _major(300_000, "USD"),
            "income_years": 2,
            "net_worth_over": _major(1_000_000, "USD"),
            "qualifying_licences": ("series_7", "series_65", "series_82"),
            "total_assets_over": _major(5_000_000, "USD"),
            "verification_valid_days": 90,
        }
    ),
    answer_fields=(
        *("joint", "income", "joint_income", "expected_income_this_year"),
        *("net_worth_excluding_residence", "licences", "total_assets"),
        *("formed_for_this_investment", "all_owners_accredited", "regulated_entity"),
        *("offering_506c", "verification_date"),
    ),
)


def _us_income(case: _Case) -> _Finding:
    if gap := case.unanswered("joint"):
        return gap
    key, limit_key = (
        ("joint_income", "joint_income_over") if case["joint"] else ("income", "income_over")
    )
    years = case.limit("income_years")
    if gap := case.unanswered(key, "expected_income_this_year", length=years):
        return gap
    limit, word = case.limit(limit_key), _ANSWERS[key][1]
    figures = [
        *(
            (f"{_fmt(amount)} in {case.on.year - years + i}", amount)
            for i, amount in enumerate(case[key])
        ),
        (
            f"{_fmt(case['expected_income_this_year'])} expected in {case.on.year}",
            case["expected_income_this_year"],
        ),
    ]
    misses = [
        _shortfall(f"{word} of {text}", amount, limit)
        for text, amount in figures
        if not amount > limit
    ]
    if misses:
        return _failed(*misses)
    listing = ", ".join(text for text, _ in figures)
    return _met(f"qualifies by {word}: {listing}, each over {_fmt(limit)}")


def _us_licence(case: _Case) -> _Finding:
    if gap := case.unanswered("licences"):
        return gap
    qualifying = case.limit("qualifying_licences")
    held = [licence for licence in case["licences"] if licence in qualifying]
    if held:
        return _met(f"qualifies by licence: {', '.join(held)}")
    return _failed(f"holds no qualifying licence ({', '.join(qualifying)})")


def _us_entity_assets(case: _Case) -> _Finding:
    assets = case.amount_route(
        "total_assets", "total_assets_over", over=True, route="qualifies by total assets"
    )
    if gap := case.unanswered("formed_for_this_investment"):
        return _all_of(assets, gap)
    if case["formed_for_this_investment"]:
        return _failed("was formed to make this investment, so its total assets do not qualify it")
    return assets


def _us_verification(case: _Case) -> _Result:
    """In a Rule 506(c) offering, require a third-party verification still fresh."""
    if gap := case.unanswered("offering_506c"):
        return gap, None
    if not case["offering_506c"]:
        return _met(), None
    if gap := case.unanswered("verification_date"):
        return gap, None
    verified, days = case["verification_date"], case.limit("verification_valid_days")
    if future := case.dated_after_assessment(verified, "third-party verification"):
        return future, None
    age = (case.on - verified).days
    if age > days:
        return _unknown(
            f"the third-party verification of {verified} is {age} days old on {case.on}; "
            f"a Rule 506(c) offering needs one dated within the last {days} days"
        ), None
    valid_until = verified + timedelta(days=days)
    return _met(f"third-party verification of {verified} is valid until {valid_until}"), valid_until


def _us_reg_d(case: _Case, investor_type: str) -> _Result:
    if investor_type == "person":
        finding = _any_of(
            _us_income(case),
            case.amount_route(
                "net_worth_excluding_residence",
                "net_worth_over",
                over=True,
                route="qualifies by net worth",
            ),
            _us_licence(case),
        )
    else:
        finding = _any_of(
            _us_entity_assets(case),
            case.flag_route("all_owners_accredited"),
            case.flag_route("regulated_entity"),
        )
    verification, valid_until = _us_verification(case)
    return _all_of(finding, verification), valid_until
