"""Assessments under versioned rule sets, eligibility for a deal, sanctions screening and hits."""

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts.roles import Role
from apps.accounts.services import system_user
from apps.compliance.models import Assessment, HitState, RuleSet, SanctionsEntry, ScreeningHit
from apps.compliance.rules import REGIMES, Step
from apps.compliance.sanctions import SanctionsListError
from apps.compliance.selectors import eligibility
from apps.compliance.services import (
    assessment_decide,
    assessment_record,
    qualification_step_record,
    rule_set_publish,
    sanctions_list_import,
    screening_hit_decide,
)
from apps.core.money import Money
from apps.investors.models import Investor, SanctionsStatus
from apps.investors.services import (
    beneficial_owner_add,
    investor_create,
    kyc_approve,
    kyc_submit,
)
from tests.deals.conftest import RESTRICTED_ACCESS_DECLARED
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = """entry_id,name,aliases,birth_date,countries,list,listed_on
EU-1,Sergei Petrovich Volkonsky,Сергей Волконский|S. Volkonsky,1961-04-12,RU,EU,2022-03-01
UN-7,Amara Okonkwo-Bassey,,1975,NG,UN,
"""


@dataclass
class Deal:
    eligible_regimes: list[str] = field(default_factory=list)


@pytest.fixture
def clerk(db):
    return UserFactory(is_staff=True, roles=[Role.OPERATIONS])


@pytest.fixture
def officer(db):
    return UserFactory(is_staff=True, roles=[Role.COMPLIANCE])


def make_investor(clerk, officer, *, name="Camille Rousseau", country="FR", approved=True, **extra):
    investor = investor_create(
        kind=extra.pop("kind", "person"),
        legal_name=name,
        country_of_residence=country,
        tax_residence_country=country,
        by=clerk,
        **extra,
    )
    if approved:
        kyc_submit(investor=investor, by=clerk)
        kyc_approve(investor=investor, by=officer, reason="documents checked")
        Investor.objects.filter(pk=investor.pk).update(sanctions_status=SanctionsStatus.CLEAR)
    return Investor.objects.get(pk=investor.pk)


def eur(major: int, minor: int = 0) -> Money:
    return Money(major * 100 + minor, "EUR")


def test_every_regime_has_a_first_rule_set_in_force():
    assert set(RuleSet.objects.filter(version=1).values_list("regime", flat=True)) == set(REGIMES)


def test_an_assessment_made_under_version_one_still_reads_as_version_one(clerk, officer):
    investor = make_investor(clerk, officer, country="DE")
    answers = {
        step: Step(date(2026, 1, 2), "Helios Capital KVG GmbH", "Signed and filed")
        for step in (
            "risk_statement",
            "expertise_assessment",
            "manager_satisfied",
            "manager_confirmation",
        )
    } | {"manager_staff": False}
    first = assessment_record(
        investor=investor,
        regime="de_semi_professional",
        answers=answers,
        by=system_user(),
        on=date(2026, 1, 5),
        ticket=eur(150_000),
    )
    thresholds = dict(REGIMES["de_semi_professional"].default_thresholds)
    thresholds["ticket_at_least"] = eur(100_000)
    rule_set_publish(
        regime="de_semi_professional",
        effective_from=date(2026, 6, 1),
        thresholds=thresholds,
        by=officer,
        notes="Lower minimum ticket",
    )

    later = assessment_record(
        investor=investor,
        regime="de_semi_professional",
        answers=answers,
        by=system_user(),
        on=date(2026, 6, 1),
        ticket=eur(150_000),
    )

    first = Assessment.objects.get(pk=first.pk)
    assert (first.rule_set.version, first.outcome) == (1, "not_qualified")
    assert any("200,000.00" in reason for reason in first.reasons)
    assert (later.rule_set.version, later.outcome) == (2, "qualified")


