"""Investor qualification is decided by data: each route, each near miss, each gap in evidence."""

import dataclasses
import json
import sys
from datetime import date, timedelta
from decimal import Decimal

import pytest

from apps.compliance import rules
from apps.compliance.rules import (
    REGIMES,
    Decision,
    Outcome,
    Step,
    evaluate,
    thresholds_from_json,
    thresholds_to_json,
    uk,
)
from apps.compliance.rules.base import _ANSWERS as REGIME_ANSWERS
from apps.core.money import Money

Q, NQ, NE = Outcome.QUALIFIED, Outcome.NOT_QUALIFIED, Outcome.NEEDS_EVIDENCE
ON = date(2026, 3, 1)
DROP = object()  # in a row's changes: take the answer out altogether


def usd(amount: str) -> Money:
    return Money.from_decimal(Decimal(amount), "USD")


def gbp(amount: str) -> Money:
    return Money.from_decimal(Decimal(amount), "GBP")


def eur(amount: str) -> Money:
    return Money.from_decimal(Decimal(amount), "EUR")


def chf(amount: str) -> Money:
    return Money.from_decimal(Decimal(amount), "CHF")


def days_ago(days: int) -> date:
    return ON - timedelta(days=days)


def decide(regime, answers, *, investor_type="person", thresholds=None, on=ON):
    """Evaluate with the regime's default thresholds; a ``ticket`` answer is the argument."""
    answers = dict(answers)
    ticket = answers.pop("ticket", None)
    return evaluate(
        regime=regime,
        thresholds=REGIMES[regime].default_thresholds if thresholds is None else thresholds,
        investor_type=investor_type,
        answers=answers,
        assessed_on=on,
        ticket=ticket,
    )


def changed(base, changes):
    merged = {**base, **changes}
    return {key: value for key, value in merged.items() if value is not DROP}


def assert_decided(decision: Decision, outcome: Outcome, reason: str) -> None:
    assert decision.outcome is outcome, decision.reasons
    assert any(reason in given for given in decision.reasons), decision.reasons


# --- US Regulation D: accredited investor -----------------------------------------------------

US_PERSON = {
    "joint": False,
    "income": [usd("150000"), usd("150000")],
    "expected_income_this_year": usd("150000"),
    "net_worth_excluding_residence": usd("500000"),
    "licences": [],
    "issuer_insider": False,
    "knowledgeable_employee": False,
    "family_client": False,
    "offering_506c": False,
}
JOINT = {"joint": True, "expected_joint_income_this_year": usd("300000.01")}
OVER_200K = [usd("200000.01"), usd("200000.01")]
OVER_300K = [usd("300000.01"), usd("300000.01")]
RICH = {"net_worth_excluding_residence": usd("1000000.01")}
VERIFIED_506C = {"offering_506c": True, "verification_date": days_ago(30)}

US_PERSON_ROWS = [
    pytest.param(
        {},
        NQ,
        "income of 150,000.00 USD in 2024 is below the 200,000.00 USD threshold",
        id="no-route-names-income",
    ),
    pytest.param(
        {},
        NQ,
        "net worth of 500,000.00 USD is below the 1,000,000.00 USD threshold",
        id="no-route-names-net-worth",
    ),
    pytest.param(
        {},
        NQ,
        "holds no qualifying licence (series_7, series_65, series_82)",
        id="no-route-names-licences",
    ),
    pytest.param(
        {"income": OVER_200K, "expected_income_this_year": usd("200000.01")},
        Q,
        "qualifies by income: 200,000.01 USD in 2024, 200,000.01 USD in 2025, "
        "200,000.01 USD expected in 2026, each over 200,000.00 USD",
        id="income-a-cent-over-each-year",
    ),
    pytest.param(
        {"income": [usd("250000"), usd("199999.99")], "expected_income_this_year": usd("250000")},
        NQ,
        "income of 199,999.99 USD in 2025 is below the 200,000.00 USD threshold",
        id="income-a-cent-under-last-year",
    ),
    pytest.param(
        {"income": [usd("200000"), usd("250000")], "expected_income_this_year": usd("250000")},
        NQ,
        "income of 200,000.00 USD in 2024 is not over the 200,000.00 USD threshold",
        id="income-exactly-at-threshold-is-not-over",
    ),
    pytest.param(
        {"income": OVER_200K, "expected_income_this_year": usd("200000")},
        NQ,
        "income of 200,000.00 USD expected in 2026 is not over the 200,000.00 USD threshold",
        id="expected-income-exactly-at-threshold",
    ),
    pytest.param(
        {**JOINT, "joint_income": OVER_300K},
        Q,
        "qualifies by joint income: 300,000.01 USD in 2024",
        id="joint-income-a-cent-over",
    ),
    pytest.param(
        {**JOINT, "joint_income": [usd("400000"), usd("300000")]},
        NQ,
        "joint income of 300,000.00 USD in 2025 is not over the 300,000.00 USD threshold",
        id="joint-income-exactly-at-threshold",
    ),
    pytest.param(
        {
            **JOINT,
            "income": [usd("900000"), usd("900000")],
            "joint_income": [usd("250000"), usd("250000")],
            "expected_income_this_year": usd("900000"),
        },
        Q,
        "qualifies by income: 900,000.00 USD in 2024",
        id="a-joint-filer-qualifies-alone",
    ),
    pytest.param(
        {**JOINT, "joint_income": [usd("250000"), usd("250000")]},
        NQ,
        "joint income of 250,000.00 USD in 2024 is below the 300,000.00 USD threshold",
        id="a-joint-filer-neither-alone-nor-jointly",
    ),
    pytest.param(
        {"joint_income": OVER_300K, "expected_joint_income_this_year": usd("300000.01")},
        NQ,
        "income of 150,000.00 USD in 2025 is below",
        id="individual-basis-ignores-joint-income",
    ),
    pytest.param(
        {"issuer_insider": True},
        Q,
        "qualifies as a director, executive officer or general partner of the issuer",
        id="issuer-insider",
    ),
    pytest.param(
        {"knowledgeable_employee": True},
        Q,
        "qualifies as a knowledgeable employee of the private fund",
        id="knowledgeable-employee",
    ),
    pytest.param(
        {"family_client": True},
        Q,
        "qualifies as a family client of a qualifying family office",
        id="family-client",
    ),
    pytest.param(
        RICH,
        Q,
        "qualifies by net worth: 1,000,000.01 USD over 1,000,000.00 USD",
        id="net-worth-a-cent-over",
    ),
    pytest.param(
        {"net_worth_excluding_residence": usd("1000000")},
        NQ,
        "net worth of 1,000,000.00 USD is not over the 1,000,000.00 USD threshold",
        id="net-worth-exactly-at-threshold",
    ),
    pytest.param({"licences": ["series_7"]}, Q, "qualifies by licence: series_7", id="series-7"),
    pytest.param({"licences": ["series_65"]}, Q, "qualifies by licence: series_65", id="series-65"),
    pytest.param(
        {"licences": ["cfa", "series_82"]}, Q, "qualifies by licence: series_82", id="series-82"
    ),
    pytest.param(
        {"licences": ["series_6", "cfa"]}, NQ, "holds no qualifying licence", id="other-licences"
    ),
    pytest.param(
        {"net_worth_excluding_residence": DROP},
        NE,
        "missing answer net_worth_excluding_residence",
        id="net-worth-missing",
    ),
    pytest.param(
        {"net_worth_excluding_residence": None},
        NE,
        "missing answer net_worth_excluding_residence",
        id="net-worth-none",
    ),
    pytest.param({"joint": DROP}, NE, "missing answer joint", id="joint-missing"),
    pytest.param({"joint": True}, NE, "missing answer joint_income", id="joint-income-missing"),
    pytest.param(
        {"expected_income_this_year": DROP},
        NE,
        "missing answer expected_income_this_year",
        id="expected-income-missing",
    ),
    pytest.param({"licences": DROP}, NE, "missing answer licences", id="licences-missing"),
    pytest.param(
        {"income": [usd("300000")]},
        NE,
        "income gives 1 figures where 2 are needed",
        id="income-for-one-year-only",
    ),
    pytest.param(
        {"net_worth_excluding_residence": eur("5000000")},
        NE,
        "net worth is given in EUR; this regime's thresholds are in USD",
        id="net-worth-in-eur",
    ),
    pytest.param(
        {"income": [usd("300000"), gbp("300000")]},
        NE,
        "income is given in GBP; this regime's thresholds are in USD",
        id="income-in-gbp",
    ),
    pytest.param(
        {"net_worth_excluding_residence": eur("5000000"), "licences": ["series_65"]},
        Q,
        "qualifies by licence: series_65",
        id="one-route-met-outweighs-unusable-evidence",
    ),
    pytest.param(
        {"income": DROP, "net_worth_excluding_residence": DROP, "licences": ["series_7"]},
        Q,
        "qualifies by licence",
        id="one-route-met-outweighs-missing-answers",
    ),
    pytest.param(
        {**RICH, "offering_506c": DROP}, NE, "missing answer offering_506c", id="506c-unknown"
    ),
    pytest.param(
        {"offering_506c": DROP},
        NQ,
        "net worth of 500,000.00 USD",
        id="506c-unknown-but-no-route",
    ),
    pytest.param(
        {**RICH, "offering_506c": True, "verification_date": date(2025, 12, 2)},
        Q,
        "third-party verification of 2025-12-02 is valid through 2026-03-01",
        id="506c-verified-three-months-ending-today",
    ),
    pytest.param(
        {**RICH, "offering_506c": True, "verification_date": date(2025, 12, 1)},
        NE,
        "the third-party verification of 2025-12-01 is older than 3 months on 2026-03-01; a "
        "Rule 506(c) offering needs one dated within the prior 3 months",
        id="506c-verified-a-day-more-than-three-months-ago",
    ),
    pytest.param(
        {
            **RICH,
            "offering_506c": True,
            "verification_date": date(2024, 1, 5),
            "previous_verification_date": date(2021, 3, 2),
            "reconfirmation": Step(date(2026, 2, 1), "Avery Stone", "Written representation"),
        },
        Q,
        "a written re-confirmation within 5 years of the verification of 2021-03-02",
        id="506c-reconfirmed-within-five-years",
    ),
    pytest.param(
        {
            **RICH,
            "offering_506c": True,
            "previous_verification_date": date(2021, 3, 1),
            "reconfirmation": Step(date(2026, 2, 1), "Avery Stone", "Written representation"),
        },
        NE,
        "the re-confirmation of 2026-02-01 is not within 5 years of the verification of 2021-03-01",
        id="506c-reconfirmed-too-late",
    ),
    pytest.param(
        {**RICH, "offering_506c": True},
        NE,
        "missing answer verification_date",
        id="506c-without-verification",
    ),
    pytest.param(
        {**RICH, "offering_506c": True, "verification_date": ON + timedelta(days=1)},
        NE,
        "after the assessment date 2026-03-01",
        id="506c-verification-dated-tomorrow",
    ),
    pytest.param(VERIFIED_506C, NQ, "net worth of 500,000.00 USD", id="506c-verified-but-no-route"),
    pytest.param(
        {**VERIFIED_506C, "licences": ["series_82"]},
        Q,
        "qualifies by licence: series_82",
        id="506c-verified-licence",
    ),
]


