"""Names and free text keep no invisible control character, in every domain: each service that
writes one refuses it with a ``ValidationError`` naming the field, and writes nothing."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from apps.accounts.models import Organisation, User
from apps.accounts.roles import Role
from apps.accounts.services import organisation_create, organisation_update, user_create
from apps.captable.models import EquityPlan, Issuer, ShareClass, Stakeholder
from apps.captable.services import (
    issuer_create,
    plan_create,
    share_class_create,
    stakeholder_create,
)
from apps.compliance.models import (
    Assessment,
    HitState,
    RuleSet,
    SanctionsEntry,
    SanctionsList,
    ScreeningHit,
)
from apps.compliance.rules import REGIMES
from apps.compliance.services import assessment_decide, rule_set_publish, screening_hit_decide
from apps.deals.models import Deal, DealState, Subscription, SubscriptionState
from apps.deals.services import deal_cancel, deal_create, deal_update, subscription_withdraw
from apps.investors.models import BankAccount, BeneficialOwner, Investor, KycState
from apps.investors.services import (
    bank_account_add,
    beneficial_owner_add,
    investor_create,
    investor_update,
    kyc_reject,
    kyc_submit,
)
from apps.ledger.models import Account, Operation
from apps.ledger.services import Leg, account_open, operation_create
from tests.captable.conftest import make_issuer
from tests.deals.conftest import Books, eur
from tests.factories import OrganisationFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "Eve\u202eSmith" reads "Eve" then "htimS"
BEL = "\x07"


@pytest.fixture
def ops(db):
    return UserFactory(is_staff=True, roles=[Role.OPERATIONS])


@pytest.fixture
def officer(db):
    return UserFactory(is_staff=True, roles=[Role.COMPLIANCE])


@pytest.fixture
def finance(db):
    return UserFactory(is_staff=True, roles=[Role.FINANCE])


@pytest.fixture
def books(ops, officer, finance) -> Books:
    """The deal tests' small world: its people, and deals with funded investors on demand."""
    return Books(ops=ops, finance=finance, officer=officer)


def _refused(write, *args, **kwargs) -> list[str]:
    """Run ``write``, which must refuse; return the fields its ``ValidationError`` names."""
    with pytest.raises(ValidationError) as refused:
        write(*args, **kwargs)
    return list(refused.value.message_dict)


def _person(ops, **fields) -> Investor:
    return investor_create(
        kind=fields.pop("kind", "person"),
        legal_name=fields.pop("legal_name", "Élodie Marchand"),
        country_of_residence="FR",
        tax_residence_country="FR",
        by=ops,
        **fields,
    )


# --- accounts ---------------------------------------------------------------------------------


def test_a_user_named_with_a_bidi_override_is_refused():
    administrator = UserFactory(is_staff=True, roles=[Role.ADMINISTRATOR])
    before = User.objects.count()

    assert _refused(
        user_create, email="eve@example.com", full_name=f"Eve{RLO}Smith", by=administrator
    ) == ["full_name"]
    assert User.objects.count() == before


def test_an_organisation_named_with_a_control_character_is_refused_on_create_and_update(ops):
    assert _refused(organisation_create, name=f"Acme{BEL}", kind="bank", country="FR", by=ops) == [
        "name"
    ]
    assert not Organisation.objects.exists()

    existing = organisation_create(name="Acme", kind="bank", country="FR", by=ops)
    assert _refused(
        organisation_update, organisation=existing, data={"name": f"Acme{RLO}"}, by=ops
    ) == ["name"]
    existing.refresh_from_db()
    assert existing.name == "Acme"


def test_the_organisation_admin_shows_a_control_character_on_the_name(staff_client):
    existing = OrganisationFactory(name="Nordic Bank AB", country="SE")
    client = staff_client(StaffFactory(roles=[Role.OPERATIONS]))

    response = client.post(
        f"/admin/accounts/organisation/{existing.pk}/change/",
        {
            "name": f"Nordic{RLO}Bank",
            "kind": "bank",
            "country": "SE",
            "lei": "",
            "is_active": "on",
            "scope": "read",
        },
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["name"]
    existing.refresh_from_db()
    assert existing.name == "Nordic Bank AB"


# --- investors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("legal_name", f"Élodie{RLO}Marchand"),
        ("legal_name", "Élodie\nMarchand"),
        ("address", f"12 rue de la Paix{BEL}"),
        ("address", "12 rue de la Paix\u2028Paris"),
    ],
)
def test_an_investor_with_a_control_character_is_refused_on_its_field(ops, field, value):
    assert _refused(_person, ops, **{field: value}) == [field]
    assert not Investor.objects.exists()


