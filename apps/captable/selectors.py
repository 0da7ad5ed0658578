"""Reads of cap tables: who holds what on a date or right after an operation, basic and fully
diluted, and ownership looked through vehicles.

A cap table is one grouped read of the issuer's movements, summed by holder, class and kind in
the database (through an index that carries the grouped columns, so any past state costs what the
present does), then the names of the holders and of the classes, and the plans' pools found from
the plans' side: four queries however many holders, plans and grants (two more to show the
convertibles converted). Percentages are rounded by largest remainder and add up to exactly
100.00.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from django.db import models
from django.db.models import F, Value
from django.utils import timezone

from apps.captable.conversion import ConvertibleTerms, RoundTerms, convert_all
from apps.captable.models import (
    Issuer,
    Movement,
    MovementKind,
    Security,
    SecurityKind,
    ShareClass,
    Stakeholder,
)
from apps.captable.proforma import Holding, ProForma, pro_forma_round
from apps.captable.quantities import exact_sum, grouped_sums, quantity_text
from apps.captable.vesting import VestingSchedule, vested_quantity
from apps.core.money import Money, allocate
from apps.ledger.models import Operation

ZERO = Decimal(0)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
CONVERTIBLES = "Convertibles (as converted)"


@dataclass(frozen=True)
class CapTableRow:
    holder: str
    share_class: str
    units: Decimal
    fully_diluted_units: Decimal
    percent: Decimal = Decimal(0)
    percent_fully_diluted: Decimal = Decimal(0)
    holder_id: int | None = None
    share_class_id: int | None = None


@dataclass(frozen=True)
class CapTable:
    issuer: Issuer
    as_of: date | None
    after_operation: int | None
    rows: list[CapTableRow]
    total_units: Decimal
    total_fully_diluted_units: Decimal
    by_class: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    by_holder: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)

    def as_json(self) -> dict:
        """Return the cap table in the product's export shape, numbers as decimal strings."""
        return {
            "issuer": self.issuer.name,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "rows": [
                {
                    "holder": row.holder,
                    "class": row.share_class,
                    "units": quantity_text(row.units),
                    "fully_diluted_units": quantity_text(row.fully_diluted_units),
                    "percent": str(row.percent),
                    "percent_fully_diluted": str(row.percent_fully_diluted),
                }
                for row in self.rows
            ],
            "totals": {
                "units": quantity_text(self.total_units),
                "fully_diluted_units": quantity_text(self.total_fully_diluted_units),
            },
        }


def _movements(
    issuer: Issuer, *, as_of: date | datetime | None, after_operation: Operation | None
) -> models.QuerySet[Movement]:
    movements = Movement.objects.filter(issuer=issuer)
    if as_of is not None:
        day = as_of.date() if isinstance(as_of, datetime) else as_of
        movements = movements.filter(effective_date__lte=day)
    if after_operation is not None:
        if after_operation.sequence is None:
            raise ValueError(
                f"operation {after_operation.pk} is {after_operation.state}: only an executed "
                "operation has a place in the books"
            )
        movements = movements.filter(operation_sequence__lte=after_operation.sequence)
    return movements


def _percentages(values: list[Decimal]) -> list[Decimal]:
    """Split 100.00 % in proportion to ``values`` so that the parts add up to exactly 100.00."""
    if not any(values):
        return [Decimal(0) for _ in values]
    return [Decimal(part) * CENT for part in allocate(10_000, values)]


def _convertible_shares(
    issuer: Issuer, movements: models.QuerySet, convertibles_at: RoundTerms
) -> dict[int, Decimal]:
    """Shares each outstanding convertible would receive at ``convertibles_at``, by holder."""
    held = grouped_sums(
        movements.filter(security_kind=SecurityKind.CONVERTIBLE), ["security_id", "stakeholder_id"]
    )
    if not held:
        return {}
    terms = dict(
        issuer.securities.filter(pk__in=[security for security, _ in held]).values_list(
            "pk", "terms"
        )
    )
    keys = list(held)
    results = convert_all(
        [ConvertibleTerms.from_json(terms[sec]) for sec, _ in keys], convertibles_at
    )
    shares: dict[int, Decimal] = defaultdict(Decimal)
    for (_, holder), result in zip(keys, results, strict=True):
        shares[holder] += Decimal(result.shares)
    return shares