@pytest.mark.parametrize(("changes", "outcome", "reason"), US_PERSON_ROWS)
def test_us_accredited_person(changes, outcome, reason):
    decision = decide("us_reg_d_accredited", changed(US_PERSON, changes))

    assert_decided(decision, outcome, reason)


US_ENTITY = {
    "entity_form": "corporation",
    "total_assets": usd("4000000"),
    "formed_for_this_investment": False,
    "investments_owned": usd("1000000"),
    "all_owners_accredited": False,
    "regulated_entity": False,
    "offering_506c": False,
}
TRUST = {"entity_form": "trust", "total_assets": usd("9000000")}

US_ENTITY_ROWS = [
    pytest.param(
        {},
        NQ,
        "total assets of 4,000,000.00 USD is below the 5,000,000.00 USD threshold",
        id="no-route-names-assets",
    ),
    pytest.param({}, NQ, "not every equity owner is accredited", id="no-route-names-owners"),
    pytest.param({}, NQ, "is not a regulated entity", id="no-route-names-regulation"),
    pytest.param(
        {"total_assets": usd("5000000.01")},
        Q,
        "qualifies by total assets: 5,000,000.01 USD over 5,000,000.00 USD",
        id="assets-a-cent-over",
    ),
    pytest.param(
        {"total_assets": usd("5000000")},
        NQ,
        "total assets of 5,000,000.00 USD is not over the 5,000,000.00 USD threshold",
        id="assets-exactly-at-threshold",
    ),
    pytest.param(
        {"total_assets": usd("9000000"), "formed_for_this_investment": True},
        NQ,
        "was formed to make this investment",
        id="assets-of-a-vehicle-formed-for-this-deal",
    ),
    pytest.param(
        {"total_assets": usd("9000000"), "formed_for_this_investment": DROP},
        NE,
        "missing answer formed_for_this_investment",
        id="assets-without-saying-why-formed",
    ),
    pytest.param(
        {"all_owners_accredited": True},
        Q,
        "qualifies as every equity owner is accredited",
        id="owners",
    ),
    pytest.param({"regulated_entity": True}, Q, "qualifies as a regulated entity", id="regulated"),
    pytest.param(
        {"total_assets": eur("9000000")},
        NE,
        "total assets is given in EUR; this regime's thresholds are in USD",
        id="assets-in-eur",
    ),
    pytest.param(
        {"all_owners_accredited": DROP},
        NE,
        "missing answer all_owners_accredited",
        id="owners-missing",
    ),
    pytest.param(
        {"regulated_entity": DROP, "all_owners_accredited": True},
        Q,
        "every equity owner is accredited",
        id="regulation-missing-but-owners",
    ),
    pytest.param(
        {"net_worth_excluding_residence": usd("90000000"), "licences": ["series_7"]},
        NQ,
        "total assets of 4,000,000.00 USD",
        id="persons-routes-do-not-apply",
    ),
    pytest.param(
        {"regulated_entity": True, "offering_506c": True, "verification_date": days_ago(91)},
        NE,
        "is older than 3 months",
        id="506c-verified-91-days-ago",
    ),
    pytest.param(
        {"regulated_entity": True, "offering_506c": True, "verification_date": days_ago(89)},
        Q,
        "qualifies as a regulated entity",
        id="506c-verified-89-days-ago",
    ),
    pytest.param(
        {**TRUST, "directed_by_sophisticated_person": True},
        Q,
        "the trust is directed by a sophisticated person",
        id="trust-directed-by-a-sophisticated-person",
    ),
    pytest.param(
        {**TRUST, "directed_by_sophisticated_person": False},
        NQ,
        "the trust is not directed by a sophisticated person",
        id="trust-not-directed-by-a-sophisticated-person",
    ),
    pytest.param(
        {"entity_form": "other", "total_assets": usd("9000000")},
        NQ,
        "an entity of another form does not qualify by its total assets",
        id="other-form-with-assets",
    ),
    pytest.param(
        {"investments_owned": usd("5000000.01")},
        Q,
        "qualifies by investments owned: 5,000,000.01 USD over 5,000,000.00 USD",
        id="investments-a-cent-over",
    ),
    pytest.param(
        {"investments_owned": usd("5000000")},
        NQ,
        "investments owned (Rule 2a51-1(b)) of 5,000,000.00 USD is not over the 5,000,000.00 "
        "USD threshold",
        id="investments-exactly-at-threshold",
    ),
    pytest.param(
        {
            "entity_form": "family_office",
            "assets_under_management": usd("5000000"),
            "directed_by_sophisticated_person": True,
        },
        NQ,
        "assets under management of 5,000,000.00 USD is not over the 5,000,000.00 USD threshold",
        id="family-office-exactly-at-threshold",
    ),
    pytest.param(
        {
            "entity_form": "family_office",
            "assets_under_management": usd("9000000"),
            "directed_by_sophisticated_person": False,
        },
        NQ,
        "the family office is not directed by a sophisticated person",
        id="family-office-not-so-directed",
    ),
    pytest.param(
        {"investments_owned": usd("9000000"), "formed_for_this_investment": True},
        NQ,
        "was formed to make this investment",
        id="investments-of-a-vehicle-formed-for-this-deal",
    ),
    pytest.param(
        {
            "entity_form": "family_office",
            "assets_under_management": usd("5000000.01"),
            "directed_by_sophisticated_person": True,
        },
        Q,
        "qualifies as a family office by assets under management",
        id="family-office",
    ),
]


@pytest.mark.parametrize(("changes", "outcome", "reason"), US_ENTITY_ROWS)
def test_us_accredited_entity(changes, outcome, reason):
    decision = decide("us_reg_d_accredited", changed(US_ENTITY, changes), investor_type="entity")

    assert_decided(decision, outcome, reason)


def test_us_qualification_without_506c_has_no_end_date():
    decision = decide("us_reg_d_accredited", changed(US_PERSON, RICH))

    assert decision.outcome is Q
    assert decision.valid_until is None


