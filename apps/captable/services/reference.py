"""Reference data of cap tables: issuers, share classes, stakeholders, equity plans, vesting terms.

A record is validated before it is saved, and its history row names who acted. An update
changes only the fields :data:`REFERENCE_UPDATABLE_FIELDS` allows for its model, under the
issuer's lock: the issuer a record belongs to and what the books or the cap table are kept in are
fixed when it is created, and a class's economic terms (:data:`CLASS_ECONOMIC_TERMS`) change
only while it has nothing outstanding. A refused update names each field and writes nothing.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.utils import bulk_create_with_history

from apps.accounts.models import User
from apps.captable.locks import issuer_lock
from apps.captable.models import (
    EquityPlan,
    Issuer,
    Movement,
    SecurityKind,
    ShareClass,
    Stakeholder,
    VestingTerms,
)
from apps.captable.quantities import exact_sum, quantity_text
from apps.core.history import acting, history_stamp_custom_attrs
from apps.core.services import model_update, use_case

# The reference data reference_update changes.
ReferenceT = TypeVar("ReferenceT", Issuer, ShareClass, Stakeholder, EquityPlan, VestingTerms)


@use_case(permission="captable.add_issuer")
def issuer_create(
    *,
    name: str,
    kind: str,
    legal_form: str,
    country: str,
    currency: str,
    by: User,
    legal_name: str = "",
    formation_date: date | None = None,
    ocf_id: str = "",
) -> Issuer:
    from apps.core.money import minor_unit_digits

    minor_unit_digits(currency)  # refuses a code that is not money
    issuer = Issuer(
        name=name,
        kind=kind,
        legal_form=legal_form,
        country=country,
        currency=currency,
        legal_name=legal_name,
        formation_date=formation_date,
        ocf_id=ocf_id,
    )
    return _save(issuer, by)


def _save(instance: models.Model, by: User) -> Any:
    instance.full_clean()
    with acting(user=by):
        instance.save()
    return instance


# What an update of each reference record may change. The issuer a record belongs to, and
# what the books or the cap table are kept in (an issuer's kind and currency, a stakeholder's
# party, a plan's class, ids from another tool), are fixed when it is created. A class's
# economic terms change only while it has nothing outstanding; after that, by a corporate action.
REFERENCE_UPDATABLE_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Issuer: ("name", "legal_name", "legal_form", "country", "formation_date"),
    ShareClass: (
        "name",
        "authorised_units",
        "seniority",
        "votes_per_unit",
        "class_type",
        "price_per_unit_minor",
        "liquidation_preference_multiple",
        "participating",
        "participation_cap_multiple",
        "conversion_ratio",
    ),
    Stakeholder: ("name", "kind", "role"),
    EquityPlan: ("name",),
    VestingTerms: ("name", "cliff_months", "duration_months", "frequency_months"),
}
CLASS_ECONOMIC_TERMS = (
    "class_type",
    "price_per_unit_minor",
    "liquidation_preference_multiple",
    "participating",
    "participation_cap_multiple",
    "conversion_ratio",
)


def reference_update_refusals(*, instance: models.Model, data: dict[str, Any]) -> dict[str, str]:
    """Say, field by field, why ``data`` cannot change ``instance`` (nothing when it can)."""
    allowed = REFERENCE_UPDATABLE_FIELDS[type(instance)]
    changed = {name: value for name, value in data.items() if getattr(instance, name) != value}
    label = instance._meta.verbose_name
    refusals = {
        name: f"the {name.replace('_', ' ')} of a {label} is fixed when it is created"
        for name in changed
        if name not in allowed
    }
    if isinstance(instance, ShareClass) and instance.pk is not None:
        outstanding = exact_sum(
            Movement.objects.filter(share_class=instance, security_kind=SecurityKind.STOCK)
        )
        authorised = changed.get("authorised_units")
        if authorised is not None and authorised < outstanding:
            refusals["authorised_units"] = (
                f"{quantity_text(outstanding)} units of {instance.name} are outstanding: at least "
                "that many stay authorised"
            )
        if outstanding:
            for name in CLASS_ECONOMIC_TERMS:
                if name in changed:
                    refusals[name] = (
                        f"{instance.name} has {quantity_text(outstanding)} units outstanding: its "
                        "economic terms change only by a corporate action"
                    )
    return refusals


@use_case(permission="captable.change_{model}", on="instance")
def reference_update(*, instance: ReferenceT, data: dict[str, Any], by: User) -> ReferenceT:
    """Change the whitelisted fields of an issuer, class, stakeholder, plan or vesting terms,
    under the issuer's lock; refuse anything else, naming each field, and write nothing."""
    issuer_id = instance.pk if isinstance(instance, Issuer) else instance.issuer_id
    issuer_lock(issuer_id)
    locked = type(instance).objects.get(pk=instance.pk)
    refusals = reference_update_refusals(instance=locked, data=data)
    if refusals:
        raise ValidationError(refusals)
    with acting(user=by):
        locked, _ = model_update(
            instance=locked,
            fields=list(REFERENCE_UPDATABLE_FIELDS[type(instance)]),
            data={name: value for name, value in data.items() if getattr(locked, name) != value},
            by=by,
        )
    return locked