def test_an_assessment_records_reasons_validity_and_the_system_as_decider(clerk, officer):
    investor = make_investor(clerk, officer, country="GB")

    assessment = assessment_record(
        investor=investor,
        regime="uk_certified_hnw",
        answers={
            "annual_income": Money(10_000_000, "GBP"),
            "net_assets": Money(0, "GBP"),
            "statement": Step(date(2026, 3, 31), "Oliver Hughes", "Schedule 5 statement"),
            "statement_criteria": ["income"],
        },
        by=officer,
        on=date(2026, 4, 1),
    )

    assert assessment.outcome == "qualified"
    assert assessment.valid_until == date(2027, 3, 30)
    assert assessment.decided_by is None
    assert Assessment.objects.get(pk=assessment.pk).recorded_by == officer
    assert assessment.reasons


@pytest.mark.parametrize(
    ("signed_on", "version", "outcome"),
    [
        (date(2024, 1, 30), 1, "qualified"),  # 100,000 GBP
        (date(2024, 1, 31), 2, "not_qualified"),  # the interim 170,000 GBP
        (date(2024, 3, 26), 2, "not_qualified"),
        (date(2024, 3, 27), 3, "qualified"),  # 100,000 GBP again
    ],
)
def test_a_uk_statement_is_judged_by_the_version_in_force_the_day_it_was_signed(
    clerk, officer, signed_on, version, outcome
):
    investor = make_investor(clerk, officer, country="GB")

    assessment = assessment_record(
        investor=investor,
        regime="uk_certified_hnw",
        answers={
            "annual_income": Money(15_000_000, "GBP"),
            "net_assets": Money(0, "GBP"),
            "statement": Step(signed_on, "Oliver Hughes", "Schedule 5 statement"),
            "statement_criteria": ["income"],
        },
        by=officer,
        on=date(2024, 6, 1),
    )

    assert (assessment.rule_set.version, assessment.outcome) == (version, outcome)


@pytest.mark.parametrize(
    ("regime", "dates"),
    [
        ("uk_certified_hnw", [date(2005, 7, 1), date(2024, 1, 31), date(2024, 3, 27)]),
        (
            "uk_self_certified_sophisticated",
            [date(2005, 7, 1), date(2024, 1, 31), date(2024, 3, 27)],
        ),
        ("us_reg_d_accredited", [date(2020, 12, 8)]),
        ("eu_mifid_professional", [date(2018, 1, 3)]),
        ("fr_min_ticket_100k", [date(2018, 1, 3)]),
        ("de_semi_professional", [date(2013, 7, 22)]),
        ("ch_finsa_opting_out", [date(2020, 1, 1)]),
    ],
)
def test_the_rule_sets_are_dated_by_the_law(regime, dates):
    versions = RuleSet.objects.filter(regime=regime).order_by("version")

    assert [rule_set.effective_from for rule_set in versions] == dates


def test_missing_answers_need_evidence_and_say_which(clerk, officer):
    investor = make_investor(clerk, officer, country="CH")

    assessment = assessment_record(
        investor=investor, regime="ch_finsa_opting_out", answers={}, by=system_user()
    )

    assert assessment.outcome == "needs_evidence"
    assert any("declared_professional" in r or "declar" in r for r in assessment.reasons)


def test_a_french_investor_is_eligible_from_a_ticket_of_100000_euros(clerk, officer):
    investor = make_investor(clerk, officer, country="FR")
    assessment_record(
        investor=investor,
        regime="fr_min_ticket_100k",
        answers={"professional_client": False, **RESTRICTED_ACCESS_DECLARED},
        by=system_user(),
    )
    deal = Deal(["fr_min_ticket_100k", "eu_mifid_professional"])

    short = eligibility(investor, deal, eur(99_999, 99))
    enough = eligibility(investor, deal, eur(100_000))

    assert not short.eligible
    assert any("99,999.99" in reason for reason in short.reasons)
    assert enough.eligible and enough.regime == "fr_min_ticket_100k"


def test_an_investor_whose_kyc_is_not_approved_is_not_eligible(clerk, officer):
    investor = make_investor(clerk, officer, approved=False)

    result = eligibility(investor, Deal(["fr_min_ticket_100k"]), eur(500_000))

    assert not result.eligible
    assert "KYC is pending, not approved" in result.reasons


def test_a_deal_without_a_regime_of_the_investors_country_is_refused(clerk, officer):
    investor = make_investor(clerk, officer, country="JP")

    result = eligibility(investor, Deal(["fr_min_ticket_100k"]), eur(500_000))

    assert not result.eligible
    assert "the deal accepts no regime that applies in JP" in result.reasons