def test_us_506c_qualification_lasts_three_calendar_months_from_the_verification():
    verified = date(2025, 12, 15)
    answers = changed(US_PERSON, {**RICH, "offering_506c": True, "verification_date": verified})

    decision = decide("us_reg_d_accredited", answers)

    assert decision.valid_until == date(2026, 3, 14)


def test_us_an_unknown_entity_form_is_a_broken_answer():
    answers = changed(US_ENTITY, {"entity_form": "guild"})

    with pytest.raises(ValueError, match="unknown entity form: guild"):
        decide("us_reg_d_accredited", answers, investor_type="entity")


def test_us_with_no_answers_names_every_missing_answer():
    decision = decide("us_reg_d_accredited", {})

    assert decision.outcome is NE
    for key in ("joint", "net_worth_excluding_residence", "licences", "offering_506c"):
        assert any(f"missing answer {key}" in reason for reason in decision.reasons), key


# --- UK certified high net worth individual (FPO 2005 art. 48, Schedule 5) ---------------------


def signed(day: date, *criteria: str) -> dict:
    """A statement signed on ``day``, completed with ``criteria``."""
    statement = Step(day, "Oliver Hughes", "Schedule 5 statement, signed")
    return {"statement": statement, "statement_criteria": list(criteria)}


UK_HNW = {
    "annual_income": gbp("50000"),
    "net_assets": gbp("100000"),
    **signed(date(2025, 9, 1), "income", "net_assets"),
}
EARNER = {"annual_income": gbp("100000")}
INTERIM_HNW = {
    **REGIMES["uk_certified_hnw"].default_thresholds,
    "annual_income_at_least": gbp("170000"),
    "net_assets_at_least": gbp("430000"),
}

UK_HNW_ROWS = [
    pytest.param(
        {},
        NQ,
        "annual income of 50,000.00 GBP is below the 100,000.00 GBP threshold",
        id="no-route-names-income",
    ),
    pytest.param(
        {},
        NQ,
        "net assets of 100,000.00 GBP is below the 250,000.00 GBP threshold",
        id="no-route-names-assets",
    ),
    pytest.param(
        EARNER,
        Q,
        "qualifies by annual income: 100,000.00 GBP, at least 100,000.00 GBP",
        id="income-exactly-at-threshold",
    ),
    pytest.param(
        {"annual_income": gbp("99999.99")},
        NQ,
        "annual income of 99,999.99 GBP is below the 100,000.00 GBP threshold",
        id="income-a-penny-under",
    ),
    pytest.param(
        {"net_assets": gbp("250000")},
        Q,
        "qualifies by net assets: 250,000.00 GBP, at least 250,000.00 GBP",
        id="assets-exactly-at-threshold",
    ),
    pytest.param(
        {"net_assets": gbp("249999.99")},
        NQ,
        "net assets of 249,999.99 GBP is below the 250,000.00 GBP threshold",
        id="assets-a-penny-under",
    ),
    pytest.param(
        {**EARNER, **signed(date(2025, 3, 2), "income")},
        Q,
        "valid through 2026-03-01",
        id="statement-signed-twelve-months-ending-today",
    ),
    pytest.param(
        {**EARNER, **signed(date(2025, 3, 1), "income")},
        NE,
        "the statement signed on 2025-03-01 was valid through 2026-02-28; a new signed "
        "statement is needed",
        id="statement-a-day-too-old",
    ),
    pytest.param(
        {**EARNER, **signed(date(2025, 9, 1), "net_assets")},
        NE,
        "the income criterion is met but the statement does not indicate it",
        id="met-but-not-ticked",
    ),
    pytest.param(
        {**EARNER, "statement_criteria": DROP},
        NE,
        "missing answer statement_criteria",
        id="completion-not-recorded",
    ),
    pytest.param(
        signed(date(2024, 1, 1), "income"),
        NQ,
        "annual income of 50,000.00 GBP",
        id="statement-too-old-and-no-route",
    ),
    pytest.param(
        {**EARNER, "statement": DROP},
        NE,
        "needs the statement in the Schedule 5 form, completed and signed: not recorded",
        id="statement-not-recorded",
    ),
    pytest.param(
        {**EARNER, **signed(date(2026, 3, 2), "income")},
        NE,
        "is dated 2026-03-02, after the assessment date 2026-03-01",
        id="statement-dated-tomorrow",
    ),
    pytest.param(
        {"annual_income": usd("900000")},
        NE,
        "annual income is given in USD; this regime's thresholds are in GBP",
        id="income-in-usd",
    ),
    pytest.param(
        {"annual_income": usd("900000"), "net_assets": gbp("300000")},
        Q,
        "qualifies by net assets",
        id="income-in-usd-but-assets",
    ),
    pytest.param({"annual_income": DROP}, NE, "missing answer annual_income", id="income-missing"),
    pytest.param(
        {"annual_income": DROP, "net_assets": gbp("250000")},
        Q,
        "qualifies by net assets",
        id="income-missing-but-assets",
    ),
]


@pytest.mark.parametrize(("changes", "outcome", "reason"), UK_HNW_ROWS)
def test_uk_certified_high_net_worth(changes, outcome, reason):
    decision = decide("uk_certified_hnw", changed(UK_HNW, changes))

    assert_decided(decision, outcome, reason)


def test_uk_an_unknown_criterion_on_the_statement_is_a_broken_answer():
    answers = changed(UK_HNW, signed(date(2025, 9, 1), "lottery"))

    with pytest.raises(ValueError, match="unknown statement criteria: lottery"):
        decide("uk_certified_hnw", answers)


@pytest.mark.parametrize(
    ("income", "outcome"),
    [(gbp("170000"), Q), (gbp("169999.99"), NQ)],
    ids=["at-the-interim-threshold", "a-penny-under"],
)
def test_uk_an_interim_statement_is_judged_by_the_interim_thresholds(income, outcome):
    answers = changed(UK_HNW, {"annual_income": income, **signed(date(2024, 2, 15), "income")})

    decision = decide("uk_certified_hnw", answers, thresholds=INTERIM_HNW, on=date(2024, 6, 1))

    assert decision.outcome is outcome


@pytest.mark.parametrize(
    ("assessed_on", "outcome"),
    [(date(2025, 1, 30), Q), (date(2025, 1, 31), NE)],
    ids=["last-day-of-the-interim-form", "the-day-after"],
)
def test_uk_a_statement_in_the_interim_form_is_usable_until_30_january_2025(assessed_on, outcome):
    answers = changed(
        UK_HNW, {"annual_income": gbp("200000"), **signed(date(2024, 3, 1), "income")}
    )

    decision = decide("uk_certified_hnw", answers, thresholds=INTERIM_HNW, on=assessed_on)

    assert decision.outcome is outcome
    if outcome is Q:
        assert decision.valid_until == date(2025, 1, 30)  # not 2025-02-28


# --- UK self-certified sophisticated investor (FPO 2005 art. 50A) -----------------------------

UK_SOPHISTICATED = {
    **signed(date(2025, 9, 1), *uk.SOPHISTICATED_CRITERIA),
    "angel_network_member_since": None,
    "unlisted_investments_last_two_years": 0,
    "private_equity_work_last_two_years": False,
    "director_of_company_with_turnover": None,
}
PE_WORK = {"private_equity_work_last_two_years": True}
INTERIM_SOPHISTICATED = {
    **REGIMES["uk_self_certified_sophisticated"].default_thresholds,
    "director_turnover_at_least": gbp("1600000"),
    "routes": ("angel_network", "private_equity_work", "director"),
}

