"""Investor qualification: pure evaluators of the eight regimes, with their thresholds as data.

This module owns the rules by which an investor qualifies under each regime of DOMAIN.md
("Investor qualification"). It reads no model and no database: ``evaluate`` takes the
thresholds of the rule set version in force (``REGIMES[code].default_thresholds`` or a stored
version, kept in a JSONField through ``thresholds_to_json`` and ``thresholds_from_json``), the
investor's answers and the date of the assessment, and returns a ``Decision`` with its reasons.

The rule it keeps: a decision is never a guess. Every qualifying route is checked and named in
the reasons. An answer that is not given is evidence still needed, never a no; an amount in
another currency than the regime's is never converted, it is evidence still needed too. The
investor qualifies when one route is met with every answer it reads; is not qualified when every
route fails on answers given; otherwise needs evidence. A threshold in the wrong currency, a
missing or unknown threshold is a broken rule set and raises ``ValueError``.

"Over" a threshold means strictly greater; "at least" and "or more" mean greater or equal.

Answers are plain values: ``Money`` for amounts, ``date`` for dates, ``bool``, ``int``, lists
of strings or of amounts. A key absent or ``None`` is not answered, except where said below.
The keys each regime reads, and its threshold keys:

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
``eu_mifid_professional`` (EUR): person (elective): ``transactions_per_quarter`` (list of
    ``transaction_quarters`` ints, oldest first), ``portfolio`` (Money),
    ``years_in_financial_sector`` (int); entity (per se): ``regulated_entity`` (bool),
    ``balance_sheet_total``, ``net_turnover``, ``own_funds`` (Money). Thresholds:
    ``transactions_per_quarter_at_least``, ``transaction_quarters``,
    ``years_in_financial_sector_at_least``, ``person_criteria_required``,
    ``entity_criteria_required`` (int), ``portfolio_over``, ``balance_sheet_total_at_least``,
    ``net_turnover_at_least``, ``own_funds_at_least`` (Money).
``fr_min_ticket_100k`` (EUR): ``professional_client`` (bool), or the ``ticket`` argument.
    Thresholds: ``ticket_at_least`` (Money).
``de_semi_professional`` (EUR): the ``ticket`` argument, ``risk_statement_signed``,
    ``expertise_assessed`` (bool), all three needed. Thresholds: ``ticket_at_least`` (Money).
``ch_finsa_opting_out`` (CHF): ``declared_professional`` (bool), ``financial_assets``
    (Money), ``knowledge_and_experience`` (bool). Thresholds: ``financial_assets_at_least``,
    ``financial_assets_with_knowledge_at_least`` (Money).
``default_manual``: reads nothing and has no thresholds; it always needs a compliance officer.

A decision is valid until a date only where a dated document makes it so: the UK statement's
date plus ``statement_valid_months`` (calendar months, clamped to the month's end), or in a
506(c) offering the verification's date plus ``verification_valid_days``.
"""

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from apps.core.dates import add_months
from apps.core.money import Money

INVESTOR_TYPES = ("person", "entity")


class Outcome(enum.StrEnum):
    """What an assessment concludes; stored by its value."""

    QUALIFIED = "qualified"
    NOT_QUALIFIED = "not_qualified"
    NEEDS_EVIDENCE = "needs_evidence"


@dataclass(frozen=True)
class Decision:
    """The outcome of one assessment, with the reasons that explain it."""

    outcome: Outcome
    reasons: tuple[str, ...]
    valid_until: date | None
    decided_by_system: bool = True


@dataclass(frozen=True)
class Regime:
    """A qualification regime: where it applies, its default thresholds, the answers it reads."""

    code: str
    name: str
    currency: str
    countries: tuple[str, ...]
    default_thresholds: Mapping[str, Any]
    answer_fields: tuple[str, ...]


def _major(amount: int, currency: str) -> Money:
    return Money.from_decimal(Decimal(amount), currency)


# EU member states and the EEA states that apply MiFID II (Iceland, Liechtenstein, Norway).
_EEA = (
    *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"),
    *("IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"),
    *("IS", "LI", "NO"),
)

