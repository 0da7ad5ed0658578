"""Writes of compliance: rule set versions, assessments, sanctions lists, screening and hits.

Assessments are decided by the rules (:mod:`apps.compliance.rules`) under the rule set version
in force on the assessment date, or by a compliance officer with reasons; both are recorded
with who decided and until when the decision holds. A sanctions hit puts the investor on hold
until an officer clears or confirms it.
"""

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.accounts.models import User
from apps.compliance.locks import screening_hit_lock
from apps.compliance.models import (
    Assessment,
    HitState,
    Outcome,
    RuleSet,
    SanctionsEntry,
    SanctionsList,
    ScreeningHit,
)
from apps.compliance.rules import (
    REGIMES,
    Step,
    answer_is_step,
    evaluate,
    thresholds_from_json,
    thresholds_to_json,
)
from apps.compliance.sanctions import ListEntry, Person, SanctionsIndex, parse_sanctions_csv
from apps.core.exceptions import DomainError
from apps.core.history import acting, history_bulk_record
from apps.core.locks import name_lock
from apps.core.money import MONEY_JSON_KEYS, Money
from apps.core.services import use_case
from apps.core.validators import texts_without_control_characters
from apps.investors.models import BeneficialOwner, Investor, SanctionsStatus


class NoRuleSetInForce(DomainError):
    code = "compliance_no_rule_set"


class HitAlreadyDecided(DomainError):
    code = "compliance_hit_decided"


def answers_to_json(answers: dict[str, Any]) -> dict[str, Any]:
    """Encode answers for storage, exactly.

    Amounts are written as :meth:`Money.to_json` writes them, dates as ``{"date": ISO 8601}``,
    a procedure step as ``{"step": {"on": ISO 8601, "by": ..., "document": ...}}``, lists item
    by item; anything else as it is.
    """

    def encode(value: Any) -> Any:
        if isinstance(value, Money):
            return value.to_json()
        if isinstance(value, Step):
            step = {"on": value.on.isoformat(), "by": value.by, "document": value.document}
            return {"step": step}
        if isinstance(value, date):
            return {"date": value.isoformat()}
        if isinstance(value, list | tuple):
            return [encode(item) for item in value]
        return value

    return {key: encode(value) for key, value in answers.items()}