UK_SOPHISTICATED_ROWS = [
    pytest.param(
        {}, NQ, "is not a member of a business angels network", id="no-route-names-angels"
    ),
    pytest.param(
        {},
        NQ,
        "investments in unlisted companies in the two years before the statement: 0, not more "
        "than 1",
        id="no-route-names-investments",
    ),
    pytest.param(
        {}, NQ, "has not worked in private equity or SME finance", id="no-route-names-work"
    ),
    pytest.param({}, NQ, "has not been a director of a company", id="no-route-names-directorship"),
    pytest.param(
        {"angel_network_member_since": date(2025, 3, 1)},
        Q,
        "qualifies as member of a business angels network since 2025-03-01, at least 6 months "
        "before the statement",
        id="angel-member-exactly-6-months-before-the-statement",
    ),
    pytest.param(
        {"angel_network_member_since": date(2025, 3, 2)},
        NQ,
        "member of a business angels network since 2025-03-02, less than 6 months on the "
        "statement's date 2025-09-01",
        id="angel-member-a-day-short-at-the-statement",
    ),
    pytest.param(
        {"angel_network_member_since": date(2025, 10, 1)},
        NQ,
        "joined a business angels network on 2025-10-01, after the statement",
        id="angel-membership-after-the-statement",
    ),
    pytest.param(
        {"angel_network_member_since": DROP},
        NE,
        "missing answer angel_network_member_since",
        id="angel-membership-missing",
    ),
    pytest.param(
        {"unlisted_investments_last_two_years": 2},
        Q,
        "qualifies by investments in unlisted companies in the two years before the statement: "
        "2, more than 1",
        id="two-unlisted-investments",
    ),
    pytest.param(
        {"unlisted_investments_last_two_years": 1},
        NQ,
        "in the two years before the statement: 1, not more than 1",
        id="one-unlisted-investment",
    ),
    pytest.param(
        {"unlisted_investments_last_two_years": DROP},
        NE,
        "missing answer unlisted_investments_last_two_years",
        id="unlisted-investments-missing",
    ),
    pytest.param(
        PE_WORK, Q, "qualifies by work in private equity or SME finance", id="private-equity-work"
    ),
    pytest.param(
        {**PE_WORK, **signed(date(2025, 9, 1), "director")},
        NE,
        "the private equity work criterion is met but the statement does not indicate it",
        id="work-not-ticked",
    ),
    pytest.param(
        {"private_equity_work_last_two_years": DROP},
        NE,
        "missing answer private_equity_work_last_two_years",
        id="private-equity-work-missing",
    ),
    pytest.param(
        {"director_of_company_with_turnover": gbp("1000000")},
        Q,
        "a company with a turnover: 1,000,000.00 GBP, at least 1,000,000.00 GBP",
        id="director-turnover-exactly-at-threshold",
    ),
    pytest.param(
        {"director_of_company_with_turnover": gbp("999999.99")},
        NQ,
        "turnover of the company directed of 999,999.99 GBP is below the 1,000,000.00 GBP",
        id="director-turnover-a-penny-under",
    ),
    pytest.param(
        {"director_of_company_with_turnover": eur("5000000")},
        NE,
        "turnover of the company directed is given in EUR; this regime's thresholds are in GBP",
        id="director-turnover-in-eur",
    ),
    pytest.param(
        {"director_of_company_with_turnover": DROP},
        NE,
        "missing answer director_of_company_with_turnover",
        id="directorship-missing",
    ),
    pytest.param(
        {**PE_WORK, **signed(date(2025, 3, 1), *uk.SOPHISTICATED_CRITERIA)},
        NE,
        "was valid through 2026-02-28",
        id="statement-a-day-too-old",
    ),
    pytest.param(
        {**PE_WORK, "statement": DROP},
        NE,
        "needs the statement in the Schedule 5 form, completed and signed: not recorded",
        id="statement-not-recorded",
    ),
]


@pytest.mark.parametrize(("changes", "outcome", "reason"), UK_SOPHISTICATED_ROWS)
def test_uk_self_certified_sophisticated(changes, outcome, reason):
    decision = decide("uk_self_certified_sophisticated", changed(UK_SOPHISTICATED, changes))

    assert_decided(decision, outcome, reason)


def test_uk_the_interim_version_has_no_unlisted_investment_route_and_a_higher_turnover():
    answers = changed(
        UK_SOPHISTICATED,
        {
            **signed(date(2024, 2, 15), *uk.SOPHISTICATED_CRITERIA),
            "unlisted_investments_last_two_years": 5,
            "director_of_company_with_turnover": gbp("1599999.99"),
        },
    )

    interim = decide(
        "uk_self_certified_sophisticated",
        answers,
        thresholds=INTERIM_SOPHISTICATED,
        on=date(2024, 6, 1),
    )
    restored = decide("uk_self_certified_sophisticated", answers, on=date(2024, 6, 1))

    assert interim.outcome is NQ
    assert not any("unlisted" in reason for reason in interim.reasons)
    assert_decided(interim, NQ, "is below the 1,600,000.00 GBP threshold")
    assert_decided(restored, Q, "investments in unlisted companies")


@pytest.mark.parametrize(
    ("regime", "answers"),
    [
        ("uk_certified_hnw", changed(UK_HNW, EARNER)),
        ("uk_self_certified_sophisticated", changed(UK_SOPHISTICATED, PE_WORK)),
    ],
)
def test_uk_regimes_qualify_natural_persons_only(regime, answers):
    decision = decide(regime, answers, investor_type="entity")

    assert_decided(decision, NQ, "qualifies natural persons only")


@pytest.mark.parametrize(
    ("signed_on", "assessed_on", "valid_until"),
    [
        (date(2025, 9, 1), ON, date(2026, 8, 31)),
        (date(2028, 2, 29), date(2028, 6, 1), date(2029, 2, 27)),
        (date(2025, 3, 10), ON, date(2026, 3, 9)),
    ],
)
def test_uk_a_statement_counts_for_the_twelve_months_ending_with_the_day(
    signed_on, assessed_on, valid_until
):
    answers = changed(UK_HNW, {**EARNER, **signed(signed_on, "income")})

    decision = decide("uk_certified_hnw", answers, on=assessed_on)

    assert decision.outcome is Q
    assert decision.valid_until == valid_until


def test_a_decision_that_is_not_a_qualification_has_no_end_date():
    decision = decide("uk_certified_hnw", UK_HNW)

    assert decision.outcome is NQ
    assert decision.valid_until is None


# --- EU MiFID II professional client ----------------------------------------------------------


def _elective_step(day: int, by: str, document: str) -> Step:
    return Step(date(2026, 2, day), by, document)


MIFID_STEPS = {
    "firm_assessment": _elective_step(1, "Helios Bank AG", "Assessment of expertise"),
    "professional_request": _elective_step(2, "the client", "Request, signed"),
    "protections_warning": _elective_step(3, "Helios Bank AG", "Warning letter"),
    "warning_acknowledgement": _elective_step(4, "the client", "Acknowledgement, signed"),
}
MIFID_PERSON = {
    "transactions_per_quarter": [0, 0, 0, 0],
    "portfolio": eur("100000"),
    "years_in_financial_sector": 0,
    **MIFID_STEPS,
}
TRADER = {"transactions_per_quarter": [10, 10, 10, 10]}
WEALTHY = {"portfolio": eur("500000.01")}
EXPERIENCED = {"years_in_financial_sector": 1}

MIFID_PERSON_ROWS = [
    pytest.param(
        {},
        NQ,
        "does not qualify as an elective professional client: 0 of 3 criteria met, at least 2",
        id="no-criterion",
    ),
    pytest.param(
        {**TRADER, **WEALTHY, **EXPERIENCED}, Q, "3 of 3 criteria met", id="three-criteria"
    ),
    pytest.param({**TRADER, **WEALTHY}, Q, "2 of 3 criteria met", id="transactions-and-portfolio"),
    pytest.param(
        {**TRADER, **EXPERIENCED},
        Q,
        "significant transactions over the last 4 quarters: 40, on average at least 10",
        id="transactions-and-experience",
    ),
    pytest.param(
        {**WEALTHY, **EXPERIENCED},
        Q,
        "portfolio: 500,000.01 EUR over 500,000.00 EUR",
        id="portfolio-and-experience",
    ),
    pytest.param(WEALTHY, NQ, "1 of 3 criteria met, at least 2 needed", id="one-criterion-only"),
    pytest.param(
        {"transactions_per_quarter": [10, 10, 10, 9], **EXPERIENCED},
        NQ,
        "significant transactions over the last 4 quarters: 39, on average under 10",
        id="transactions-one-short-of-the-average",
    ),
    pytest.param(
        {"transactions_per_quarter": [0, 0, 0, 40], **EXPERIENCED},
        Q,
        "on average at least 10 per quarter",
        id="transactions-uneven-but-enough-on-average",
    ),
    pytest.param(
        {"portfolio": eur("500000"), **EXPERIENCED},
        NQ,
        "portfolio of 500,000.00 EUR is not over the 500,000.00 EUR threshold",
        id="portfolio-exactly-at-threshold",
    ),
    pytest.param(
        {**TRADER, "years_in_financial_sector": 0},
        NQ,
        "years of professional work in the financial sector: 0, fewer than 1",
        id="no-year-of-experience",
    ),
    pytest.param(
        {"transactions_per_quarter": [20, 20, 20], **EXPERIENCED},
        NE,
        "significant transactions per quarter gives 3 figures where 4 are needed",
        id="transactions-for-three-quarters",
    ),
    pytest.param(
        {"portfolio": DROP, **EXPERIENCED},
        NE,
        "missing answer portfolio",
        id="portfolio-missing-could-decide",
    ),
    pytest.param(
        {"portfolio": DROP}, NQ, "0 of 3 criteria met", id="portfolio-missing-cannot-decide"
    ),
    pytest.param(
        {"portfolio": usd("900000"), **EXPERIENCED},
        NE,
        "portfolio is given in USD; this regime's thresholds are in EUR",
        id="portfolio-in-usd",
    ),
    pytest.param(
        {"portfolio": DROP, **TRADER, **EXPERIENCED},
        Q,
        "2 of 3 criteria met",
        id="portfolio-missing-not-needed",
    ),
    pytest.param(
        {"years_in_financial_sector": DROP, **TRADER},
        NE,
        "missing answer years_in_financial_sector",
        id="experience-missing",
    ),
    *(
        pytest.param(
            {**TRADER, **WEALTHY, step: DROP},
            NE,
            f"needs {REGIME_ANSWERS[step][1]}: not recorded",
            id=f"two-criteria-without-{step}",
        )
        for step in MIFID_STEPS
    ),
    pytest.param(
        {
            **TRADER,
            **WEALTHY,
            "protections_warning": _elective_step(1, "Helios Bank AG", "Warning letter"),
        },
        NE,
        "is dated 2026-02-01, before the client's written request to be treated as a "
        "professional client (2026-02-02): the procedure is taken again in its order",
        id="warning-before-the-request",
    ),
    pytest.param(
        {
            **TRADER,
            **WEALTHY,
            "warning_acknowledgement": _elective_step(2, "the client", "Acknowledgement"),
        },
        NE,
        "is dated 2026-02-02, before the firm's written warning",
        id="acknowledgement-before-the-warning",
    ),
    pytest.param(
        {**TRADER, **WEALTHY, "firm_assessment": _elective_step(1, "", "Assessment")},
        NE,
        "recorded without its who",
        id="assessment-without-who-made-it",
    ),
]