REGIMES: dict[str, Regime] = {
    regime.code: regime
    for regime in (
        Regime(
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
        ),
        Regime(
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
        ),
        Regime(
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
        ),
        Regime(
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
        ),
        Regime(
            code="fr_min_ticket_100k",
            name="France: professional client or an initial subscription of 100,000 EUR",
            currency="EUR",
            countries=("FR",),
            default_thresholds=MappingProxyType({"ticket_at_least": _major(100_000, "EUR")}),
            answer_fields=("professional_client",),
        ),
        Regime(
            code="de_semi_professional",
            name="Germany: semi-professional investor",
            currency="EUR",
            countries=("DE",),
            default_thresholds=MappingProxyType({"ticket_at_least": _major(200_000, "EUR")}),
            answer_fields=("risk_statement_signed", "expertise_assessed"),
        ),
        Regime(
            code="ch_finsa_opting_out",
            name="Switzerland: FinSA opting out to professional client",
            currency="CHF",
            countries=("CH",),
            default_thresholds=MappingProxyType(
                {
                    "financial_assets_at_least": _major(2_000_000, "CHF"),
                    "financial_assets_with_knowledge_at_least": _major(500_000, "CHF"),
                }
            ),
            answer_fields=("declared_professional", "financial_assets", "knowledge_and_experience"),
        ),
        Regime(
            code="default_manual",
            name="Other countries: a compliance officer decides",
            currency="EUR",
            countries=(),
            default_thresholds=MappingProxyType({}),
            answer_fields=(),
        ),
    )
}

# What each answer is (its kind, and its name in words for the reasons).
_ANSWERS: dict[str, tuple[str, str]] = {
    "joint": ("bool", "whether the income figures are joint with a spouse"),
    "income": ("money_list", "income"),
    "joint_income": ("money_list", "joint income"),
    "expected_income_this_year": ("money", "expected income"),
    "net_worth_excluding_residence": ("money", "net worth"),
    "licences": ("str_list", "licences held"),
    "total_assets": ("money", "total assets"),
    "formed_for_this_investment": ("bool", "whether it was formed to make this investment"),
    "all_owners_accredited": ("bool", "whether every equity owner is accredited"),
    "regulated_entity": ("bool", "whether it is a regulated entity"),
    "offering_506c": ("bool", "whether the offering is made under Rule 506(c)"),
    "verification_date": ("date", "date of the third-party verification"),
    "annual_income": ("money", "annual income"),
    "net_assets": ("money", "net assets"),
    "statement_signed_on": ("date", "date of the signed statement"),
    "angel_network_member_since": ("date", "date of joining a business angels network"),
    "unlisted_investments_last_two_years": ("int", "investments in unlisted companies"),
    "private_equity_work_last_two_years": ("bool", "work in private equity or SME finance"),
    "director_of_company_with_turnover": ("money", "turnover of the company directed"),
    "transactions_per_quarter": ("int_list", "significant transactions per quarter"),
    "portfolio": ("money", "portfolio"),
    "years_in_financial_sector": ("int", "years of work in the financial sector"),
    "balance_sheet_total": ("money", "balance sheet total"),
    "net_turnover": ("money", "net turnover"),
    "own_funds": ("money", "own funds"),
    "professional_client": ("bool", "whether it is a professional client"),
    "ticket": ("money", "ticket"),
    "risk_statement_signed": ("bool", "the written statement of awareness of the risks"),
    "expertise_assessed": ("bool", "the manager's assessment of expertise"),
    "declared_professional": ("bool", "the declaration to be a professional client"),
    "financial_assets": ("money", "financial assets"),
    "knowledge_and_experience": ("bool", "knowledge and experience to understand the risks"),
}

# Answers for which a given ``None`` says "there is none" rather than "not answered".
_NONE_MEANS_NONE = frozenset({"angel_network_member_since", "director_of_company_with_turnover"})

