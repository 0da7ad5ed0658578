"""The machinery the regimes share: result types, answers, findings and one assessment's case.

A regime's evaluator turns a ``_Case`` (the regime, its checked thresholds, the answers and the
date) into a ``_Result``: a ``_Finding`` built from the routes of ``_Case`` and combined with
``_any_of``, ``_all_of`` and ``_at_least``, and the date until which it holds, if any.
"""

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

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
    # The step whose day chooses the rule set version, where the law dates it so (the UK
    # statements); otherwise the assessment's day does.
    decided_by: str | None = None


@dataclass(frozen=True)
class Step:
    """A step of a procedure the law requires, recorded as a fact: the day it was taken, who
    took it (the investor, the manager, the firm, by name) and the document that shows it."""

    on: date
    by: str
    document: str


def _major(amount: int, currency: str) -> Money:
    return Money.from_decimal(Decimal(amount), currency)


# What each answer is (its kind, and its name in words for the reasons).
_ANSWERS: dict[str, tuple[str, str]] = {
    "joint": ("bool", "whether the income figures are joint with a spouse"),
    "income": ("money_list", "income"),
    "joint_income": ("money_list", "joint income"),
    "expected_income_this_year": ("money", "expected income"),
    "expected_joint_income_this_year": ("money", "expected joint income"),
    "issuer_insider": (
        "bool",
        "whether a director, executive officer or general partner of the issuer",
    ),
    "knowledgeable_employee": (
        "bool",
        "whether a knowledgeable employee of the private fund invested in",
    ),
    "family_client": ("bool", "whether a family client of a qualifying family office"),
    "entity_form": ("str", "the entity's legal form"),
    "directed_by_sophisticated_person": (
        "bool",
        "whether its investment is directed by a sophisticated person",
    ),
    "investments_owned": ("money", "investments owned (Rule 2a51-1(b))"),
    "assets_under_management": ("money", "assets under management"),
    "previous_verification_date": ("date", "date of the issuer's earlier verification"),
    "reconfirmation": (
        "step",
        "the written representation of remaining an accredited investor",
    ),
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
    "statement": ("step", "the statement in the Schedule 5 form, completed and signed"),
    "statement_criteria": ("str_list", "the criteria the statement's completion indicates"),
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
    "risk_statement": (
        "step",
        "the investor's written statement, in a document separate from the commitment, of "
        "awareness of the risks",
    ),
    "expertise_assessment": (
        "step",
        "the manager's (or distributor's) assessment of the investor's expertise, experience "
        "and knowledge",
    ),
    "manager_satisfied": (
        "step",
        "the manager's finding that the investor can decide alone, understands the risks and "
        "that the commitment is appropriate",
    ),
    "manager_confirmation": (
        "step",
        "the manager's confirmation in text form that it made that assessment",
    ),
    "manager_staff": ("bool", "whether an officer or employee of the fund's manager"),
    "restricted_access_declaration": (
        "step",
        "the subscriber's written declaration of having been informed that the fund's access "
        "is restricted",
    ),
    "private_equity_criteria": ("str_list", "private-equity criteria met"),
    "management_company_staff": (
        "bool",
        "whether an officer or employee of the fund's management company",
    ),
    "discretionary_mandate": (
        "bool",
        "whether subscribing under a discretionary portfolio management mandate",
    ),
    "per_se_category": ("str", "the per se category of professional client"),
    "public_body": (
        "bool",
        "whether a government, public debt office, central bank or supranational institution",
    ),
    "institutional_investor": (
        "bool",
        "whether an institutional investor whose main activity is investing in financial "
        "instruments",
    ),
    "firm_assessment": (
        "step",
        "the firm's assessment of the client's expertise, experience and knowledge",
    ),
    "professional_request": (
        "step",
        "the client's written request to be treated as a professional client",
    ),
    "protections_warning": (
        "step",
        "the firm's written warning of the protections and compensation rights lost",
    ),
    "warning_acknowledgement": (
        "step",
        "the client's written acknowledgement of the warning, in a document separate from the "
        "request",
    ),
    "opting_out_declaration": (
        "step",
        "the written or text declaration to be treated as a professional client",
    ),
    "joint_holders": ("str_list", "the joint holders of the assets"),
    "direct_real_estate": ("money", "direct real estate"),
    "pension_claims": ("money", "social-security and pension claims"),
    "financial_assets": ("money", "financial assets"),
    "knowledge_and_experience": ("bool", "knowledge and experience to understand the risks"),
}