@pytest.mark.parametrize(("changes", "outcome", "reason"), MIFID_PERSON_ROWS)
def test_mifid_elective_professional_person(changes, outcome, reason):
    decision = decide("eu_mifid_professional", changed(MIFID_PERSON, changes))

    assert_decided(decision, outcome, reason)


MIFID_ENTITY = {
    "balance_sheet_total": eur("10000000"),
    "net_turnover": eur("10000000"),
    "own_funds": eur("1000000"),
    "regulated_entity": False,
    "public_body": False,
    "institutional_investor": False,
    "transactions_per_quarter": [0, 0, 0, 0],
    "portfolio": eur("0"),
    "years_in_financial_sector": 0,
}
BALANCE = {"balance_sheet_total": eur("20000000")}
TURNOVER = {"net_turnover": eur("40000000")}
FUNDS = {"own_funds": eur("2000000")}

MIFID_ENTITY_ROWS = [
    pytest.param(
        {}, NQ, "does not qualify as a large undertaking: 0 of 3 criteria met", id="small"
    ),
    pytest.param({}, NQ, "is not a regulated entity", id="no-route-names-regulation"),
    pytest.param({"regulated_entity": True}, Q, "qualifies as a regulated entity", id="regulated"),
    pytest.param(
        {"public_body": True},
        Q,
        "qualifies as a government, public debt office, central bank or supranational",
        id="public-body",
    ),
    pytest.param(
        {"institutional_investor": True},
        Q,
        "qualifies as an institutional investor investing in financial instruments",
        id="institutional-investor",
    ),
    pytest.param(
        {**TRADER, **WEALTHY, **MIFID_STEPS},
        Q,
        "qualifies as an elective professional client: 2 of 3 criteria met",
        id="small-company-elective-on-request",
    ),
    pytest.param(
        {**TRADER, **WEALTHY},
        NE,
        "needs the client's written request to be treated as a professional client",
        id="small-company-elective-without-the-procedure",
    ),
    pytest.param(
        {"public_body": True},
        Q,
        "qualifies as a government, public debt office, central bank or supranational",
        id="public-body",
    ),
    pytest.param(
        {"institutional_investor": True},
        Q,
        "qualifies as an institutional investor investing in financial instruments",
        id="institutional-investor",
    ),
    pytest.param(
        {**TRADER, **WEALTHY, **MIFID_STEPS},
        Q,
        "qualifies as an elective professional client: 2 of 3 criteria met",
        id="small-company-elective-on-request",
    ),
    pytest.param(
        {**TRADER, **WEALTHY},
        NE,
        "needs the client's written request to be treated as a professional client",
        id="small-company-elective-without-the-procedure",
    ),
    pytest.param(
        {**BALANCE, **TURNOVER},
        Q,
        "balance sheet total: 20,000,000.00 EUR, at least 20,000,000.00 EUR",
        id="balance-and-turnover",
    ),
    pytest.param(
        {**BALANCE, **FUNDS},
        Q,
        "own funds: 2,000,000.00 EUR, at least 2,000,000.00 EUR",
        id="balance-and-own-funds",
    ),
    pytest.param(
        {**TURNOVER, **FUNDS},
        Q,
        "net turnover: 40,000,000.00 EUR, at least 40,000,000.00 EUR",
        id="turnover-and-own-funds",
    ),
    pytest.param({**BALANCE, **TURNOVER, **FUNDS}, Q, "3 of 3 criteria met", id="all-three"),
    pytest.param(
        {"balance_sheet_total": eur("19999999.99"), **TURNOVER},
        NQ,
        "balance sheet total of 19,999,999.99 EUR is below the 20,000,000.00 EUR threshold",
        id="balance-a-cent-under",
    ),
    pytest.param(
        {"own_funds": eur("1999999.99"), **BALANCE},
        NQ,
        "own funds of 1,999,999.99 EUR is below the 2,000,000.00 EUR threshold",
        id="own-funds-a-cent-under",
    ),
    pytest.param(FUNDS, NQ, "1 of 3 criteria met, at least 2 needed", id="one-size-criterion"),
    pytest.param(
        {"regulated_entity": DROP, **BALANCE, **TURNOVER},
        Q,
        "2 of 3 criteria met",
        id="regulation-missing-but-large",
    ),
    pytest.param(
        {"regulated_entity": DROP}, NE, "missing answer regulated_entity", id="regulation-missing"
    ),
    pytest.param(
        {"own_funds": usd("9000000"), **BALANCE},
        NE,
        "own funds is given in USD; this regime's thresholds are in EUR",
        id="own-funds-in-usd",
    ),
    pytest.param(
        {"own_funds": DROP, **TURNOVER}, NE, "missing answer own_funds", id="own-funds-missing"
    ),
]


@pytest.mark.parametrize(("changes", "outcome", "reason"), MIFID_ENTITY_ROWS)
def test_mifid_per_se_professional_entity(changes, outcome, reason):
    decision = decide(
        "eu_mifid_professional", changed(MIFID_ENTITY, changes), investor_type="entity"
    )

    assert_decided(decision, outcome, reason)


# --- France: restricted-access funds (RG AMF 423-49, 423-27) -----------------------------------

DECLARATION = Step(date(2026, 2, 2), "Élodie Marchand", "Declaration of restricted access, signed")
FR_NONE = {
    "professional_client": False,
    "private_equity_criteria": [],
    "management_company_staff": False,
    "discretionary_mandate": False,
    "restricted_access_declaration": DECLARATION,
}
NO_DECLARATION = "needs the subscriber's written declaration of having been informed"