def cap_table(
    issuer: Issuer,
    *,
    as_of: date | datetime | None = None,
    after_operation: Operation | None = None,
    convertibles_at: RoundTerms | None = None,
) -> CapTable:
    """Return ``issuer``'s cap table on ``as_of`` and/or right after ``after_operation``.

    Fully diluted units add, to the shares outstanding, the options and warrants outstanding,
    each plan's pool still available and, with ``convertibles_at``, the shares the convertibles
    would receive at that round.
    """
    movements = _movements(issuer, as_of=as_of, after_operation=after_operation)
    held = grouped_sums(
        movements.exclude(security_kind__in=["", SecurityKind.CONVERTIBLE]),
        ["stakeholder_id", "share_class_id", "security_kind"],
    )
    units: dict[tuple[int, int | None], list[Decimal]] = {}
    for (holder, share_class, kind), quantity in held.items():
        position = units.setdefault((holder, share_class), [ZERO, ZERO])
        if kind == SecurityKind.STOCK:
            position[0] += quantity
        position[1] += quantity
    if convertibles_at:
        for holder, shares in _convertible_shares(issuer, movements, convertibles_at).items():
            units.setdefault((holder, None), [ZERO, ZERO])[1] += shares

    holders = dict(Stakeholder.objects.filter(issuer=issuer).order_by().values_list("pk", "name"))
    classes = dict(ShareClass.objects.filter(issuer=issuer).order_by().values_list("pk", "name"))
    rows: list[tuple[str, str, Decimal, Decimal, int | None, int | None]] = [
        (
            holders[holder],
            classes[share_class] if share_class else CONVERTIBLES,
            basic,
            diluted,
            holder,
            share_class,
        )
        for (holder, share_class), (basic, diluted) in units.items()
        if basic or diluted
    ]
    rows.extend(
        (f"Pool: {plan}", class_name, ZERO, available, None, share_class)
        for plan, share_class, class_name, available in _pools_available(issuer, movements)
    )
    rows.sort(key=lambda row: (-row[3], -row[2], row[0], row[1]))
    basics = [row[2] for row in rows]
    diluteds = [row[3] for row in rows]
    table_rows = [
        CapTableRow(name, class_name, basic, diluted, percent, percent_fd, holder, share_class)
        for (name, class_name, basic, diluted, holder, share_class), percent, percent_fd in zip(
            rows, _percentages(basics), _percentages(diluteds), strict=True
        )
    ]
    return CapTable(
        issuer=issuer,
        as_of=as_of.date() if isinstance(as_of, datetime) else as_of,
        after_operation=after_operation.sequence if after_operation else None,
        rows=table_rows,
        total_units=sum(basics, ZERO),
        total_fully_diluted_units=sum(diluteds, ZERO),
        by_class=_totals_by([row[1] for row in rows], basics, diluteds),
        by_holder=_totals_by([row[0] for row in rows], basics, diluteds),
    )


def _totals_by(
    keys: list[str], basics: list[Decimal], diluteds: list[Decimal]
) -> dict[str, tuple[Decimal, Decimal]]:
    """Add up the basic and fully diluted units of the rows by their ``keys``."""
    totals: dict[str, tuple[Decimal, Decimal]] = {}
    for key, basic, diluted in zip(keys, basics, diluteds, strict=True):
        so_far = totals.get(key, (ZERO, ZERO))
        totals[key] = (so_far[0] + basic, so_far[1] + diluted)
    return totals


