"""The changes of a cap table's life, each one use case recorded as one change of holdings.

Issuances, transfers, cancellations and repurchases, conversions, splits, pool reserves, option
grants, warrants, exercises and convertibles: each service says which securities it consumes and
which it opens, and records them through
:func:`~apps.captable.services.positions.captable_change_record`, made by one person and approved
by another; the position engine checks every movement against the positions so far. A security
is consumed whole and what remains of it reopened as a balance security; a refused change raises
a :class:`~apps.core.exceptions.DomainError` naming the object and writes nothing.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from apps.accounts.models import User
from apps.captable.conversion import ConvertibleTerms, RoundTerms, convert_all
from apps.captable.exceptions import InvalidMovement
from apps.captable.models import (
    EquityPlan,
    Issuer,
    Movement,
    MovementKind,
    Security,
    SecurityKind,
    ShareClass,
    Stakeholder,
    VestingTerms,
)
from apps.captable.quantities import quantity_text, units_rounded
from apps.captable.services.positions import Change, _exact, captable_change_record
from apps.core.services import model_update, use_case


def _issued(
    *, issuer: Issuer, description: str, by: User, approved_by: User, **issue: Any
) -> Security:
    """Record one change of ``issuer`` that issues one security (see :meth:`Change.issue`)."""
    return captable_change_record(
        issuer=issuer,
        description=description,
        by=by,
        approved_by=approved_by,
        build=lambda change: change.issue(**issue),
    )


@use_case(permission="captable.add_security")
def shares_issue(
    *,
    share_class: ShareClass,
    stakeholder: Stakeholder,
    quantity: Decimal | int,
    effective_date: date,
    by: User,
    approved_by: User,
    security_id: str | None = None,
) -> Security:
    """Issue new shares or units of ``share_class`` to ``stakeholder``."""
    return _issued(
        issuer=share_class.issuer,
        description=f"Issue {quantity_text(quantity)} {share_class.name} to {stakeholder}",
        by=by,
        approved_by=approved_by,
        kind=SecurityKind.STOCK,
        stakeholder=stakeholder,
        share_class=share_class,
        quantity=quantity,
        effective_date=effective_date,
        security_id=security_id,
    )


@use_case(permission="captable.change_security")
def security_transfer(
    *,
    security: Security,
    to: Stakeholder,
    quantity: Decimal | int,
    effective_date: date,
    by: User,
    approved_by: User,
) -> Security:
    """Transfer ``quantity`` of ``security`` to ``to``; return the transferee's new security."""

    def build(change: Change) -> Security:
        change.consume(
            security=security,
            kind=MovementKind.TRANSFER,
            quantity=quantity,
            effective_date=effective_date,
        )
        received = change.open_security_like(security, stakeholder=to, issue_date=effective_date)
        change.move(
            security=received,
            kind=MovementKind.TRANSFER,
            quantity=quantity,
            effective_date=effective_date,
        )
        return received

    return captable_change_record(
        issuer=security.issuer,
        description=f"Transfer {quantity_text(quantity)} of {security} to {to}",
        by=by,
        approved_by=approved_by,
        build=build,
    )


@use_case(permission="captable.change_security")
def security_cancel(
    *,
    security: Security,
    effective_date: date,
    by: User,
    approved_by: User,
    quantity: Decimal | int | None = None,
    kind: str = MovementKind.CANCELLATION,
) -> Security | None:
    """Cancel (or repurchase) ``quantity`` of ``security``, all of it by default."""
    if kind not in {MovementKind.CANCELLATION, MovementKind.REPURCHASE}:
        raise InvalidMovement(f"{kind} is not a cancellation")
    return captable_change_record(
        issuer=security.issuer,
        description=f"{kind.title()} of {quantity or 'all'} of {security}",
        by=by,
        approved_by=approved_by,
        build=lambda change: change.consume(
            security=security, kind=kind, quantity=quantity, effective_date=effective_date
        ),
    )