FR_ROWS = [
    pytest.param(
        {"professional_client": True}, Q, "qualifies as a professional client", id="professional"
    ),
    pytest.param(
        {"ticket": eur("100000")},
        Q,
        "qualifies by an initial subscription: 100,000.00 EUR, at least 100,000.00 EUR",
        id="ticket-exactly-at-minimum",
    ),
    pytest.param(
        {"ticket": eur("99999.99")},
        NQ,
        "ticket of 99,999.99 EUR is below the 100,000.00 EUR threshold",
        id="ticket-a-cent-under",
    ),
    pytest.param(
        {"ticket": eur("99999.99")}, NQ, "is not a professional client", id="neither-route"
    ),
    pytest.param(
        {"ticket": eur("30000"), "private_equity_criteria": ["helps_manager"]},
        Q,
        "helps the manager find, select, follow or sell investments",
        id="reduced-ticket-exactly-with-a-criterion",
    ),
    pytest.param(
        {"ticket": eur("29999.99"), "private_equity_criteria": ["private_equity_knowledge"]},
        NQ,
        "ticket of 29,999.99 EUR is below the 30,000.00 EUR threshold",
        id="reduced-ticket-a-cent-under",
    ),
    pytest.param(
        {"ticket": eur("50000")},
        NQ,
        "meets none of the private-equity criteria",
        id="reduced-ticket-without-a-criterion",
    ),
    pytest.param(
        {"ticket": eur("50000"), "private_equity_criteria": DROP},
        NE,
        "missing answer private_equity_criteria",
        id="criteria-missing",
    ),
    pytest.param(
        {"ticket": eur("1000"), "discretionary_mandate": True},
        Q,
        "under a discretionary portfolio management mandate",
        id="discretionary-mandate",
    ),
    pytest.param({}, NE, "missing answer ticket", id="no-ticket"),
    pytest.param(
        {"professional_client": DROP, "ticket": eur("100000")},
        Q,
        "initial subscription",
        id="professional-missing-but-ticket",
    ),
    pytest.param(
        {"professional_client": DROP, "ticket": eur("50000")},
        NE,
        "missing answer professional_client",
        id="professional-missing",
    ),
    pytest.param(
        {"ticket": usd("500000")},
        NE,
        "ticket is given in USD; this regime's thresholds are in EUR",
        id="ticket-in-usd",
    ),
    pytest.param(
        {"professional_client": True, "ticket": eur("1")},
        Q,
        "professional client",
        id="professional-small-ticket",
    ),
    pytest.param(
        {"professional_client": True, "restricted_access_declaration": DROP},
        NE,
        f"{NO_DECLARATION} that the fund's access is restricted: not recorded",
        id="declaration-missing",
    ),
    pytest.param(
        {
            "ticket": eur("250000"),
            "restricted_access_declaration": dataclasses.replace(DECLARATION, document=" "),
        },
        NE,
        f"{NO_DECLARATION} that the fund's access is restricted: recorded without its document",
        id="declaration-without-its-document",
    ),
    pytest.param(
        {
            "professional_client": True,
            "restricted_access_declaration": dataclasses.replace(DECLARATION, on=ON + timedelta(1)),
        },
        NE,
        "is dated 2026-03-02, after the assessment date 2026-03-01",
        id="declaration-after-the-assessment",
    ),
]


@pytest.mark.parametrize("investor_type", ["person", "entity"])
@pytest.mark.parametrize(("changes", "outcome", "reason"), FR_ROWS)
def test_france_restricted_access(changes, outcome, reason, investor_type):
    decision = decide("fr_min_ticket_100k", changed(FR_NONE, changes), investor_type=investor_type)

    assert_decided(decision, outcome, reason)


def test_france_the_management_companys_staff_are_persons():
    staff = changed(FR_NONE, {"ticket": eur("1000"), "management_company_staff": True})

    person = decide("fr_min_ticket_100k", staff, investor_type="person")
    entity = decide("fr_min_ticket_100k", staff, investor_type="entity")

    assert_decided(person, Q, "officer or employee of the fund's management company")
    assert_decided(entity, NQ, "the management company's officers and staff are natural persons")


def test_france_an_unknown_private_equity_criterion_is_a_broken_answer():
    answers = changed(FR_NONE, {"ticket": eur("50000"), "private_equity_criteria": ["golf"]})

    with pytest.raises(ValueError, match="unknown private-equity criteria: golf"):
        decide("fr_min_ticket_100k", answers)


# --- Germany: semi-professional investor (KAGB section 1(19) no. 33) ---------------------------


def _step(document: str) -> Step:
    return Step(date(2026, 2, 2), "Helios Capital KVG GmbH", document)


DE_STEPS = {
    "risk_statement": _step("Risk statement, signed separately"),
    "expertise_assessment": _step("Suitability assessment"),
    "manager_satisfied": _step("Assessment conclusion"),
    "manager_confirmation": _step("Confirmation e-mail"),
}
DE_SEMI = {"ticket": eur("200000"), **DE_STEPS, "manager_staff": False}
NO_STEPS = dict.fromkeys(DE_STEPS, DROP)
STEP_LABELS = {
    "risk_statement": "the investor's written statement, in a document separate from the "
    "commitment, of awareness of the risks",
    "expertise_assessment": "the manager's (or distributor's) assessment of the investor's "
    "expertise, experience and knowledge",
    "manager_satisfied": "the manager's finding that the investor can decide alone, "
    "understands the risks and that the commitment is appropriate",
    "manager_confirmation": "the manager's confirmation in text form that it made that assessment",
}

DE_ROWS = [
    pytest.param(
        {}, Q, "commitment: 200,000.00 EUR, at least 200,000.00 EUR", id="ticket-exactly-at-minimum"
    ),
    *(
        pytest.param(
            {},
            Q,
            f"{label}: 2026-02-02, by Helios Capital KVG GmbH ({DE_STEPS[step].document})",
            id=f"names-{step}",
        )
        for step, label in STEP_LABELS.items()
    ),
    pytest.param(
        {"ticket": eur("199999.99")},
        NQ,
        "ticket of 199,999.99 EUR is below the 200,000.00 EUR threshold",
        id="ticket-a-cent-under",
    ),
    *(
        pytest.param({step: DROP}, NE, f"needs {label}: not recorded", id=f"{step}-not-recorded")
        for step, label in STEP_LABELS.items()
    ),
    pytest.param(
        {"risk_statement": dataclasses.replace(DE_STEPS["risk_statement"], by="")},
        NE,
        "recorded without its who",
        id="step-without-who-took-it",
    ),
    pytest.param(
        {"ticket": eur("10000000"), **NO_STEPS},
        Q,
        "qualifies by a commitment, with nothing else needed: 10,000,000.00 EUR, at least "
        "10,000,000.00 EUR",
        id="ten-million-without-any-step",
    ),
    pytest.param(
        {"ticket": eur("9999999.99"), **NO_STEPS},
        NE,
        "ticket of 9,999,999.99 EUR is below the 10,000,000.00 EUR threshold",
        id="a-cent-under-ten-million-needs-the-steps",
    ),
    pytest.param({"ticket": DROP}, NE, "missing answer ticket", id="no-ticket"),
    pytest.param(
        {"ticket": chf("900000")},
        NE,
        "ticket is given in CHF; this regime's thresholds are in EUR",
        id="ticket-in-chf",
    ),
    pytest.param(
        {"ticket": eur("150000"), "risk_statement": DROP},
        NQ,
        "ticket of 150,000.00 EUR is below",
        id="short-ticket-decides-despite-missing-step",
    ),
]


@pytest.mark.parametrize("investor_type", ["person", "entity"])
@pytest.mark.parametrize(("changes", "outcome", "reason"), DE_ROWS)
def test_germany_semi_professional(changes, outcome, reason, investor_type):
    decision = decide(
        "de_semi_professional", changed(DE_SEMI, changes), investor_type=investor_type
    )

    assert_decided(decision, outcome, reason)


def test_germany_the_managers_staff_are_persons_and_need_no_ticket_or_step():
    staff = changed(DE_SEMI, {"ticket": eur("1000"), "manager_staff": True, **NO_STEPS})

    person = decide("de_semi_professional", staff, investor_type="person")
    entity = decide("de_semi_professional", staff, investor_type="entity")

    assert_decided(person, Q, "officer or employee of the manager investing in a fund it manages")
    assert_decided(entity, NQ, "the manager's officers and staff are natural persons")


# --- Switzerland: FinSA professional clients (art. 4 and 5, FinSO art. 5) ---------------------

CH_DECLARATION = Step(date(2026, 2, 2), "Lukas Meier", "Opting-out declaration, signed")
CH_OPTING_OUT = {
    "per_se_category": None,
    "balance_sheet_total": chf("1000000"),
    "net_turnover": chf("1000000"),
    "own_funds": chf("100000"),
    "opting_out_declaration": CH_DECLARATION,
    "joint_holders": [],
    "financial_assets": chf("100000"),
    "direct_real_estate": chf("0"),
    "pension_claims": chf("0"),
    "knowledge_and_experience": False,
}
ELIGIBLE = "eligible financial assets of"