def _pools_available(
    issuer: Issuer, movements: models.QuerySet[Movement]
) -> list[tuple[str, int, str, Decimal]]:
    """Return each of ``issuer``'s plans with units left in its pool: its name, its class's id
    and name, and what is available (reserved, less the options granted and not exercised), in
    the order of the plans' names.

    One read of the pool movements and the option movements of the issuer's plans, each with its
    plan named, both found from the plans' side (their indexes) rather than among all movements.
    """
    named = ["plan_name", "class_id", "class_name"]
    reserved = (
        movements.filter(kind=MovementKind.POOL, plan__issuer=issuer)
        .annotate(
            plan_name=F("plan__name"),
            class_id=F("plan__share_class_id"),
            class_name=F("plan__share_class__name"),
            reserving=Value(True),
        )
        .order_by()
        .values_list(*named, "reserving", "quantity")
    )
    granted = (
        movements.filter(security_kind=SecurityKind.OPTION, security__plan__issuer=issuer)
        .exclude(kind=MovementKind.EXERCISE)
        .annotate(
            plan_name=F("security__plan__name"),
            class_id=F("security__plan__share_class_id"),
            class_name=F("security__plan__share_class__name"),
            reserving=Value(False),
        )
        .order_by()
        .values_list(*named, "reserving", "quantity")
    )
    available: dict[tuple[str, int, str], Decimal] = {}
    for plan, share_class, class_name, reserving, quantity in reserved.union(granted, all=True):
        key = (plan, share_class, class_name)
        available[key] = available.get(key, ZERO) + (quantity if reserving else -quantity)
    return sorted((*key, quantity) for key, quantity in available.items() if quantity)


def security_outstanding(issuer: Issuer, *, as_of: date | None = None) -> dict[str, Decimal]:
    """Return each security's outstanding quantity (by security id), closed ones left out."""
    rows = grouped_sums(
        _movements(issuer, as_of=as_of, after_operation=None).exclude(security__isnull=True),
        ["security__security_id"],
    )
    return {security: quantity for (security,), quantity in rows.items()}


def ownership(issuer: Issuer, *, as_of: date | None = None) -> dict[int, Fraction]:
    """Return each stakeholder's exact share of ``issuer``, shares converted to common units."""
    movements = _movements(issuer, as_of=as_of, after_operation=None).filter(
        security_kind=SecurityKind.STOCK
    )
    ratios = dict(ShareClass.objects.filter(issuer=issuer).values_list("pk", "conversion_ratio"))
    held: dict[int, Fraction] = defaultdict(Fraction)
    for (holder, share_class), quantity in grouped_sums(
        movements, ["stakeholder_id", "share_class_id"]
    ).items():
        held[holder] += Fraction(quantity) * Fraction(ratios[share_class])
    total = sum(held.values(), Fraction(0))
    if not total:
        return {}
    return {holder: units / total for holder, units in held.items() if units}


def look_through(
    *, party_key: str, issuer: Issuer, as_of: date | None = None, _path: tuple[int, ...] = ()
) -> Fraction:
    """Return the exact share of ``issuer`` that the party owns directly and through vehicles.

    Each vehicle holding ``issuer`` contributes the party's own share of that vehicle times the
    vehicle's share of ``issuer``, through as many layers as there are.
    """
    if issuer.pk in _path:
        raise ValueError(f"{issuer} holds itself through {len(_path)} layer(s)")
    shares = ownership(issuer, as_of=as_of)
    holders = Stakeholder.objects.filter(pk__in=shares).select_related("holder_issuer")
    total = Fraction(0)
    for holder in holders:
        if holder.party_key == party_key:
            total += shares[holder.pk]
        if holder.holder_issuer is not None:
            total += shares[holder.pk] * look_through(
                party_key=party_key,
                issuer=holder.holder_issuer,
                as_of=as_of,
                _path=(*_path, issuer.pk),
            )
    return total


