"""Who may call each use case, whichever door they come through.

Every use case (a service a door calls, declared with ``use_case``) is walked with every kind of
acting user: each staff role, an investor on their own objects and on another's, a partner's
service user for the investors it introduced (with the write scope and with the read scope) and
for another partner's, and the system user. The table below is the policy, written out by hand:
a use case added without a row fails here, and so does a permission that lets the wrong person
in. Every refusal is made by calling the real service, and nothing is written.
"""

import importlib
import pkgutil

import pytest
from django.apps import apps as django_apps
from django.db import transaction

import apps
from apps.accounts.models import Organisation, User
from apps.accounts.roles import Role
from apps.accounts.services import system_user
from apps.core.exceptions import PermissionRefused
from apps.core.services import USE_CASES, UseCase
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _import_every_module() -> None:
    """Import the product's code, so that every use case it declares is listed."""
    for module in pkgutil.walk_packages(apps.__path__, prefix="apps."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)


_import_every_module()

OPS, COMPLIANCE, FINANCE = "operations", "compliance", "finance"
AUDITOR, ADMINISTRATOR, SYSTEM = "auditor", "administrator", "system"
INVESTOR, OTHER_INVESTOR = "investor on their own", "investor on another's"
PARTNER, READING_PARTNER, OTHER_PARTNER = (
    "partner that introduced them",
    "partner that introduced them, read scope",
    "another partner",
)
PRINCIPALS = (
    OPS,
    COMPLIANCE,
    FINANCE,
    AUDITOR,
    ADMINISTRATOR,
    SYSTEM,
    INVESTOR,
    OTHER_INVESTOR,
    PARTNER,
    READING_PARTNER,
    OTHER_PARTNER,
)
# What an investor does on their own file, and what a partner with the write scope does for the
# investors it introduced.
OWN = frozenset({INVESTOR, PARTNER})