# Answers for which a given ``None`` says "there is none" rather than "not answered".
_NONE_MEANS_NONE = frozenset(
    {"angel_network_member_since", "director_of_company_with_turnover", "per_se_category"}
)

# What a yes and a no to each yes-or-no route mean, in words.
_FLAGS: dict[str, tuple[str, str]] = {
    "all_owners_accredited": (
        "qualifies as every equity owner is accredited",
        "not every equity owner is accredited",
    ),
    "regulated_entity": ("qualifies as a regulated entity", "is not a regulated entity"),
    "issuer_insider": (
        "qualifies as a director, executive officer or general partner of the issuer",
        "is not a director, executive officer or general partner of the issuer",
    ),
    "knowledgeable_employee": (
        "qualifies as a knowledgeable employee of the private fund",
        "is not a knowledgeable employee of the private fund",
    ),
    "family_client": (
        "qualifies as a family client of a qualifying family office",
        "is not a family client of a qualifying family office",
    ),
    "public_body": (
        "qualifies as a government, public debt office, central bank or supranational institution",
        "is not a government, public debt office, central bank or supranational institution",
    ),
    "institutional_investor": (
        "qualifies as an institutional investor investing in financial instruments as its main "
        "activity",
        "is not an institutional investor investing in financial instruments as its main activity",
    ),
    "private_equity_work_last_two_years": (
        "qualifies by work in private equity or SME finance in the last two years",
        "has not worked in private equity or SME finance in the last two years",
    ),
    "professional_client": ("qualifies as a professional client", "is not a professional client"),
    "manager_staff": (
        "qualifies as an officer or employee of the manager investing in a fund it manages",
        "is not an officer or employee of the fund's manager",
    ),
    "management_company_staff": (
        "qualifies as an officer or employee of the fund's management company",
        "is not an officer or employee of the fund's management company",
    ),
    "discretionary_mandate": (
        "qualifies as a subscription under a discretionary portfolio management mandate",
        "does not subscribe under a discretionary portfolio management mandate",
    ),
    "knowledge_and_experience": (
        "has the knowledge and experience to understand the risks",
        "lacks the knowledge and experience to understand the risks",
    ),
}


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
    "str": lambda value: isinstance(value, str),
    "step": lambda value: isinstance(value, Step),
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

    def step_route(self, key: str) -> _Finding:
        """Require the procedure step ``key`` recorded with its day, who took it and its
        document, on or before the assessment; a step missing any of these is evidence still
        needed, named."""
        label = _ANSWERS[key][1]
        if self.unanswered(key):
            return _unknown(f"needs {label}: not recorded")
        step: Step = self[key]
        missing = [
            name
            for name, given in (("who", step.by), ("document", step.document))
            if not given.strip()
        ]
        if missing:
            return _unknown(f"needs {label}: recorded without its {' and '.join(missing)}")
        if future := self.dated_after_assessment(step.on, label):
            return future
        return _met(f"{label}: {step.on}, by {step.by} ({step.document})")

    def dated_after_assessment(self, day: date, what: str) -> _Finding | None:
        if day > self.on:
            return _unknown(f"the {what} is dated {day}, after the assessment date {self.on}")
        return None


# A regime's finding, and the date until which a qualification holds where a document dates it.
_Result = tuple[_Finding, date | None]
