"""A fund's portfolio: what its vehicle invests in, what each investment cost, what it lost,
when it was realised, and the fees its companies paid the manager.

These are records, not money movements: the capital reaches an investment through the calls
made for it and comes back through the distributions made for it, each its own operation. The
write-down recorded here stands until the valuations derive them from marks.
"""

from datetime import date

from django.core.exceptions import ValidationError

from apps.accounts.models import User
from apps.captable.models import Issuer
from apps.core.history import acting, history_reason_set, history_user_set
from apps.core.money import Money
from apps.core.services import use_case
from apps.deals.locks import deal_lock
from apps.deals.models import (
    Deal,
    DealState,
    FeeIncomeKind,
    PortfolioFeeIncome,
    PortfolioInvestment,
)
from apps.deals.services.common import OperationRefused, check_currency

INVESTING_STATES = (DealState.CLOSING, DealState.CLOSED)


@use_case(permission="deals.add_portfolioinvestment")
def portfolio_investment_record(
    *,
    deal: Deal,
    invested_on: date,
    cost: Money,
    by: User,
    issuer: Issuer | None = None,
    company: str = "",
    expenses: Money | None = None,
) -> PortfolioInvestment:
    """Record an investment of the deal's vehicle in ``issuer`` (on the platform's cap tables)
    or ``company`` (an external one, by name), at ``cost``, with the fees and expenses
    allocated to it."""
    deal = deal_lock(deal)
    if deal.state not in INVESTING_STATES:
        raise OperationRefused(
            f"{deal} is {deal.get_state_display().lower()}: only a deal in closing or closed "
            "invests"
        )
    check_currency(cost, deal, "an investment's cost")
    expenses = expenses or Money.zero(deal.currency)
    check_currency(expenses, deal, "an investment's expenses")
    if (issuer is None) == (not company.strip()):
        raise ValidationError(
            {"company": "Name either a company on the platform's cap tables or an external one."}
        )
    if cost.amount_minor <= 0:
        raise ValidationError({"cost_minor": "An investment costs a positive amount."})
    if expenses.amount_minor < 0:
        raise ValidationError({"expenses_minor": "Expenses are not negative."})
    investment = PortfolioInvestment(
        deal=deal,
        issuer=issuer,
        company=company.strip(),
        invested_on=invested_on,
        cost_minor=cost.amount_minor,
        expenses_minor=expenses.amount_minor,
        created_by=by,
    )
    investment.full_clean()
    with acting(user=by):
        investment.save()
    return investment


def _unrealised(investment: PortfolioInvestment, on: date, what: str) -> PortfolioInvestment:
    deal_lock(investment.deal)
    locked = PortfolioInvestment.objects.get(pk=investment.pk)
    if locked.realised_on is not None:
        raise OperationRefused(f"{locked} was realised on {locked.realised_on}: {what}")
    if on < locked.invested_on:
        raise OperationRefused(f"{locked} was made on {locked.invested_on}, after {on}")
    return locked


def _save(investment: PortfolioInvestment, fields: list[str], *, by: User, reason: str) -> None:
    history_user_set(investment, by)
    history_reason_set(investment, reason)
    investment.save(update_fields=fields)


@use_case(permission="deals.change_portfolioinvestment")
def portfolio_write_down(
    *, investment: PortfolioInvestment, amount: Money, on: date, by: User, reason: str
) -> PortfolioInvestment:
    """Write ``investment`` down by ``amount`` of its cost from ``on`` (replacing an earlier
    write-down; nothing undoes one), with the reason kept in its history."""
    if not reason.strip():
        raise OperationRefused("say why the investment is written down")
    locked = _unrealised(investment, on, "it is no longer written down")
    check_currency(amount, locked.deal, "a write-down")
    if not 0 < amount.amount_minor <= locked.cost_minor:
        raise OperationRefused(
            f"a write-down of {locked} is more than nothing and at most its cost, "
            f"{Money(locked.cost_minor, locked.deal.currency).format()}"
        )
    locked.written_down_minor = amount.amount_minor
    locked.written_down_on = on
    _save(locked, ["written_down_minor", "written_down_on"], by=by, reason=reason)
    return locked


@use_case(permission="deals.change_portfolioinvestment")
def portfolio_realise(
    *, investment: PortfolioInvestment, on: date, by: User, reason: str
) -> PortfolioInvestment:
    """Record that ``investment`` was sold or written off entirely on ``on``: its loss, if
    any, is then what it took in less what its distributions returned."""
    if not reason.strip():
        raise OperationRefused("say how the investment was realised")
    locked = _unrealised(investment, on, "it is realised once")
    locked.realised_on = on
    _save(locked, ["realised_on"], by=by, reason=reason)
    return locked


@use_case(permission="deals.add_portfoliofeeincome")
def portfolio_fee_income_record(
    *,
    investment: PortfolioInvestment,
    kind: str,
    amount: Money,
    received_on: date,
    by: User,
) -> PortfolioFeeIncome:
    """Record a transaction or monitoring fee a portfolio company paid the manager; the deal's
    fee offset rate of it reduces the next management fees."""
    check_currency(amount, investment.deal, "fee income")
    if amount.amount_minor <= 0:
        raise OperationRefused("fee income is a positive amount")
    if received_on < investment.invested_on:
        raise OperationRefused(
            f"{investment} was made on {investment.invested_on}, after {received_on}"
        )
    income = PortfolioFeeIncome(
        investment=investment,
        kind=FeeIncomeKind(kind),
        received_on=received_on,
        amount_minor=amount.amount_minor,
        created_by=by,
    )
    income.full_clean()
    with acting(user=by):
        income.save()
    return income