@use_case(permission="captable.change_security")
def stock_convert(
    *,
    security: Security,
    to_class: ShareClass,
    effective_date: date,
    by: User,
    approved_by: User,
) -> Security:
    """Convert all of a share security into ``to_class`` at the classes' conversion ratios."""

    def build(change: Change) -> Security:
        from_class = security.share_class
        if from_class is None:
            raise InvalidMovement(f"{security} is in no class: only shares convert")
        held = change.units(security)
        ratio = Fraction(from_class.conversion_ratio) / Fraction(to_class.conversion_ratio)
        converted = Fraction(held) * ratio
        units = Decimal(converted.numerator) / Decimal(converted.denominator)
        change.consume(
            security=security,
            kind=MovementKind.CONVERSION,
            quantity=None,
            effective_date=effective_date,
        )
        return change.issue(
            kind=SecurityKind.STOCK,
            stakeholder=security.stakeholder,
            share_class=to_class,
            quantity=units_rounded(units),
            effective_date=effective_date,
        )

    return captable_change_record(
        issuer=security.issuer,
        description=f"Conversion of {security} into {to_class.name}",
        by=by,
        approved_by=approved_by,
        build=build,
    )


@use_case(permission="captable.change_shareclass")
def share_class_split(
    *,
    share_class: ShareClass,
    ratio: Fraction,
    effective_date: date,
    by: User,
    approved_by: User,
) -> None:
    """Multiply every holding of ``share_class`` (and its authorised units) by ``ratio``.

    A consolidation is a ratio below one. Each holding must stay exact to 10 decimals.
    """
    if ratio <= 0:
        raise InvalidMovement("a split ratio must be positive")

    def build(change: Change) -> None:
        outstanding = (
            Movement.objects.filter(share_class=share_class, security_kind=SecurityKind.STOCK)
            .values_list("security_id", flat=True)
            .distinct()
        )
        securities = Security.objects.filter(pk__in=outstanding).select_related(
            "share_class", "stakeholder"
        )
        if share_class.authorised_units is not None:
            scaled = Fraction(share_class.authorised_units) * ratio
            model_update(
                instance=share_class,
                fields=["authorised_units"],
                data={"authorised_units": Decimal(scaled.numerator) / Decimal(scaled.denominator)},
                by=approved_by,
            )
            change._class_outstanding.pop(share_class.pk, None)
        for security in securities:
            held = change.units(security)
            if not held:
                continue
            delta = Fraction(held) * (ratio - 1)
            change.move(
                security=security,
                kind=MovementKind.SPLIT,
                quantity=_exact(
                    Decimal(delta.numerator) / Decimal(delta.denominator), what=security.security_id
                ),
                effective_date=effective_date,
            )

    captable_change_record(
        issuer=share_class.issuer,
        description=f"Split of {share_class.name} by {ratio}",
        by=by,
        approved_by=approved_by,
        build=build,
    )


@use_case(permission="captable.change_equityplan")
def pool_reserve(
    *, plan: EquityPlan, quantity: Decimal | int, effective_date: date, by: User, approved_by: User
) -> None:
    """Reserve ``quantity`` more units (or fewer, if negative) in ``plan``'s pool."""
    captable_change_record(
        issuer=plan.issuer,
        description=f"Pool of {plan.name}: {quantity:+}",
        by=by,
        approved_by=approved_by,
        build=lambda change: change.reserve_pool(
            plan=plan, quantity=quantity, effective_date=effective_date
        ),
    )


@use_case(permission="captable.add_security")
def options_grant(
    *,
    plan: EquityPlan,
    stakeholder: Stakeholder,
    quantity: Decimal | int,
    exercise_price_minor: int,
    effective_date: date,
    by: User,
    approved_by: User,
    vesting_terms: VestingTerms | None = None,
    vesting_start_date: date | None = None,
    expiration_date: date | None = None,
    security_id: str | None = None,
) -> Security:
    """Grant options from ``plan``'s pool."""
    return _issued(
        issuer=plan.issuer,
        description=f"Grant of {quantity_text(quantity)} options to {stakeholder}",
        by=by,
        approved_by=approved_by,
        kind=SecurityKind.OPTION,
        stakeholder=stakeholder,
        share_class=plan.share_class,
        plan=plan,
        quantity=quantity,
        effective_date=effective_date,
        exercise_price_minor=exercise_price_minor,
        vesting_terms=vesting_terms,
        vesting_start_date=vesting_start_date or effective_date,
        expiration_date=expiration_date,
        security_id=security_id,
    )