# What a yes and a no to each yes-or-no route mean, in words.
_FLAGS: dict[str, tuple[str, str]] = {
    "all_owners_accredited": (
        "qualifies as every equity owner is accredited",
        "not every equity owner is accredited",
    ),
    "regulated_entity": ("qualifies as a regulated entity", "is not a regulated entity"),
    "private_equity_work_last_two_years": (
        "qualifies by work in private equity or SME finance in the last two years",
        "has not worked in private equity or SME finance in the last two years",
    ),
    "professional_client": ("qualifies as a professional client", "is not a professional client"),
    "risk_statement_signed": (
        "has signed a written statement of awareness of the risks",
        "has not signed a written statement of awareness of the risks",
    ),
    "expertise_assessed": (
        "the manager has recorded an assessment of expertise, experience and knowledge",
        "the manager has recorded no assessment of expertise, experience and knowledge",
    ),
    "declared_professional": (
        "has declared to be a professional client",
        "has not declared to be a professional client",
    ),
    "knowledge_and_experience": (
        "has the knowledge and experience to understand the risks",
        "lacks the knowledge and experience to understand the risks",
    ),
}

_MANUAL_REASON = (
    "no automatic qualification in this country: a compliance officer decides, deal by deal"
)
_PERSONS_ONLY_REASON = (
    "this regime qualifies natural persons only; an entity cannot qualify under it"
)


def _fmt(amount: Money) -> str:
    return f"{amount.to_decimal():,} {amount.currency}"


def _shortfall(subject: str, value: Money, limit: Money) -> str:
    """Say how ``value`` misses ``limit``: below it, or equal to an "over" threshold."""
    side = "is below" if value < limit else "is not over"
    return f"{subject} {side} the {_fmt(limit)} threshold"


@dataclass(frozen=True)
class _Finding:
    """Whether one condition holds (qualified), fails (not qualified) or is unknown."""

    outcome: Outcome
    reasons: tuple[str, ...]


def _met(*reasons: str) -> _Finding:
    return _Finding(Outcome.QUALIFIED, reasons)


def _failed(*reasons: str) -> _Finding:
    return _Finding(Outcome.NOT_QUALIFIED, reasons)


def _unknown(*reasons: str) -> _Finding:
    return _Finding(Outcome.NEEDS_EVIDENCE, reasons)


def _reasons(*groups: list[_Finding]) -> tuple[str, ...]:
    # The same missing answer may be read by several routes; name it once.
    return tuple(dict.fromkeys(r for group in groups for f in group for r in f.reasons))


def _split(findings: tuple[_Finding, ...]) -> tuple[list[_Finding], ...]:
    """Sort ``findings`` into those met, those failed and those unknown."""
    order = (Outcome.QUALIFIED, Outcome.NOT_QUALIFIED, Outcome.NEEDS_EVIDENCE)
    return tuple([f for f in findings if f.outcome is outcome] for outcome in order)


def _any_of(*findings: _Finding) -> _Finding:
    """Hold when one route holds; fail when every route fails."""
    met, failed, unknown = _split(findings)
    if met:
        return _met(*_reasons(met))
    if unknown:
        return _unknown(*_reasons(unknown, failed))
    return _failed(*_reasons(failed))


def _all_of(*findings: _Finding) -> _Finding:
    """Hold when every condition holds; fail when one fails."""
    met, failed, unknown = _split(findings)
    if failed:
        return _failed(*_reasons(failed))
    if unknown:
        return _unknown(*_reasons(unknown, met))
    return _met(*_reasons(met))


def _at_least(needed: int, findings: tuple[_Finding, ...], *, what: str) -> _Finding:
    """Hold when at least ``needed`` of the criteria hold."""
    met, failed, unknown = _split(findings)
    tally = f"{len(met)} of {len(findings)} criteria met, at least {needed} needed"
    if len(met) >= needed:
        return _met(f"qualifies as {what}: {tally}", *_reasons(met))
    if len(met) + len(unknown) >= needed:
        return _unknown(*_reasons(unknown), f"{what}: {tally}", *_reasons(failed))
    return _failed(f"does not qualify as {what}: {tally}", *_reasons(failed))


_KINDS: dict[str, Callable[[Any], bool]] = {
    "money": lambda value: isinstance(value, Money),
    "date": lambda value: isinstance(value, date) and not isinstance(value, datetime),
    "bool": lambda value: type(value) is bool,
    "int": lambda value: type(value) is int and value >= 0,
    "money_list": lambda value: (
        isinstance(value, list | tuple) and all(isinstance(item, Money) for item in value)
    ),
    "int_list": lambda value: (
        isinstance(value, list | tuple) and all(type(item) is int and item >= 0 for item in value)
    ),
    "str_list": lambda value: (
        isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)
    ),
}