def test_a_compliance_officer_decides_where_no_rule_applies(clerk, officer):
    investor = make_investor(clerk, officer, country="JP")
    deal = Deal(["default_manual"])
    assert not eligibility(investor, deal, eur(50_000)).eligible

    assessment_decide(
        investor=investor,
        regime="default_manual",
        outcome="qualified",
        reasons=["Qualified investor under the FIEA, certificate seen"],
        by=officer,
        valid_until=timezone.localdate() + timedelta(days=365),
    )

    assert eligibility(investor, deal, eur(50_000)).eligible


def test_an_investor_on_hold_for_sanctions_is_not_eligible(clerk, officer):
    investor = make_investor(clerk, officer)
    assessment_record(
        investor=investor,
        regime="fr_min_ticket_100k",
        answers={"professional_client": True, **RESTRICTED_ACCESS_DECLARED},
        by=system_user(),
    )
    Investor.objects.filter(pk=investor.pk).update(sanctions_status=SanctionsStatus.ON_HOLD)
    investor.refresh_from_db()

    result = eligibility(investor, Deal(["fr_min_ticket_100k"]), eur(100_000))

    assert not result.eligible
    assert "sanctions screening: on hold: possible match" in result.reasons


def _import(officer, django_capture_on_commit_callbacks, text=LIST):
    with django_capture_on_commit_callbacks(execute=True):
        return sanctions_list_import(name="Consolidated", csv_text=text, by=officer)


def test_a_list_import_rescreens_and_puts_a_transliterated_match_on_hold(
    clerk, officer, django_capture_on_commit_callbacks
):
    suspect = make_investor(
        clerk, officer, name="Volkonsky, Sergey", country="RU", date_of_birth=date(1961, 4, 12)
    )
    bystander = make_investor(clerk, officer, name="Camille Rousseau")

    _import(officer, django_capture_on_commit_callbacks)

    suspect.refresh_from_db()
    bystander.refresh_from_db()
    assert SanctionsEntry.objects.count() == 2
    hit = ScreeningHit.objects.get()
    assert (hit.investor, hit.screened_name, hit.state) == (suspect, "Volkonsky, Sergey", "open")
    assert suspect.sanctions_status == SanctionsStatus.ON_HOLD
    assert bystander.sanctions_status == SanctionsStatus.CLEAR


def test_a_beneficial_owner_on_a_list_puts_the_entity_on_hold(
    clerk, officer, django_capture_on_commit_callbacks
):
    holding = make_investor(clerk, officer, name="Lagos Ventures Ltd", kind="entity", country="GB")
    beneficial_owner_add(
        entity=holding,
        by=clerk,
        name="Amara Okonkwo Bassey",
        ownership_percent=40,
        country_of_residence="NG",
        date_of_birth=date(1975, 8, 1),
    )

    _import(officer, django_capture_on_commit_callbacks)

    holding.refresh_from_db()
    assert holding.sanctions_status == SanctionsStatus.ON_HOLD
    assert ScreeningHit.objects.get().beneficial_owner.name == "Amara Okonkwo Bassey"


def test_an_officer_clears_or_confirms_a_hit_with_a_reason(
    clerk, officer, django_capture_on_commit_callbacks
):
    suspect = make_investor(clerk, officer, name="Sergei Volkonsky", country="RU")
    _import(officer, django_capture_on_commit_callbacks)
    hit = ScreeningHit.objects.get()

    screening_hit_decide(
        hit=hit, confirmed=False, reason="Different person: passport seen", by=officer
    )

    suspect.refresh_from_db()
    hit.refresh_from_db()
    assert (hit.state, hit.decided_by) == (HitState.CLEARED, officer)
    assert suspect.sanctions_status == SanctionsStatus.CLEAR


def test_a_broken_list_is_refused_whole(officer, django_capture_on_commit_callbacks):
    broken = LIST + "EU-1,Duplicate Id,,19xx,ZZZ,EU,\n"

    with pytest.raises(SanctionsListError):
        _import(officer, django_capture_on_commit_callbacks, text=broken)

    assert not SanctionsEntry.objects.exists()