def cap_table_pro_forma(
    issuer: Issuer,
    *,
    pre_money: Money,
    new_money: Sequence[tuple[str, Money]],
    pool_top_up_percent: Fraction,
    conversion_date: date,
    new_class: str = "Series A",
    pool_class: str | None = None,
    pool_target: str = "top_up",
    price_decimals: int | None = None,
) -> ProForma:
    """Model a priced round on ``issuer``'s fully diluted cap table today; write nothing.

    The convertibles outstanding convert at the round; the pool top-up is a share of the
    post-money fully diluted capitalisation, of the new shares alone or of the pool available
    after the round (``pool_target``, see :func:`apps.captable.proforma.pro_forma_round`). The
    plans' pools not yet granted are the unallocated pool. ``price_decimals``, when set, is
    the number of decimals the term sheet states the price to.
    """
    today = cap_table(issuer)
    holdings = [
        Holding(
            holder=row.holder,
            share_class=row.share_class,
            units=Fraction(row.fully_diluted_units),
            unallocated_pool=row.holder_id is None,
        )
        for row in today.rows
        if row.fully_diluted_units
    ]
    movements = Movement.objects.filter(issuer=issuer, security_kind=SecurityKind.CONVERTIBLE)
    outstanding = grouped_sums(movements, ["security_id"])
    convertibles = [
        (security.stakeholder.name, ConvertibleTerms.from_json(security.terms))
        for security in issuer.securities.filter(pk__in=[pk for (pk,) in outstanding])
        .select_related("stakeholder")
        .order_by("pk")
    ]
    common = issuer.share_classes.filter(class_type="common").order_by("pk").first()
    return pro_forma_round(
        holdings=holdings,
        pre_money=pre_money,
        new_money=new_money,
        pool_top_up_percent=pool_top_up_percent,
        convertibles=convertibles,
        new_class=new_class,
        pool_class=pool_class or (common.name if common else new_class),
        conversion_date=conversion_date,
        pool_target=pool_target,
        price_decimals=price_decimals,
    )


def option_vested(security: Security, *, as_of: date) -> Decimal:
    """Return how much of an option grant has vested on ``as_of`` (all of it without a schedule)."""
    held = exact_sum(Movement.objects.filter(security=security, effective_date__lte=as_of))
    if security.vesting_terms is None or held <= 0:
        return max(held, Decimal(0))
    terms = security.vesting_terms
    return vested_quantity(
        quantity=held,
        schedule=VestingSchedule(
            cliff_months=terms.cliff_months,
            duration_months=terms.duration_months,
            frequency_months=terms.frequency_months,
        ),
        start=security.vesting_start_date or security.issue_date,
        as_of=as_of,
    )


def convertibles_round(
    issuer: Issuer,
    *,
    price: Decimal,
    as_of: date | None = None,
) -> RoundTerms:
    """Return the round at which ``issuer``'s outstanding convertibles are shown converted at
    ``price`` per share (in the issuer's currency) on ``as_of`` (by default today): its fully
    diluted count before the round and the unallocated pool within it, no pool top-up. Pass it
    as :func:`cap_table`'s ``convertibles_at``."""
    if not price.is_finite() or price <= 0:
        raise ValueError(f"the price per share is a positive amount, not {price}")
    before = cap_table(issuer, as_of=as_of)
    if before.total_fully_diluted_units <= 0:
        raise ValueError(f"{issuer} has no fully diluted units to convert the convertibles beside")
    return RoundTerms(
        price_per_share=Fraction(price),
        pre_money_fully_diluted_shares=Fraction(before.total_fully_diluted_units),
        conversion_date=as_of or timezone.localdate(),
        currency=issuer.currency,
        unallocated_pool=Fraction(
            sum(
                (row.fully_diluted_units for row in before.rows if row.holder_id is None),
                Decimal(0),
            )
        ),
    )