CH_ROWS = [
    pytest.param(
        {"financial_assets": chf("2000000")},
        Q,
        f"qualifies by financial assets: {ELIGIBLE} 2,000,000.00 CHF (financial assets less "
        "direct real estate and pension claims), at least 2,000,000.00 CHF",
        id="assets-exactly-at-threshold",
    ),
    pytest.param(
        {"financial_assets": chf("1999999.99")},
        NQ,
        f"{ELIGIBLE} 1,999,999.99 CHF (financial assets less direct real estate and pension "
        "claims) is below the 2,000,000.00 CHF threshold",
        id="assets-a-centime-under",
    ),
    pytest.param(
        {"financial_assets": chf("3000000"), "direct_real_estate": chf("900000")},
        Q,
        f"{ELIGIBLE} 2,100,000.00 CHF",
        id="direct-real-estate-left-out",
    ),
    pytest.param(
        {
            "financial_assets": chf("3000000"),
            "direct_real_estate": chf("600000"),
            "pension_claims": chf("400000.01"),
        },
        NQ,
        f"{ELIGIBLE} 1,999,999.99 CHF",
        id="real-estate-and-pension-claims-left-out",
    ),
    pytest.param(
        {"financial_assets": chf("1999999.99"), "knowledge_and_experience": True},
        Q,
        f"qualifies by financial assets with knowledge: {ELIGIBLE} 1,999,999.99 CHF",
        id="lower-assets-with-knowledge",
    ),
    pytest.param(
        {"financial_assets": chf("500000"), "knowledge_and_experience": True},
        Q,
        "has the knowledge and experience to understand the risks",
        id="knowledge-and-assets-exactly-at-threshold",
    ),
    pytest.param(
        {"financial_assets": chf("499999.99"), "knowledge_and_experience": True},
        NQ,
        f"{ELIGIBLE} 499,999.99 CHF (financial assets less direct real estate and pension "
        "claims) is below the 500,000.00 CHF threshold",
        id="knowledge-and-assets-a-centime-under",
    ),
    pytest.param(
        {"financial_assets": chf("600000")},
        NQ,
        "lacks the knowledge and experience to understand the risks",
        id="lower-assets-without-knowledge",
    ),
    pytest.param(
        {"opting_out_declaration": DROP, "financial_assets": chf("5000000")},
        NE,
        "needs the written or text declaration to be treated as a professional client: not "
        "recorded",
        id="declaration-not-recorded",
    ),
    pytest.param(
        {"opting_out_declaration": DROP},
        NQ,
        f"{ELIGIBLE} 100,000.00 CHF",
        id="declaration-missing-but-too-little",
    ),
    pytest.param(
        {"financial_assets": chf("5000000"), "joint_holders": ["Lukas Meier", "Anna Meier"]},
        NE,
        "the declaration must be made by every joint holder, not by Anna Meier",
        id="joint-holders-one-declared",
    ),
    pytest.param(
        {
            "financial_assets": chf("5000000"),
            "joint_holders": ["Lukas Meier", "Anna Meier"],
            "opting_out_declaration": dataclasses.replace(
                CH_DECLARATION, by="Lukas Meier and Anna Meier"
            ),
        },
        Q,
        "declared together by the joint holders Lukas Meier, Anna Meier",
        id="joint-holders-declared-together",
    ),
    pytest.param(
        {"financial_assets": chf("600000"), "knowledge_and_experience": DROP},
        NE,
        "missing answer knowledge_and_experience",
        id="knowledge-missing",
    ),
    pytest.param(
        {"financial_assets": chf("2000000"), "knowledge_and_experience": DROP},
        Q,
        "qualifies by financial assets",
        id="knowledge-missing-not-needed",
    ),
    pytest.param(
        {"financial_assets": eur("9000000")},
        NE,
        "financial assets is given in EUR; this regime's thresholds are in CHF",
        id="assets-in-eur",
    ),
    pytest.param(
        {"financial_assets": DROP}, NE, "missing answer financial_assets", id="assets-missing"
    ),
    pytest.param(
        {"pension_claims": DROP, "financial_assets": chf("5000000")},
        NE,
        "missing answer pension_claims",
        id="pension-claims-missing",
    ),
]


@pytest.mark.parametrize("investor_type", ["person", "entity"])
@pytest.mark.parametrize(("changes", "outcome", "reason"), CH_ROWS)
def test_switzerland_opting_out(changes, outcome, reason, investor_type):
    answers = changed(CH_OPTING_OUT, changes)

    decision = decide("ch_finsa_opting_out", answers, investor_type=investor_type)

    assert_decided(decision, outcome, reason)


CH_PER_SE_ROWS = [
    pytest.param(
        {"per_se_category": "pension_scheme_with_treasury"},
        Q,
        "a per se professional client as a pension scheme",
        id="pension-scheme",
    ),
    pytest.param({"per_se_category": "central_bank"}, Q, "as a central bank", id="central-bank"),
    pytest.param(
        {"balance_sheet_total": chf("20000000.01"), "net_turnover": chf("40000000.01")},
        Q,
        "qualifies as a large company: 2 of 3 criteria met",
        id="large-company-over-two",
    ),
    pytest.param(
        {"balance_sheet_total": chf("20000000"), "net_turnover": chf("40000000")},
        NQ,
        "balance sheet total of 20,000,000.00 CHF is not over the 20,000,000.00 CHF threshold",
        id="large-company-exactly-at-is-not-over",
    ),
]


@pytest.mark.parametrize(("changes", "outcome", "reason"), CH_PER_SE_ROWS)
def test_switzerland_a_per_se_professional_needs_no_declaration(changes, outcome, reason):
    answers = changed(CH_OPTING_OUT, {"opting_out_declaration": DROP, **changes})

    decision = decide("ch_finsa_opting_out", answers, investor_type="entity")

    assert_decided(decision, outcome, reason)


def test_switzerland_a_person_is_never_a_per_se_professional():
    answers = changed(
        CH_OPTING_OUT,
        {
            "per_se_category": "central_bank",
            "opting_out_declaration": DROP,
            "financial_assets": chf("5000000"),
        },
    )

    decision = decide("ch_finsa_opting_out", answers, investor_type="person")

    assert decision.outcome is NE
    assert not any("per se" in reason for reason in decision.reasons)


# --- Other countries --------------------------------------------------------------------------


@pytest.mark.parametrize("investor_type", ["person", "entity"])
@pytest.mark.parametrize(
    "answers",
    [{}, {"net_worth_excluding_residence": usd("90000000"), "professional_client": True}],
    ids=["no-answers", "any-answers"],
)
def test_other_countries_always_need_a_compliance_officer(answers, investor_type):
    decision = decide("default_manual", answers, investor_type=investor_type)

    assert decision == Decision(
        outcome=NE,
        reasons=(
            "no automatic qualification in this country: a compliance officer decides, "
            "deal by deal",
        ),
        valid_until=None,
    )


# --- Regimes, arguments and rule sets ---------------------------------------------------------


def test_the_eight_regimes_are_declared():
    assert set(REGIMES) == {
        "us_reg_d_accredited",
        "uk_certified_hnw",
        "uk_self_certified_sophisticated",
        "eu_mifid_professional",
        "fr_min_ticket_100k",
        "de_semi_professional",
        "ch_finsa_opting_out",
        "default_manual",
    }
    assert all(code == regime.code for code, regime in REGIMES.items())


@pytest.mark.parametrize(
    ("code", "currency", "countries"),
    [
        ("us_reg_d_accredited", "USD", ("US",)),
        ("uk_certified_hnw", "GBP", ("GB",)),
        ("uk_self_certified_sophisticated", "GBP", ("GB",)),
        ("fr_min_ticket_100k", "EUR", ("FR",)),
        ("de_semi_professional", "EUR", ("DE",)),
        ("ch_finsa_opting_out", "CHF", ("CH",)),
        ("default_manual", "EUR", ()),
    ],
)
def test_a_regime_applies_in_its_countries_in_its_currency(code, currency, countries):
    assert (REGIMES[code].currency, REGIMES[code].countries) == (currency, countries)


def test_mifid_applies_in_the_eu_and_the_eea():
    countries = REGIMES["eu_mifid_professional"].countries

    assert len(countries) == len(set(countries)) == 30
    assert {"FR", "DE", "IE", "NO", "LI", "IS"} <= set(countries)
    assert not {"GB", "CH", "US"} & set(countries)


@pytest.mark.parametrize(
    ("code", "key", "amount"),
    [
        ("us_reg_d_accredited", "income_over", usd("200000")),
        ("us_reg_d_accredited", "joint_income_over", usd("300000")),
        ("us_reg_d_accredited", "net_worth_over", usd("1000000")),
        ("us_reg_d_accredited", "total_assets_over", usd("5000000")),
        ("us_reg_d_accredited", "verification_valid_months", 3),
        ("us_reg_d_accredited", "reconfirmation_valid_years", 5),
        ("us_reg_d_accredited", "investments_over", usd("5000000")),
        ("uk_certified_hnw", "annual_income_at_least", gbp("100000")),
        ("uk_certified_hnw", "net_assets_at_least", gbp("250000")),
        ("uk_certified_hnw", "statement_valid_months", 12),
        ("uk_self_certified_sophisticated", "director_turnover_at_least", gbp("1000000")),
        ("uk_self_certified_sophisticated", "angel_network_months_at_least", 6),
        ("eu_mifid_professional", "portfolio_over", eur("500000")),
        ("eu_mifid_professional", "balance_sheet_total_at_least", eur("20000000")),
        ("eu_mifid_professional", "net_turnover_at_least", eur("40000000")),
        ("eu_mifid_professional", "own_funds_at_least", eur("2000000")),
        ("fr_min_ticket_100k", "ticket_at_least", eur("100000")),
        ("de_semi_professional", "ticket_at_least", eur("200000")),
        ("ch_finsa_opting_out", "financial_assets_at_least", chf("2000000")),
        ("ch_finsa_opting_out", "financial_assets_with_knowledge_at_least", chf("500000")),
    ],
)
def test_default_thresholds_are_the_domain_figures(code, key, amount):
    assert REGIMES[code].default_thresholds[key] == amount