@use_case(permission="captable.add_shareclass")
def share_class_create(
    *, issuer: Issuer, name: str, class_type: str, by: User, **fields: Any
) -> ShareClass:
    return _save(ShareClass(issuer=issuer, name=name, class_type=class_type, **fields), by)


@use_case(permission="captable.add_stakeholder")
def stakeholder_create(
    *, issuer: Issuer, name: str, kind: str, by: User, **fields: Any
) -> Stakeholder:
    return _save(Stakeholder(issuer=issuer, name=name, kind=kind, **fields), by)


@use_case(permission="captable.add_stakeholder")
def stakeholders_bulk_create(
    *, issuer: Issuer, rows: Sequence[dict[str, Any]], by: User
) -> list[Stakeholder]:
    """Create many stakeholders of ``issuer`` in one write, with their history rows.

    Each row holds a stakeholder's fields; a row that does not validate is refused with its
    name and id, and nothing is written.
    """
    stakeholders = [Stakeholder(issuer=issuer, **row) for row in rows]
    ids = [s.ocf_id for s in stakeholders if s.ocf_id]
    taken = set(
        Stakeholder.objects.filter(issuer=issuer, ocf_id__in=ids).values_list("ocf_id", flat=True)
    )
    seen: set[str] = set()
    for stakeholder in stakeholders:
        where = f"stakeholder {stakeholder.name!r}" + (
            f" (id {stakeholder.ocf_id})" if stakeholder.ocf_id else ""
        )
        if stakeholder.ocf_id and (stakeholder.ocf_id in seen or stakeholder.ocf_id in taken):
            raise ValidationError(f"{where}: another stakeholder of {issuer} has this id")
        seen.add(stakeholder.ocf_id)
        try:
            # The issuer is the one given (and locked by the caller): not looked up per row.
            stakeholder.full_clean(
                exclude=["issuer"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            raise ValidationError(f"{where}: {'; '.join(error.messages)}") from error
    return bulk_create_with_history(
        stakeholders,
        Stakeholder,
        batch_size=2000,
        default_user=by,
        custom_historical_attrs=history_stamp_custom_attrs(),
    )


@use_case(permission="captable.add_equityplan")
def plan_create(
    *, issuer: Issuer, name: str, share_class: ShareClass, by: User, ocf_id: str = ""
) -> EquityPlan:
    return _save(EquityPlan(issuer=issuer, name=name, share_class=share_class, ocf_id=ocf_id), by)


@use_case(permission="captable.add_vestingterms")
def vesting_terms_create(*, issuer: Issuer, name: str, by: User, **fields: Any) -> VestingTerms:
    return _save(VestingTerms(issuer=issuer, name=name, **fields), by)