def answers_from_json(data: dict[str, Any]) -> dict[str, Any]:
    """Return the answers that :func:`answers_to_json` encoded as ``data``."""

    def decode(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == MONEY_JSON_KEYS:
            return Money.from_json(value)
        if isinstance(value, dict) and set(value) == {"date"}:
            return date.fromisoformat(value["date"])
        if isinstance(value, dict) and set(value) == {"step"}:
            step = value["step"]
            return Step(date.fromisoformat(step["on"]), step["by"], step["document"])
        if isinstance(value, list):
            return [decode(item) for item in value]
        return value

    return {key: decode(value) for key, value in data.items()}


def _regime(code: str) -> None:
    if code not in REGIMES:
        raise ValidationError(f"{code!r} is not a qualification regime")


@use_case(permission="compliance.add_ruleset")
def rule_set_publish(
    *,
    regime: str,
    effective_from: date,
    thresholds: dict[str, Any],
    by: User,
    notes: str = "",
) -> RuleSet:
    """Publish a new version of ``regime``'s thresholds, in force from ``effective_from``."""
    _regime(regime)
    stored = thresholds_to_json(thresholds)
    thresholds_from_json(stored)  # refuses what cannot be read back
    name_lock(f"compliance.rule_set.{regime}")  # numbers the regime's versions one at a time
    latest = RuleSet.objects.filter(regime=regime).aggregate(v=Max("version"))
    rule_set = RuleSet(
        regime=regime,
        version=(latest["v"] or 0) + 1,
        effective_from=effective_from,
        thresholds=stored,
        notes=notes,
        created_by=by,
    )
    rule_set.full_clean()
    rule_set.save()
    return rule_set


def rule_set_in_force(*, regime: str, on: date) -> RuleSet:
    rule_set = (
        RuleSet.objects.filter(regime=regime, effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )
    if rule_set is None:
        raise NoRuleSetInForce(f"no rule set of {regime} is in force on {on}", regime=regime)
    return rule_set


def deciding_day(regime: str, answers: dict[str, Any], on: date) -> date:
    """Return the day whose rule set version decides an assessment made ``on``: the day of
    the step the law dates it by (the UK statement's signing), if recorded by then and some
    version was in force on it; else the assessment's own day."""
    step = REGIMES[regime].decided_by
    recorded = answers.get(step) if step else None
    if (
        isinstance(recorded, Step)
        and recorded.on <= on
        and RuleSet.objects.filter(regime=regime, effective_from__lte=recorded.on).exists()
    ):
        return recorded.on
    return on


@use_case(permission="compliance.add_assessment", on="investor")
def assessment_record(
    *,
    investor: Investor,
    regime: str,
    answers: dict[str, Any],
    by: User,
    on: date | None = None,
    ticket: Money | None = None,
    evidence: str = "",
) -> Assessment:
    """Let the rules decide whether ``investor`` qualifies under ``regime`` on ``on``."""
    _regime(regime)
    on = on or timezone.localdate()
    rule_set = rule_set_in_force(regime=regime, on=deciding_day(regime, answers, on))
    decision = evaluate(
        regime=regime,
        thresholds=thresholds_from_json(rule_set.thresholds),
        investor_type=investor.kind,
        answers=answers,
        assessed_on=on,
        ticket=ticket,
    )
    return _assessment_save(
        Assessment(
            investor=investor,
            rule_set=rule_set,
            regime=regime,
            answers=answers_to_json(answers),
            evidence=evidence,
            outcome=decision.outcome.value,
            reasons=list(decision.reasons),
            assessed_on=on,
            valid_until=decision.valid_until,
            decided_by=None,
            recorded_by=by,
        )
    )


@use_case(permission="compliance.decide_assessment", on="investor")
def assessment_decide(
    *,
    investor: Investor,
    regime: str,
    outcome: str,
    reasons: list[str],
    by: User,
    valid_until: date | None,
    evidence: str = "",
    on: date | None = None,
) -> Assessment:
    """Record a compliance officer's own decision (the manual regime, or an override)."""
    _regime(regime)
    if outcome not in Outcome.values or not [reason for reason in reasons if reason.strip()]:
        raise ValidationError("a decision needs an outcome and at least one reason")
    on = on or timezone.localdate()
    return _assessment_save(
        Assessment(
            investor=investor,
            rule_set=rule_set_in_force(regime=regime, on=on),
            regime=regime,
            evidence=evidence,
            outcome=outcome,
            reasons=reasons,
            assessed_on=on,
            valid_until=valid_until,
            decided_by=by,
            recorded_by=by,
        )
    )


@use_case(permission="compliance.add_assessment", on="investor")
def qualification_step_record(
    *,
    investor: Investor,
    regime: str,
    step: str,
    taken: Step,
    by: User,
    on: date | None = None,
) -> Assessment:
    """Record one step of a procedure the law requires (a request, a warning, a statement, a
    declaration, a confirmation) and assess again: the investor's latest assessment under
    ``regime`` (by the rules, not an officer's decision) with ``step`` now recorded as
    ``taken``. A procedure is built up this way, one document at a time; each assessment keeps
    the facts it was decided on."""
    _regime(regime)
    if step not in REGIMES[regime].answer_fields or not answer_is_step(step):
        raise ValidationError({"step": f"{step!r} is not a step of {regime}'s procedures"})
    on = on or timezone.localdate()
    latest = (
        Assessment.objects.filter(investor=investor, regime=regime, decided_by__isnull=True)
        .order_by("-assessed_on", "-pk")
        .first()
    )
    answers = answers_from_json(latest.answers) if latest is not None else {}
    return assessment_record.step(
        investor=investor,
        regime=regime,
        answers={**answers, step: taken},
        by=by,
        on=on,
        evidence=latest.evidence if latest is not None else "",
    )


def _assessment_save(assessment: Assessment) -> Assessment:
    """Validate an assessment (its evidence and reasons among the rest), then save it."""
    assessment.full_clean()
    assessment.save()
    return assessment


# --- sanctions --------------------------------------------------------------------------------


@use_case(permission="compliance.add_sanctionslist")
def sanctions_list_import(
    *, name: str, csv_text: str | bytes, by: User, source_name: str = ""
) -> SanctionsList:
    """Import a consolidated list (every line checked first) and re-screen everyone after.

    ``csv_text`` is the list's text, or the bytes of its file (UTF-8); a list that cannot be
    read raises ``SanctionsListError`` naming each line and field, and nothing is written.
    """
    entries = parse_sanctions_csv(csv_text)
    imported = SanctionsList(
        name=name, source_name=source_name, imported_by=by, entry_count=len(entries)
    )
    imported.full_clean()
    imported.save()
    SanctionsEntry.objects.bulk_create(
        [
            SanctionsEntry(
                sanctions_list=imported,
                entry_id=entry.entry_id,
                name=entry.name,
                aliases=list(entry.aliases),
                birth_date=entry.birth_date,
                birth_year=entry.birth_year,
                countries=list(entry.countries),
                list_name=entry.list_name,
                listed_on=entry.listed_on,
            )
            for entry in entries
        ],
        batch_size=2000,
    )
    from apps.compliance.tasks import sanctions_rescreen

    transaction.on_commit(lambda: sanctions_rescreen.delay())
    return imported


def _current_entries() -> dict[str, SanctionsEntry]:
    """The entries of the newest import of each list name."""
    newest = {}
    for imported in SanctionsList.objects.order_by("imported_at"):
        newest[imported.name] = imported.pk
    entries = SanctionsEntry.objects.filter(sanctions_list_id__in=newest.values())
    return {f"{entry.sanctions_list_id}:{entry.entry_id}": entry for entry in entries}


def _persons(investors: Iterable[Investor]) -> list[Person]:
    persons = []
    for investor in investors:
        persons.append(
            Person(
                key=f"i:{investor.pk}",
                name=investor.legal_name,
                birth_date=investor.date_of_birth,
                countries=(investor.country_of_residence,),
            )
        )
    owners = BeneficialOwner.objects.filter(entity__in=[i.pk for i in investors])
    for owner in owners:
        persons.append(
            Person(
                key=f"o:{owner.pk}:{owner.entity_id}",
                name=owner.name,
                birth_date=owner.date_of_birth,
                countries=(owner.country_of_residence,),
            )
        )
    return persons


@use_case(permission="compliance.add_screeninghit")
def sanctions_screen_all(*, by: User, progress: Callable[[int, int], None] | None = None) -> int:
    """Screen every investor and beneficial owner against the current lists; return new hits.

    A new possible match opens a hit and puts the investor on hold; an investor with no open or
    confirmed hit is clear.
    """
    entries = _current_entries()
    index = SanctionsIndex(
        [
            ListEntry(
                entry_id=key,
                name=entry.name,
                aliases=tuple(entry.aliases),
                birth_date=entry.birth_date,
                birth_year=entry.birth_year,
                countries=tuple(entry.countries),
                list_name=entry.list_name,
                listed_on=entry.listed_on,
            )
            for key, entry in entries.items()
        ]
    )
    investors = list(Investor.objects.order_by("pk"))
    persons = _persons(investors)
    names = {person.key: person.name for person in persons}
    matches = index.screen_all(
        persons,
        name_threshold=settings.SANCTIONS_NAME_THRESHOLD,
        match_threshold=settings.SANCTIONS_MATCH_THRESHOLD,
        progress=progress,
    )
    existing: set[tuple[int, int | None, int]] = set(
        ScreeningHit.objects.values_list("investor_id", "beneficial_owner_id", "entry_id")
    )
    hits = []
    for match in matches:
        kind, *ids = match.person_key.split(":")
        owner_id = int(ids[0]) if kind == "o" else None
        investor_id = int(ids[1]) if kind == "o" else int(ids[0])
        entry = entries[match.entry_id]
        if (investor_id, owner_id, entry.pk) in existing:
            continue
        existing.add((investor_id, owner_id, entry.pk))
        hits.append(
            ScreeningHit(
                investor_id=investor_id,
                beneficial_owner_id=owner_id,
                entry=entry,
                screened_name=names[match.person_key],
                score=match.score,
                name_score=match.name_score,
                reasons=list(match.reasons),
            )
        )
    ScreeningHit.objects.bulk_create(hits, batch_size=2000)
    _sanctions_statuses_refresh([investor.pk for investor in investors], by=by)
    return len(hits)


def _sanctions_statuses_refresh(investor_ids: list[int], *, by: User) -> None:
    confirmed = set(
        ScreeningHit.objects.filter(state=HitState.CONFIRMED).values_list("investor_id", flat=True)
    )
    open_hits = set(
        ScreeningHit.objects.filter(state=HitState.OPEN).values_list("investor_id", flat=True)
    )
    for status, ids in (
        (SanctionsStatus.CONFIRMED, confirmed),
        (SanctionsStatus.ON_HOLD, open_hits - confirmed),
        (SanctionsStatus.CLEAR, set(investor_ids) - confirmed - open_hits),
    ):
        changed = list(
            Investor.objects.filter(pk__in=ids & set(investor_ids)).exclude(sanctions_status=status)
        )
        now = timezone.now()
        for investor in changed:
            investor.sanctions_status = status
            investor.updated_at = now
        Investor.objects.bulk_update(changed, ["sanctions_status", "updated_at"], batch_size=1000)
        history_bulk_record(
            Investor, changed, by=by, reason=f"sanctions screening: {status.label.lower()}"
        )


@use_case(permission="compliance.change_screeninghit", on="hit")
def screening_hit_decide(
    *, hit: ScreeningHit, confirmed: bool, reason: str, by: User
) -> ScreeningHit:
    """Clear a possible match (not the same person) or confirm it, saying why."""
    if not reason.strip():
        raise ValidationError("say why the match is cleared or confirmed")
    texts_without_control_characters(reason=reason, multiline=True)
    locked = screening_hit_lock(hit.pk)
    if locked.state != HitState.OPEN:
        raise HitAlreadyDecided(f"this match was already {locked.state}", hit=locked.pk)
    locked.state = HitState.CONFIRMED if confirmed else HitState.CLEARED
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.decision_reason = reason
    locked.save()
    with acting(user=by):
        _sanctions_statuses_refresh([locked.investor_id], by=by)
    return locked