def test_an_address_on_several_lines_is_accepted(ops):
    investor = _person(ops, address="12 rue de la Paix\r\n75002 Paris")

    assert investor.address == "12 rue de la Paix\r\n75002 Paris"


def test_an_investor_update_with_a_control_character_changes_nothing(ops):
    investor = _person(ops)

    assert _refused(
        investor_update, investor=investor, data={"legal_name": f"Eve{RLO}"}, by=ops
    ) == ["legal_name"]
    investor.refresh_from_db()
    assert investor.legal_name == "Élodie Marchand"
    assert investor.history.count() == 1


def test_a_beneficial_owner_or_bank_account_holder_with_a_control_character_is_refused(ops):
    entity = _person(ops, kind="entity", legal_name="Lagos Ventures Ltd")

    assert _refused(
        beneficial_owner_add,
        entity=entity,
        by=ops,
        name="Amara\x00Bassey",
        ownership_percent=40,
        country_of_residence="NG",
    ) == ["name"]
    assert _refused(
        bank_account_add,
        investor=entity,
        holder_name="Lagos\u2066Ventures",
        currency="EUR",
        iban="FR7630006000011234567890189",
        by=ops,
    ) == ["holder_name"]
    assert not BeneficialOwner.objects.exists()
    assert not BankAccount.objects.exists()


def test_a_kyc_rejection_whose_reason_holds_a_control_character_leaves_the_kyc_in_review(
    ops, officer
):
    investor = kyc_submit(investor=_person(ops), by=ops)

    assert _refused(kyc_reject, investor=investor, by=officer, reason=f"Forged{RLO}") == ["reason"]
    investor.refresh_from_db()
    assert (investor.kyc_state, investor.kyc_reason) == (KycState.IN_REVIEW, "KYC file complete")


# --- cap table --------------------------------------------------------------------------------


def test_cap_table_names_with_a_control_character_are_refused(ops):
    issuer = make_issuer("Lumen Robotics SAS", ops)
    common = share_class_create(issuer=issuer, name="Ordinary", class_type="common", by=ops)

    assert _refused(
        issuer_create,
        name=f"Lumen{RLO}",
        kind="company",
        legal_form="SAS",
        country="FR",
        currency="EUR",
        by=ops,
    ) == ["name"]
    assert _refused(
        share_class_create, issuer=issuer, name=f"Series{BEL}A", class_type="common", by=ops
    ) == ["name"]
    assert _refused(
        stakeholder_create, issuer=issuer, name="Jane\u200fDoe", kind="individual", by=ops
    ) == ["name"]
    assert _refused(plan_create, issuer=issuer, name="ESOP\u2069", share_class=common, by=ops) == [
        "name"
    ]
    assert Issuer.objects.count() == 1
    assert ShareClass.objects.count() == 1
    assert not Stakeholder.objects.exists()
    assert not EquityPlan.objects.exists()


# --- ledger -----------------------------------------------------------------------------------


def test_an_account_or_operation_described_with_a_control_character_is_refused(finance):
    assert _refused(
        account_open, purpose="bank", currency="EUR", name=f"Bank{RLO}", by=finance
    ) == ["name"]
    bank = account_open(purpose="bank", currency="EUR", name="Bank", by=finance)
    other = account_open(purpose="bank", currency="EUR", name="Other bank", by=finance)

    assert _refused(
        operation_create,
        kind="transfer",
        legs=[Leg(bank.pk, -eur(1)), Leg(other.pk, eur(1))],
        idempotency_key="hostile-description",
        description=f"Transfer{BEL}",
        by=finance,
    ) == ["description"]
    assert Account.objects.count() == 2
    assert not Operation.objects.exists()


# --- compliance -------------------------------------------------------------------------------


def test_a_rule_set_whose_notes_hold_a_control_character_is_not_published(officer):
    before = RuleSet.objects.count()

    assert _refused(
        rule_set_publish,
        regime="de_semi_professional",
        effective_from=date(2030, 1, 1),
        thresholds=dict(REGIMES["de_semi_professional"].default_thresholds),
        by=officer,
        notes=f"Lower{RLO} ticket",
    ) == ["notes"]
    assert RuleSet.objects.count() == before


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("reasons", {"reasons": ["Documents seen", f"Net worth{BEL}"]}),
        ("evidence", {"evidence": f"Bank statement{RLO}"}),
    ],
)
def test_an_officers_decision_with_a_control_character_is_refused(ops, officer, field, overrides):
    investor = _person(ops)
    decision = {
        "investor": investor,
        "regime": "default_manual",
        "outcome": "qualified",
        "reasons": ["Documents seen"],
        "by": officer,
        "valid_until": None,
        **overrides,
    }

    assert _refused(assessment_decide, **decision) == [field]
    assert not Assessment.objects.exists()