MAY: dict[str, frozenset[str]] = {
    # accounts
    "user_create": frozenset({ADMINISTRATOR, SYSTEM}),
    "user_update": frozenset({ADMINISTRATOR, SYSTEM}),
    "user_roles_set": frozenset({ADMINISTRATOR, SYSTEM}),
    "user_superuser_set": frozenset({SYSTEM}),
    "organisation_create": frozenset({OPS, ADMINISTRATOR, SYSTEM}),
    "organisation_update": frozenset({OPS, ADMINISTRATOR, SYSTEM}),
    # ledger
    "operation_submit": frozenset({OPS, FINANCE, SYSTEM}),
    "operation_cancel": frozenset({OPS, FINANCE, SYSTEM}),
    "operation_approve": frozenset({FINANCE, SYSTEM}),
    "operation_execute": frozenset({FINANCE, SYSTEM}),
    "operation_reverse": frozenset({FINANCE, SYSTEM}),
    # investors
    "investor_create": frozenset({OPS, COMPLIANCE, SYSTEM, PARTNER, OTHER_PARTNER}),
    "investor_update": frozenset({OPS, COMPLIANCE, SYSTEM}) | OWN,
    "beneficial_owner_add": frozenset({OPS, COMPLIANCE, SYSTEM}) | OWN,
    "bank_account_add": frozenset({OPS, COMPLIANCE, SYSTEM}) | OWN,
    "kyc_submit": frozenset({OPS, COMPLIANCE, SYSTEM}) | OWN,
    "kyc_approve": frozenset({COMPLIANCE, SYSTEM}),
    "kyc_reject": frozenset({COMPLIANCE, SYSTEM}),
    "kyc_expire_due": frozenset({COMPLIANCE, SYSTEM}),
    "sensitive_value_reveal": frozenset({COMPLIANCE, SYSTEM}),
    # compliance
    "rule_set_publish": frozenset({COMPLIANCE, SYSTEM}),
    "assessment_record": frozenset({COMPLIANCE, SYSTEM}) | OWN,
    "qualification_step_record": frozenset({COMPLIANCE, SYSTEM}) | OWN,
    "assessment_decide": frozenset({COMPLIANCE, SYSTEM}),
    "sanctions_list_import": frozenset({COMPLIANCE, SYSTEM}),
    "sanctions_screen_all": frozenset({COMPLIANCE, SYSTEM}),
    "screening_hit_decide": frozenset({COMPLIANCE, SYSTEM}),
    # deals
    "deal_create": frozenset({OPS, FINANCE, SYSTEM}),
    "deal_update": frozenset({OPS, FINANCE, SYSTEM}),
    "deal_open": frozenset({OPS, FINANCE, SYSTEM}),
    "deal_start_closing": frozenset({OPS, FINANCE, SYSTEM}),
    "deal_cancel": frozenset({OPS, FINANCE, SYSTEM}),
    "deal_wind_up": frozenset({OPS, FINANCE, SYSTEM}),
    "subscription_create": frozenset({OPS, FINANCE, SYSTEM}) | OWN,
    "subscription_submit": frozenset({OPS, FINANCE, SYSTEM}) | OWN,
    "subscription_withdraw": frozenset({OPS, FINANCE, SYSTEM}) | OWN,
    "subscription_sign": frozenset({OPS, FINANCE, SYSTEM}),
    "subscription_fund": frozenset({OPS, FINANCE, SYSTEM}),
    "subscriptions_scale_back": frozenset({OPS, FINANCE, SYSTEM}),
    "deal_close": frozenset({OPS, FINANCE, SYSTEM}),
    "capital_call_issue": frozenset({OPS, FINANCE, SYSTEM}),
    "capital_call_payment_record": frozenset({OPS, FINANCE, SYSTEM}),
    "capital_calls_flag_defaults": frozenset({OPS, FINANCE, SYSTEM}),
    "distribution_record": frozenset({OPS, FINANCE, SYSTEM}),
    "interest_distribute": frozenset({OPS, FINANCE, SYSTEM}),
    "management_fee_charge": frozenset({OPS, FINANCE, SYSTEM}),
    "clawback_settle": frozenset({OPS, FINANCE, SYSTEM}),
    "portfolio_investment_record": frozenset({OPS, FINANCE, SYSTEM}),
    "portfolio_write_down": frozenset({OPS, FINANCE, SYSTEM}),
    "portfolio_realise": frozenset({OPS, FINANCE, SYSTEM}),
    "portfolio_fee_income_record": frozenset({OPS, FINANCE, SYSTEM}),
    "secondary_transfer": frozenset({OPS, FINANCE, SYSTEM}),
    "deal_operation_propose": frozenset({OPS, FINANCE, SYSTEM}),
    "deal_proposal_execute": frozenset({FINANCE, SYSTEM}),
    "deal_proposal_cancel": frozenset({OPS, FINANCE, SYSTEM}),
    "deal_operation_reverse": frozenset({FINANCE, SYSTEM}),
}
# The cap table is kept by operations; finance approves what moves it (checked on the ledger).
MAY.update(
    dict.fromkeys(
        (
            "issuer_create",
            "reference_update",
            "share_class_create",
            "stakeholder_create",
            "stakeholders_bulk_create",
            "plan_create",
            "vesting_terms_create",
            "shares_issue",
            "security_transfer",
            "security_cancel",
            "stock_convert",
            "share_class_split",
            "pool_reserve",
            "options_grant",
            "warrant_issue",
            "security_exercise",
            "convertible_issue",
            "convertibles_convert",
            "ocf_import",
            "ocf_dry_run",
            "ocf_import_check",
            "ocf_import_confirm",
        ),
        frozenset({OPS, SYSTEM}),
    )
)
# An OCF import is approved by somebody else than who uploaded it, and cancelled by either.
MAY["ocf_import_approve"] = frozenset({FINANCE, SYSTEM})
MAY["ocf_import_cancel"] = frozenset({OPS, FINANCE, SYSTEM})


class World:
    """One of every acting user, and the objects they act on."""

    def __init__(self) -> None:
        from apps.deals.models import Deal, Subscription
        from apps.investors.models import Investor

        introducer = OrganisationFactory(scope=Organisation.Scope.WRITE)
        reader = OrganisationFactory(scope=Organisation.Scope.READ)
        stranger = OrganisationFactory(scope=Organisation.Scope.WRITE)
        owner = UserFactory()
        self.investor = Investor.objects.create(
            kind="entity",
            legal_name="Own Holdings SA",
            country_of_residence="FR",
            tax_residence_country="FR",
            user=owner,
            introduced_by=introducer,
        )
        read_by = Investor.objects.create(
            kind="person",
            legal_name="Read Only",
            country_of_residence="FR",
            tax_residence_country="FR",
            introduced_by=reader,
        )
        other = Investor.objects.create(
            kind="person",
            legal_name="Someone Else",
            country_of_residence="FR",
            tax_residence_country="FR",
            user=UserFactory(),
        )
        self.users = {
            OPS: UserFactory(is_staff=True, roles=[Role.OPERATIONS]),
            COMPLIANCE: UserFactory(is_staff=True, roles=[Role.COMPLIANCE]),
            FINANCE: UserFactory(is_staff=True, roles=[Role.FINANCE]),
            AUDITOR: UserFactory(is_staff=True, roles=[Role.AUDITOR]),
            ADMINISTRATOR: UserFactory(is_staff=True, roles=[Role.ADMINISTRATOR]),
            SYSTEM: system_user(),
            INVESTOR: owner,
            OTHER_INVESTOR: other.user,
            PARTNER: introducer.service_user,
            READING_PARTNER: reader.service_user,
            OTHER_PARTNER: stranger.service_user,
        }
        # The reading partner introduced an investor of its own: what it reads, it may not write.
        self.read_by = read_by
        self.subscription = Subscription(investor=self.investor, deal=Deal(name="Atlas"))
        self.organisation = introducer
        self.staff_user = UserFactory(is_staff=True)

    def target(self, name: str):
        """The object a use case's ``on`` argument names, belonging to the own investor."""
        from apps.captable.models import Issuer
        from apps.compliance.models import SanctionsEntry, ScreeningHit
        from apps.ledger.models import Operation

        targets = {
            "investor": self.investor,
            "entity": self.investor,
            "subscription": self.subscription,
            "organisation": self.organisation,
            "user": self.staff_user,
            "operation": Operation(),
            "hit": ScreeningHit(
                investor=self.investor,
                screened_name=self.investor.legal_name,
                entry=SanctionsEntry(name="Listed Holdings"),
            ),
            "instance": Issuer(name="Any Issuer SAS"),
        }
        return targets[name]