@dataclass(frozen=True)
class _Case:
    """One assessment: the regime, its checked thresholds, the answers and the date."""

    regime: Regime
    thresholds: Mapping[str, Any]
    answers: Mapping[str, Any]
    on: date

    def __getitem__(self, key: str) -> Any:
        return self.answers[key]

    def limit(self, key: str) -> Any:
        return self.thresholds[key]

    def unanswered(self, *keys: str, length: int | None = None) -> _Finding | None:
        """Return what is missing or unusable among the answers ``keys``, or ``None``."""
        reasons = []
        for key in keys:
            kind, label = _ANSWERS[key]
            value = self.answers.get(key)
            if value is None:
                if key not in self.answers or key not in _NONE_MEANS_NONE:
                    reasons.append(f"missing answer {key} ({label})")
                continue
            if not _KINDS[kind](value):
                raise TypeError(f"answer {key} must be of kind {kind}, not {value!r}")
            amounts = [value] if kind == "money" else value if kind == "money_list" else []
            foreign = sorted({a.currency for a in amounts} - {self.regime.currency})
            if foreign:
                reasons.append(
                    f"{label} is given in {', '.join(foreign)}; "
                    f"this regime's thresholds are in {self.regime.currency}"
                )
            elif kind.endswith("_list") and length is not None and len(value) != length:
                reasons.append(f"{label} gives {len(value)} figures where {length} are needed")
        return _unknown(*reasons) if reasons else None

    def amount_route(self, key: str, limit_key: str, *, over: bool, route: str) -> _Finding:
        """Compare the amount ``key`` with a threshold: strictly when ``over``."""
        if gap := self.unanswered(key):
            return gap
        value, limit = self[key], self.limit(limit_key)
        if over and value > limit:
            return _met(f"{route}: {_fmt(value)} over {_fmt(limit)}")
        if not over and value >= limit:
            return _met(f"{route}: {_fmt(value)}, at least {_fmt(limit)}")
        return _failed(_shortfall(f"{_ANSWERS[key][1]} of {_fmt(value)}", value, limit))

    def flag_route(self, key: str) -> _Finding:
        if gap := self.unanswered(key):
            return gap
        yes, no = _FLAGS[key]
        return _met(yes) if self[key] else _failed(no)

    def dated_after_assessment(self, day: date, what: str) -> _Finding | None:
        if day > self.on:
            return _unknown(f"the {what} is dated {day}, after the assessment date {self.on}")
        return None


# A regime's finding, and the date until which a qualification holds where a document dates it.
_Result = tuple[_Finding, date | None]


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


def _fr_min_ticket(case: _Case, investor_type: str) -> _Result:
    ticket = case.amount_route(
        "ticket", "ticket_at_least", over=False, route="qualifies by an initial subscription"
    )
    return _any_of(case.flag_route("professional_client"), ticket), None


def _de_semi_professional(case: _Case, investor_type: str) -> _Result:
    return _all_of(
        case.amount_route("ticket", "ticket_at_least", over=False, route="commitment"),
        case.flag_route("risk_statement_signed"),
        case.flag_route("expertise_assessed"),
    ), None


def _ch_finsa(case: _Case, investor_type: str) -> _Result:
    wealth = _any_of(
        case.amount_route(
            "financial_assets",
            "financial_assets_at_least",
            over=False,
            route="qualifies by financial assets",
        ),
        _all_of(
            case.amount_route(
                "financial_assets",
                "financial_assets_with_knowledge_at_least",
                over=False,
                route="qualifies by financial assets with knowledge",
            ),
            case.flag_route("knowledge_and_experience"),
        ),
    )
    return _all_of(case.flag_route("declared_professional"), wealth), None


def _default_manual(case: _Case, investor_type: str) -> _Result:
    return _unknown(_MANUAL_REASON), None