def test_reasons_and_evidence_on_several_lines_are_accepted(ops, officer):
    assessment = assessment_decide(
        investor=_person(ops),
        regime="default_manual",
        outcome="qualified",
        reasons=["Documents seen:\n\tpassport"],
        evidence="Statement\r\nLetter",
        by=officer,
        valid_until=None,
    )

    assert assessment.reasons == ["Documents seen:\n\tpassport"]


def test_a_hit_decided_with_a_control_character_in_its_reason_stays_open(ops, officer):
    investor = _person(ops, legal_name="Sergei Volkonsky")
    imported = SanctionsList.objects.create(name="EU", imported_by=officer, entry_count=1)
    entry = SanctionsEntry.objects.create(
        sanctions_list=imported, entry_id="EU-1", name="Sergei Volkonsky", list_name="EU"
    )
    hit = ScreeningHit.objects.create(
        investor=investor, entry=entry, screened_name=investor.legal_name, score=95, name_score=95
    )

    assert _refused(
        screening_hit_decide, hit=hit, confirmed=False, reason=f"Other{RLO} person", by=officer
    ) == ["reason"]
    hit.refresh_from_db()
    assert (hit.state, hit.decision_reason) == (HitState.OPEN, "")


# --- deals ------------------------------------------------------------------------------------


def test_a_deal_named_with_a_control_character_is_refused_on_create_and_update(books):
    spv = make_issuer("Borealis vehicle", books.ops, kind="spv")
    terms = {
        "issuer": spv,
        "asset_class": "equity",
        "currency": "EUR",
        "unit_price_minor": 100,
        "target_minor": eur(100_000).amount_minor,
        "hard_cap_minor": eur(1_000_000).amount_minor,
    }

    assert _refused(deal_create, name=f"Borealis{RLO}", by=books.ops, **terms) == ["name"]
    assert not Deal.objects.exists()

    draft = deal_create(name="Borealis", by=books.ops, **terms)
    assert _refused(deal_update, deal=draft, data={"name": f"Borealis{BEL}"}, by=books.ops) == [
        "name"
    ]
    draft.refresh_from_db()
    assert draft.name == "Borealis"


def test_the_deal_admin_shows_a_control_character_on_the_name(staff_client):
    operator = StaffFactory(roles=[Role.OPERATIONS])
    spv = make_issuer("Borealis vehicle", operator, kind="spv")
    form = {
        "name": f"Borealis{RLO}",
        "issuer": spv.pk,
        "asset_class": "equity",
        "currency": "EUR",
        "unit_price": "1",
        "target": "100000",
        "hard_cap": "1000000",
        "setup_fee_rate": "0",
        "management_fee_rate": "0",
        "management_fee_basis": "commitments",
        "carry_rate": "0",
        "hurdle_rate": "0",
        "catch_up_rate": "0",
        "waterfall_type": "european",
        "equalisation_rate": "0",
        "day_count": "act_365",
        "hurdle_compounding": "compound",
        "hurdle_day_count": "act_365",
        "fee_offset_rate": "0",
        "clawback_tax_rate": "0",
    }

    response = staff_client(operator).post("/admin/deals/deal/add/", form)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["name"]
    assert not Deal.objects.exists()


def test_a_deal_cancelled_with_a_control_character_in_its_reason_stays_open(books):
    deal = books.deal("Atlas")

    assert _refused(deal_cancel, deal=deal, by=books.ops, reason=f"Sponsor left{BEL}") == ["reason"]
    deal.refresh_from_db()
    assert deal.state == DealState.OPEN


def test_a_withdrawal_with_a_control_character_in_its_reason_leaves_the_subscription(books):
    deal = books.deal("Atlas")
    subscription = books.subscribe(deal, eur(100_000))
    reasons = subscription.reasons

    assert _refused(
        subscription_withdraw, subscription=subscription, by=books.ops, reason=f"Changed{RLO}"
    ) == ["reason"]
    subscription.refresh_from_db()
    assert (subscription.state, subscription.reasons) == (SubscriptionState.FUNDED, reasons)
    assert Subscription.objects.count() == 1