def test_the_review_queue_filters_hits_and_clears_them_through_the_service(
    staff_client, clerk, officer, django_capture_on_commit_callbacks
):
    from tests.factories import StaffFactory

    make_investor(clerk, officer, name="Sergei Volkonsky", country="RU")
    _import(officer, django_capture_on_commit_callbacks)
    hit = ScreeningHit.objects.get()
    client = staff_client(StaffFactory(roles=[Role.COMPLIANCE]))

    queue = client.get("/admin/compliance/screeninghit/", {"state__exact": "open"})
    client.post(
        "/admin/compliance/screeninghit/", {"action": "clear", "_selected_action": [hit.pk]}
    )

    assert [h.pk for h in queue.context["cl"].result_list] == [hit.pk]
    hit.refresh_from_db()
    assert hit.state == HitState.CLEARED
    assert "from the review queue" in hit.decision_reason
    kyc_queue = client.get("/admin/investors/investor/", {"kyc_state__exact": "in_review"})
    assert kyc_queue.status_code == 200


def test_rescreening_updates_statuses_in_bulk_with_a_history_row_each(
    clerk, officer, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from apps.compliance.services import sanctions_screen_all

    for index in range(30):
        make_investor(clerk, officer, name=f"Plain Investor {index}", approved=False)
    _import(officer, django_capture_on_commit_callbacks)  # screens once: all become clear
    assert set(Investor.objects.values_list("sanctions_status", flat=True)) == {"clear"}
    Investor.objects.update(sanctions_status=SanctionsStatus.NOT_SCREENED)

    with django_assert_max_num_queries(25):
        sanctions_screen_all(by=system_user())

    assert set(Investor.objects.values_list("sanctions_status", flat=True)) == {"clear"}
    latest = Investor.history.filter(history_change_reason="sanctions screening: clear")
    assert latest.count() == 60  # one row per investor for each of the two screenings


def test_a_procedure_is_recorded_one_document_at_a_time_and_each_assessment_keeps_its_facts(
    clerk, officer
):
    investor = make_investor(clerk, officer, country="DE")
    criteria = {
        "transactions_per_quarter": [12, 11, 10, 12],
        "portfolio": Money(60_000_000, "EUR"),
        "years_in_financial_sector": 0,
        "firm_assessment": Step(date(2026, 2, 1), "Helios Bank AG", "Assessment of expertise"),
    }
    first = assessment_record(
        investor=investor,
        regime="eu_mifid_professional",
        answers=criteria,
        by=officer,
        on=date(2026, 2, 1),
    )
    steps = [
        ("professional_request", Step(date(2026, 2, 2), "the client", "Request, signed")),
        ("protections_warning", Step(date(2026, 2, 3), "Helios Bank AG", "Warning letter")),
        ("warning_acknowledgement", Step(date(2026, 2, 4), "the client", "Acknowledgement")),
    ]

    assessments = [first]
    for number, (step, taken) in enumerate(steps):
        assessments.append(
            qualification_step_record(
                investor=investor,
                regime="eu_mifid_professional",
                step=step,
                taken=taken,
                by=officer,
                on=date(2026, 2, 2 + number),
            )
        )

    assert [a.outcome for a in assessments] == [
        "needs_evidence",
        "needs_evidence",
        "needs_evidence",
        "qualified",
    ]
    assert "needs the client's written request" in " ".join(assessments[0].reasons)
    assert "needs the firm's written warning" in " ".join(assessments[1].reasons)
    assert "needs the client's written acknowledgement" in " ".join(assessments[2].reasons)
    assert set(Assessment.objects.get(pk=first.pk).answers) == set(criteria)
    assert assessments[-1].answers["warning_acknowledgement"] == {
        "step": {"on": "2026-02-04", "by": "the client", "document": "Acknowledgement"}
    }


def test_a_figure_is_not_recorded_as_a_procedure_step(clerk, officer):
    investor = make_investor(clerk, officer, country="DE")

    with pytest.raises(ValidationError, match="'portfolio' is not a step"):
        qualification_step_record(
            investor=investor,
            regime="eu_mifid_professional",
            step="portfolio",
            taken=Step(date(2026, 2, 2), "the client", "Statement"),
            by=officer,
        )

    assert not Assessment.objects.filter(investor=investor).exists()
