"""Capital calls draw a fund's commitments exactly: notices, partial payments, defaults."""

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType

from apps.accounts.services import system_user
from apps.deals.models import CapitalCall, CapitalCallNotice
from apps.deals.selectors import notice_outstanding, uncalled_commitments
from apps.deals.services import (
    OperationRefused,
    capital_call_issue,
    capital_call_payment_record,
    capital_calls_flag_defaults,
)
from apps.deals.tasks import flag_call_defaults
from apps.ledger.models import Account, Operation
from apps.ledger.selectors import balance
from apps.ledger.verification import ledger_verify_report
from tests.deals.conftest import eur

pytestmark = pytest.mark.django_db

CALLED = date(2026, 3, 1)
DUE = date(2026, 3, 31)


@pytest.fixture
def fund(books):
    deal = books.deal("Orion Fund I", drawn_by_calls=True, asset_class="fund_units")
    books.close(deal, [eur(100_000), eur(200_000), eur(400_000)])
    deal.refresh_from_db()
    return deal


def _call(books, fund, amount, **kwargs):
    return capital_call_issue(
        deal=fund,
        amount=amount,
        call_date=kwargs.pop("call_date", CALLED),
        due_date=kwargs.pop("due_date", DUE),
        by=books.ops,
        approved_by=books.finance,
        **kwargs,
    )


def _account(owner, purpose):
    return Account.objects.get(
        owner_type=ContentType.objects.get_for_model(owner), owner_id=owner.pk, purpose=purpose
    )


def test_a_fund_closing_records_commitments_and_moves_no_capital(books, fund):
    for investor in books.investors_of(fund):
        assert books.cash(investor) == eur(0)  # setup fee 0: nothing paid at closing
    amounts = sorted(balance(_account(i, "commitment")) for i in books.investors_of(fund))
    assert amounts == [eur(100_000), eur(200_000), eur(400_000)]
    assert balance(_account(fund.issuer, "commitment")) == -eur(700_000)


def test_a_call_is_split_pro_rata_to_the_cent_and_moves_commitment_to_called(books, fund):
    call = _call(books, fund, eur("100000.01"))

    notices = {n.investor.legal_name: n.amount_minor for n in call.notices.all()}
    assert sorted(notices.values()) == [1_428_572, 2_857_143, 5_714_286]
    assert sum(notices.values()) == 10_000_001
    for notice in call.notices.select_related("investor"):
        assert balance(_account(notice.investor, "capital_called")).amount_minor == (
            notice.amount_minor
        )
    remaining = uncalled_commitments(fund)
    assert sum(remaining.values()) == 70_000_000 - 10_000_001
    for subscription_id, left in remaining.items():
        investor = fund.subscriptions.get(pk=subscription_id).investor
        assert balance(_account(investor, "commitment")).amount_minor == left
    assert ledger_verify_report().passed


def test_each_notices_history_names_who_approved_the_call_and_its_operation(books, fund):
    call = _call(books, fund, eur(70_000))

    rows = CapitalCallNotice.history.filter(call_id=call.pk)
    assert rows.count() == 3
    assert {(row.history_user, row.history_operation_id) for row in rows} == {
        (books.finance, call.operation_id)
    }


def test_a_call_above_the_uncalled_commitment_is_refused_and_nothing_is_written(books, fund):
    _call(books, fund, eur(600_000))
    before = Operation.objects.count(), CapitalCall.objects.count()

    with pytest.raises(OperationRefused, match=r"above the uncalled commitment of €100,000.00"):
        _call(books, fund, eur("100000.01"))

    assert (Operation.objects.count(), CapitalCall.objects.count()) == before


def test_the_last_call_draws_exactly_what_is_left(books, fund):
    _call(books, fund, eur("233333.33"))
    _call(books, fund, eur("233333.33"))
    _call(books, fund, eur("233333.34"))

    assert set(uncalled_commitments(fund).values()) == {0}
    with pytest.raises(OperationRefused, match="above the uncalled commitment"):
        _call(books, fund, eur("0.01"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": eur(0)}, "positive amount"),
        ({"due_date": date(2026, 2, 1)}, "cannot be due before"),
    ],
)
def test_a_malformed_call_is_refused(books, fund, change, message):
    kwargs = {"amount": eur(1_000), **change}
    amount = kwargs.pop("amount")
    with pytest.raises(OperationRefused, match=message):
        _call(books, fund, amount, **kwargs)
    assert not CapitalCall.objects.exists()