def test_every_answer_field_and_threshold_is_documented_beside_its_evaluator():
    for regime in REGIMES.values():
        documentation = sys.modules[rules._EVALUATORS[regime.code].__module__].__doc__
        for name in (*regime.answer_fields, *regime.default_thresholds):
            assert f"``{name}``" in documentation, (regime.code, name)


def test_an_unknown_regime_is_refused():
    with pytest.raises(ValueError, match="unknown qualification regime 'us_reg_a'"):
        evaluate(
            regime="us_reg_a",
            thresholds={},
            investor_type="person",
            answers={},
            assessed_on=ON,
        )


def test_an_unknown_investor_type_is_refused():
    with pytest.raises(ValueError, match="investor_type"):
        decide("us_reg_d_accredited", US_PERSON, investor_type="trust")


def test_an_answer_of_the_wrong_kind_is_a_programming_error():
    with pytest.raises(TypeError, match="net_worth_excluding_residence"):
        decide("us_reg_d_accredited", changed(US_PERSON, {"net_worth_excluding_residence": "1m"}))


def test_a_decision_is_immutable_and_made_by_the_system():
    decision = decide("uk_certified_hnw", changed(UK_HNW, EARNER))

    assert decision.decided_by_system is True
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.outcome = NQ  # type: ignore[misc]


def test_outcomes_are_stored_as_their_names():
    assert [outcome.value for outcome in Outcome] == [
        "qualified",
        "not_qualified",
        "needs_evidence",
    ]
    assert Outcome.NEEDS_EVIDENCE == "needs_evidence"


MONEY_THRESHOLDS = [
    pytest.param(code, key, id=f"{code}-{key}")
    for code, regime in REGIMES.items()
    for key, value in regime.default_thresholds.items()
    if isinstance(value, Money)
]


@pytest.mark.parametrize(("code", "key"), MONEY_THRESHOLDS)
def test_a_threshold_in_another_currency_is_a_broken_rule_set(code, key):
    thresholds = dict(REGIMES[code].default_thresholds)
    thresholds[key] = Money(thresholds[key].amount_minor, "JPY")

    with pytest.raises(ValueError, match=rf"threshold {key} of {code} is in JPY"):
        decide(code, {}, thresholds=thresholds)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"net_worth_over": 1_000_000}, "net_worth_over of us_reg_d_accredited must be Money"),
        ({"verification_valid_months": True}, "verification_valid_months .* whole number"),
        ({"verification_valid_months": -1}, "verification_valid_months .* whole number"),
        ({"income_years": "2"}, "income_years .* whole number"),
        ({"qualifying_licences": "series_7"}, "qualifying_licences .* list of names"),
        ({"minimum_age": 18}, "unknown thresholds for us_reg_d_accredited: minimum_age"),
    ],
)
def test_a_malformed_rule_set_is_refused(change, message):
    thresholds = {**REGIMES["us_reg_d_accredited"].default_thresholds, **change}

    with pytest.raises(ValueError, match=message):
        decide("us_reg_d_accredited", US_PERSON, thresholds=thresholds)


def test_a_rule_set_lacking_a_threshold_is_refused():
    thresholds = dict(REGIMES["us_reg_d_accredited"].default_thresholds)
    del thresholds["net_worth_over"]

    with pytest.raises(ValueError, match="lacks the threshold net_worth_over"):
        decide("us_reg_d_accredited", US_PERSON, thresholds=thresholds)


# --- Thresholds as JSON -----------------------------------------------------------------------


@pytest.mark.parametrize("code", list(REGIMES))
def test_thresholds_survive_a_json_round_trip_exactly(code):
    thresholds = REGIMES[code].default_thresholds

    stored = json.loads(json.dumps(thresholds_to_json(thresholds)))

    assert thresholds_from_json(stored) == dict(thresholds)


def test_thresholds_are_stored_as_money_json_plain_ints_lists_and_iso_dates():
    thresholds = {
        "net_worth_over": usd("1000000"),
        "verification_valid_days": 90,
        "qualifying_licences": ("series_7", "series_65"),
        "effective_from": date(2026, 1, 1),
    }

    stored = thresholds_to_json(thresholds)

    assert stored == {
        "net_worth_over": {"amount": "1000000.00", "currency": "USD"},
        "verification_valid_days": 90,
        "qualifying_licences": ["series_7", "series_65"],
        "effective_from": "2026-01-01",
    }
    assert thresholds_from_json(stored) == thresholds


def test_stored_thresholds_evaluate_like_the_defaults():
    stored = thresholds_to_json(REGIMES["us_reg_d_accredited"].default_thresholds)
    answers = changed(US_PERSON, RICH)

    decision = decide("us_reg_d_accredited", answers, thresholds=thresholds_from_json(stored))

    assert decision == decide("us_reg_d_accredited", answers)


@pytest.mark.parametrize(
    "stored",
    [
        {"net_worth_over": {"amount": "0.01", "currency": "USD", "rate": 2}},
        {"net_worth_over": {"amount_minor": 1, "currency": "USD"}},
        {"net_worth_over": {"amount": 1, "currency": "USD"}},
        {"net_worth_over": {"amount": "0.010", "currency": "USD"}},
        {"verification_valid_days": None},
        {"verification_valid_days": True},
        {"qualifying_licences": [7, 65]},
    ],
)
def test_stored_thresholds_of_unknown_shape_are_refused(stored):
    with pytest.raises(ValueError):
        thresholds_from_json(stored)


def test_a_threshold_that_json_cannot_hold_is_refused():
    with pytest.raises(TypeError, match="ratio"):
        thresholds_to_json({"ratio": Decimal("0.5")})


# --- Versioning is data -----------------------------------------------------------------------

VERSION_ROWS = [
    pytest.param(
        "us_reg_d_accredited",
        {"net_worth_over": usd("400000")},
        changed(US_PERSON, {}),
        NQ,
        Q,
        id="us-lower-net-worth",
    ),
    pytest.param(
        "us_reg_d_accredited",
        {"qualifying_licences": ("series_7", "series_65", "series_82", "cfa")},
        changed(US_PERSON, {"licences": ["cfa"]}),
        NQ,
        Q,
        id="us-new-licence",
    ),
    pytest.param(
        "us_reg_d_accredited",
        {"verification_valid_months": 1},
        changed(US_PERSON, {**RICH, "offering_506c": True, "verification_date": days_ago(45)}),
        Q,
        NE,
        id="us-shorter-verification",
    ),
    pytest.param(
        "uk_certified_hnw",
        {"statement_valid_months": 24},
        changed(UK_HNW, {**EARNER, **signed(date(2024, 6, 1), "income")}),
        NE,
        Q,
        id="uk-longer-statement-life",
    ),
    pytest.param(
        "uk_self_certified_sophisticated",
        {"unlisted_investments_over": 0},
        changed(UK_SOPHISTICATED, {"unlisted_investments_last_two_years": 1}),
        NQ,
        Q,
        id="uk-one-investment-enough",
    ),
    pytest.param(
        "eu_mifid_professional",
        {"person_criteria_required": 3},
        changed(MIFID_PERSON, {**TRADER, **WEALTHY}),
        Q,
        NQ,
        id="mifid-three-criteria-required",
    ),
    pytest.param(
        "fr_min_ticket_100k",
        {"ticket_at_least": eur("200000")},
        changed(FR_NONE, {"ticket": eur("150000")}),
        Q,
        NQ,
        id="fr-higher-ticket",
    ),
    pytest.param(
        "ch_finsa_opting_out",
        {"financial_assets_at_least": chf("1000000")},
        changed(CH_OPTING_OUT, {"financial_assets": chf("1500000")}),
        NQ,
        Q,
        id="ch-lower-assets",
    ),
]


@pytest.mark.parametrize(("code", "change", "answers", "before", "after"), VERSION_ROWS)
def test_a_new_rule_set_version_changes_the_outcome_without_code(
    code, change, answers, before, after
):
    thresholds = {**REGIMES[code].default_thresholds, **change}

    assert decide(code, answers).outcome is before
    assert decide(code, answers, thresholds=thresholds).outcome is after