_EVALUATORS: dict[str, Callable[[_Case, str], _Result]] = {
    "us_reg_d_accredited": _us_reg_d,
    "uk_certified_hnw": _uk_certified_hnw,
    "uk_self_certified_sophisticated": _uk_sophisticated,
    "eu_mifid_professional": _eu_mifid,
    "fr_min_ticket_100k": _fr_min_ticket,
    "de_semi_professional": _de_semi_professional,
    "ch_finsa_opting_out": _ch_finsa,
    "default_manual": _default_manual,
}


def _checked_thresholds(regime: Regime, thresholds: Mapping[str, Any]) -> dict[str, Any]:
    """Return the thresholds if they make a whole rule set of ``regime``; else raise."""
    unknown = sorted(set(thresholds) - set(regime.default_thresholds))
    if unknown:
        raise ValueError(f"unknown thresholds for {regime.code}: {', '.join(unknown)}")
    checked = {}
    for key, default in regime.default_thresholds.items():
        if key not in thresholds:
            raise ValueError(f"the {regime.code} rule set lacks the threshold {key}")
        value = thresholds[key]
        if isinstance(default, Money):
            if not isinstance(value, Money):
                raise ValueError(f"threshold {key} of {regime.code} must be Money, not {value!r}")
            if value.currency != regime.currency:
                raise ValueError(
                    f"threshold {key} of {regime.code} is in {value.currency}; "
                    f"the regime's thresholds are in {regime.currency}"
                )
        elif isinstance(default, int):
            if type(value) is not int or value < 0:
                raise ValueError(f"threshold {key} of {regime.code} must be a whole number >= 0")
        elif not _KINDS["str_list"](value):
            raise ValueError(f"threshold {key} of {regime.code} must be a list of names")
        checked[key] = tuple(value) if isinstance(value, list) else value
    return checked


def evaluate(
    *,
    regime: str,
    thresholds: Mapping[str, Any],
    investor_type: str,
    answers: Mapping[str, Any],
    assessed_on: date,
    ticket: Money | None = None,
) -> Decision:
    """Decide whether the investor qualifies under ``regime`` on ``assessed_on``, with reasons.

    ``ticket`` is the initial subscription, read by the regimes that set a minimum ticket.
    """
    if regime not in REGIMES:
        raise ValueError(f"unknown qualification regime {regime!r}")
    if investor_type not in INVESTOR_TYPES:
        raise ValueError(f"investor_type must be one of {INVESTOR_TYPES}, not {investor_type!r}")
    rules = REGIMES[regime]
    case = _Case(
        regime=rules,
        thresholds=_checked_thresholds(rules, thresholds),
        # The ticket is the deal's figure, never an answer of the investor's.
        answers={**answers, "ticket": ticket},
        on=assessed_on,
    )
    finding, valid_until = _EVALUATORS[regime](case, investor_type)
    return Decision(
        outcome=finding.outcome,
        reasons=finding.reasons,
        valid_until=valid_until if finding.outcome is Outcome.QUALIFIED else None,
    )


def thresholds_to_json(thresholds: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``thresholds`` as JSON data: amounts as minor units and currency, dates ISO."""
    return {key: _threshold_to_json(key, value) for key, value in thresholds.items()}


def _threshold_to_json(key: str, value: Any) -> Any:
    if isinstance(value, Money):
        return {"amount_minor": value.amount_minor, "currency": value.currency}
    if _KINDS["date"](value):
        return value.isoformat()
    if type(value) is int:
        return value
    if _KINDS["str_list"](value):
        return list(value)
    raise TypeError(f"threshold {key} cannot be stored as JSON: {value!r}")


def thresholds_from_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return the thresholds stored by ``thresholds_to_json``, exactly as they were."""
    return {key: _threshold_from_json(key, value) for key, value in data.items()}


def _threshold_from_json(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) != {"amount_minor", "currency"}:
            raise ValueError(f"threshold {key} is not an amount: {value!r}")
        return Money(value["amount_minor"], value["currency"])
    if isinstance(value, str):
        return date.fromisoformat(value)
    if type(value) is int:
        return value
    if _KINDS["str_list"](value):
        return tuple(value)
    raise ValueError(f"threshold {key} is not a stored threshold: {value!r}")