def test_an_spv_draws_nothing_by_calls(books):
    deal = books.deal("Atlas")
    books.close(deal, [eur(100_000)])
    with pytest.raises(OperationRefused, match="draws nothing by capital calls"):
        _call(books, deal, eur(1))


def test_partial_payments_settle_a_notice_and_an_overpayment_is_refused(books, fund):
    call = _call(books, fund, eur(70_000))
    notice = call.notices.get(amount_minor=eur(40_000).amount_minor)
    books.deposit(notice.investor, eur(50_000))

    for part, day in ((eur(15_000), date(2026, 3, 10)), (eur("24999.99"), date(2026, 3, 20))):
        capital_call_payment_record(
            notice=notice, amount=part, paid_on=day, by=books.ops, approved_by=books.finance
        )

    assert notice_outstanding(notice) == eur("0.01")
    assert balance(_account(notice.investor, "capital_called")) == eur("0.01")
    assert books.cash(notice.investor) == eur("10000.01")
    with pytest.raises(OperationRefused, match=r"owes €0.01 .* a payment of €0.02 is more"):
        capital_call_payment_record(
            notice=notice, amount=eur("0.02"), paid_on=DUE, by=books.ops, approved_by=books.finance
        )
    capital_call_payment_record(
        notice=notice, amount=eur("0.01"), paid_on=DUE, by=books.ops, approved_by=books.finance
    )
    assert notice_outstanding(notice) == eur(0)
    assert balance(_account(fund.issuer, "cash")) == eur(40_000)
    assert ledger_verify_report().passed


def test_a_payment_in_another_currency_is_refused(books, fund):
    from apps.core.money import Money

    notice = _call(books, fund, eur(7_000)).notices.first()
    with pytest.raises(OperationRefused, match="in USD is refused"):
        capital_call_payment_record(
            notice=notice,
            amount=Money(100, "USD"),
            paid_on=DUE,
            by=books.ops,
            approved_by=books.finance,
        )


def test_notices_unpaid_after_the_due_date_are_flagged_as_defaults(books, fund):
    call = _call(books, fund, eur(70_000))
    paid = call.notices.get(amount_minor=eur(10_000).amount_minor)
    books.deposit(paid.investor, eur(10_000))
    capital_call_payment_record(
        notice=paid, amount=eur(10_000), paid_on=DUE, by=books.ops, approved_by=books.finance
    )

    assert capital_calls_flag_defaults(today=DUE, by=system_user()) == 0  # due today: not late yet
    assert capital_calls_flag_defaults(today=date(2026, 4, 1), by=system_user()) == 2
    assert (
        capital_calls_flag_defaults(today=date(2026, 4, 2), by=system_user()) == 0
    )  # flagged once

    flagged = CapitalCallNotice.objects.filter(defaulted_at__isnull=False)
    assert paid not in flagged and flagged.count() == 2
    assert all(n.history.first().history_change_reason == "unpaid after due date" for n in flagged)


def test_the_daily_task_flags_defaults_as_the_system(books, fund):
    _call(books, fund, eur(7_000))  # due 31 March 2026, unpaid since
    assert flag_call_defaults.delay().get() == 3
    system = system_user()
    assert all(n.history.first().history_user == system for n in CapitalCallNotice.objects.all())


def test_a_payment_dated_before_its_call_is_refused(books, fund):
    notice = _call(books, fund, eur(7_000)).notices.first()
    books.deposit(notice.investor, eur(7_000))
    with pytest.raises(OperationRefused, match="cannot be paid on 2026-02-28"):
        capital_call_payment_record(
            notice=notice,
            amount=eur(1_000),
            paid_on=date(2026, 2, 28),
            by=books.ops,
            approved_by=books.finance,
        )
    assert not notice.payments.exists()