@pytest.fixture
def world() -> World:
    return World()


def _row_count() -> int:
    return sum(model._default_manager.count() for model in django_apps.get_models())


def test_every_use_case_has_a_row_in_the_policy():
    declared = {use_case.name for use_case in USE_CASES.values()}

    assert declared == set(MAY), (
        f"without a row: {sorted(declared - set(MAY))}; rows of no use case: "
        f"{sorted(set(MAY) - declared)}"
    )


def test_every_principal_is_allowed_exactly_what_the_policy_says(world):
    wrong = []
    for use_case in USE_CASES.values():
        target = {use_case.on: world.target(use_case.on)} if use_case.on else {}
        for principal in PRINCIPALS:
            allowed = use_case.refusal(by=world.users[principal], **target) is None
            if allowed != (principal in MAY[use_case.name]):
                verdict = "allowed" if allowed else "refused"
                wrong.append(f"{use_case.name}, {principal}: {verdict}")

    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("use_case", USE_CASES.values(), ids=lambda use_case: use_case.name)
def test_each_refused_principal_is_refused_by_the_service_itself_and_nothing_is_written(
    world, use_case: UseCase
):
    target = {use_case.on: world.target(use_case.on)} if use_case.on else {}
    before = _row_count()
    for principal in set(PRINCIPALS) - MAY[use_case.name]:
        with pytest.raises(PermissionRefused):
            use_case(by=world.users[principal], **target)

    assert _row_count() == before


def test_the_auditor_may_call_no_use_case(world):
    auditor = world.users[AUDITOR]

    assert [case.name for case in USE_CASES.values() if AUDITOR in MAY[case.name]] == []
    assert auditor.get_all_permissions()
    assert all(".view_" in permission for permission in auditor.get_all_permissions())


def test_a_partner_reads_only_the_investors_it_introduced(world):
    partner, reader = world.users[PARTNER], world.users[READING_PARTNER]

    assert partner.has_perm("investors.view_investor", world.investor)
    assert not partner.has_perm("investors.view_investor", world.read_by)
    assert reader.has_perm("investors.view_investor", world.read_by)
    assert not reader.has_perm("investors.change_investor", world.read_by)
    assert not partner.has_perm("investors.view_investor")


def test_an_investor_reads_their_own_file_and_no_one_elses(world):
    investor = world.users[INVESTOR]

    assert investor.has_perm("investors.view_investor", world.investor)
    assert not investor.has_perm("investors.view_investor", world.read_by)
    assert not investor.has_perm("investors.view_investor")
    assert not investor.has_perm("deals.view_deal")


def test_service_users_and_the_system_user_cannot_sign_in(world, client):
    for user in (world.users[PARTNER], world.users[SYSTEM]):
        assert not user.has_usable_password()
        assert not client.login(username=user.email, password="")


def test_a_service_user_cannot_be_given_a_password_or_the_back_office(world):
    from django.db import IntegrityError

    partner = world.users[PARTNER]
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=partner.pk).update(password="pbkdf2_sha256$1$salt$hash")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=partner.pk).update(is_staff=True)


@pytest.mark.parametrize("use_case", USE_CASES.values(), ids=lambda use_case: use_case.name)
def test_a_use_case_refuses_to_run_inside_another_transaction(world, use_case: UseCase):
    target = {use_case.on: world.target(use_case.on)} if use_case.on else {}

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        use_case(by=world.users[SYSTEM], **target)