@use_case(permission="captable.add_security")
def warrant_issue(
    *,
    share_class: ShareClass,
    stakeholder: Stakeholder,
    quantity: Decimal | int,
    exercise_price_minor: int,
    effective_date: date,
    by: User,
    approved_by: User,
    expiration_date: date | None = None,
) -> Security:
    """Issue warrants on ``share_class``."""
    return _issued(
        issuer=share_class.issuer,
        description=f"Warrants on {quantity_text(quantity)} {share_class.name} to {stakeholder}",
        by=by,
        approved_by=approved_by,
        kind=SecurityKind.WARRANT,
        stakeholder=stakeholder,
        share_class=share_class,
        quantity=quantity,
        effective_date=effective_date,
        exercise_price_minor=exercise_price_minor,
        expiration_date=expiration_date,
    )


@use_case(permission="captable.change_security")
def security_exercise(
    *,
    security: Security,
    quantity: Decimal | int,
    effective_date: date,
    by: User,
    approved_by: User,
) -> Security:
    """Exercise options or warrants into shares of their class; return the new shares."""
    if security.kind not in {SecurityKind.OPTION, SecurityKind.WARRANT}:
        raise InvalidMovement(f"security {security.security_id} cannot be exercised")

    def build(change: Change) -> Security:
        change.consume(
            security=security,
            kind=MovementKind.EXERCISE,
            quantity=quantity,
            effective_date=effective_date,
        )
        return change.issue(
            kind=SecurityKind.STOCK,
            stakeholder=security.stakeholder,
            share_class=security.share_class,
            quantity=quantity,
            effective_date=effective_date,
        )

    return captable_change_record(
        issuer=security.issuer,
        description=f"Exercise of {quantity_text(quantity)} of {security}",
        by=by,
        approved_by=approved_by,
        build=build,
    )


@use_case(permission="captable.add_security")
def convertible_issue(
    *,
    issuer: Issuer,
    stakeholder: Stakeholder,
    convertible_type: str,
    terms: ConvertibleTerms,
    effective_date: date,
    by: User,
    approved_by: User,
    security_id: str | None = None,
) -> Security:
    """Issue a SAFE, BSA AIR or convertible note."""
    return _issued(
        issuer=issuer,
        description=f"{convertible_type.upper()} of {terms.principal} to {stakeholder}",
        by=by,
        approved_by=approved_by,
        kind=SecurityKind.CONVERTIBLE,
        stakeholder=stakeholder,
        quantity=1,
        amount_minor=terms.principal.amount_minor,
        effective_date=effective_date,
        convertible_type=convertible_type,
        terms=terms.to_json(),
        security_id=security_id,
    )


@use_case(permission="captable.change_security")
def convertibles_convert(
    *,
    securities: Sequence[Security],
    into: ShareClass,
    round_terms: RoundTerms,
    effective_date: date,
    by: User,
    approved_by: User,
) -> list[Security]:
    """Convert convertibles at a priced round into shares of ``into`` (whole shares, rounded
    down; the fraction each holder leaves is recorded by the conversion)."""
    results = convert_all(
        [ConvertibleTerms.from_json(security.terms) for security in securities], round_terms
    )

    def build(change: Change) -> list[Security]:
        issued = []
        for security, result in zip(securities, results, strict=True):
            change.consume(
                security=security,
                kind=MovementKind.CONVERSION,
                quantity=None,
                effective_date=effective_date,
            )
            if result.shares:
                issued.append(
                    change.issue(
                        kind=SecurityKind.STOCK,
                        stakeholder=security.stakeholder,
                        share_class=into,
                        quantity=result.shares,
                        effective_date=effective_date,
                    )
                )
        return issued

    return captable_change_record(
        issuer=into.issuer,
        description=f"Conversion of {len(securities)} convertible(s) into {into.name}",
        by=by,
        approved_by=approved_by,
        build=build,
    )
