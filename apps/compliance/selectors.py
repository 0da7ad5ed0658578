"""Reads of compliance: which regimes apply, and whether an investor may invest in a deal."""

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from django.utils import timezone

from apps.compliance.models import Assessment, Outcome
from apps.compliance.rules import REGIMES, evaluate, thresholds_from_json
from apps.compliance.services import answers_from_json, rule_set_in_force
from apps.core.money import Money
from apps.investors.models import Investor, KycState, SanctionsStatus

MANUAL = "default_manual"
# Regimes whose outcome depends on the amount subscribed.
TICKET_REGIMES = frozenset({"fr_min_ticket_100k", "de_semi_professional"})


class OfferingTerms(Protocol):
    """What eligibility needs of a deal: the qualification regimes it accepts."""

    eligible_regimes: list[str]


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: list[str] = field(default_factory=list)
    regime: str | None = None


def regimes_for(investor: Investor, *, accepted: list[str]) -> list[str]:
    """Return the regimes of ``accepted`` that apply in the investor's country of residence.

    Where none applies, a compliance officer decides (the manual regime), if the deal accepts it.
    """
    applying = [
        code for code in accepted if investor.country_of_residence in REGIMES[code].countries
    ]
    if not applying and MANUAL in accepted:
        applying = [MANUAL]
    return applying


def _latest_assessment(investor: Investor, regime: str, on: date) -> Assessment | None:
    return (
        Assessment.objects.filter(investor=investor, regime=regime, assessed_on__lte=on)
        .order_by("-assessed_on", "-pk")
        .first()
    )


def eligibility(investor: Investor, deal: OfferingTerms, ticket: Money) -> Eligibility:
    """Say whether ``investor`` may subscribe ``ticket`` to ``deal``, with every reason."""
    today = timezone.localdate()
    blocking: list[str] = []
    if investor.kyc_state != KycState.APPROVED:
        blocking.append(f"KYC is {investor.get_kyc_state_display().lower()}, not approved")
    elif investor.kyc_review_due and investor.kyc_review_due < today:
        blocking.append(f"KYC review was due on {investor.kyc_review_due}")
    if investor.sanctions_status != SanctionsStatus.CLEAR:
        blocking.append(f"sanctions screening: {investor.get_sanctions_status_display().lower()}")
    regimes = regimes_for(investor, accepted=list(deal.eligible_regimes))
    if not regimes:
        blocking.append(
            f"the deal accepts no regime that applies in {investor.country_of_residence}"
        )
    missed: list[str] = []
    for regime in regimes:
        outcome, why = _qualification(investor, regime, ticket=ticket, on=today)
        if outcome == Outcome.QUALIFIED:
            if blocking:
                break
            return Eligibility(True, [f"qualified under {regime}", *why], regime)
        missed.extend(f"{regime}: {reason}" for reason in why)
    return Eligibility(False, [*blocking, *missed])


def _qualification(
    investor: Investor, regime: str, *, ticket: Money, on: date
) -> tuple[str, list[str]]:
    """Return the outcome under ``regime`` and its reasons, for this ticket, on ``on``."""
    assessment = _latest_assessment(investor, regime, on)
    if assessment is None:
        return Outcome.NEEDS_EVIDENCE, ["not assessed yet"]
    if assessment.valid_until and assessment.valid_until < on:
        return Outcome.NEEDS_EVIDENCE, [f"the assessment expired on {assessment.valid_until}"]
    if regime in TICKET_REGIMES and assessment.decided_by_id is None:
        rule_set = rule_set_in_force(regime=regime, on=on)
        decision = evaluate(
            regime=regime,
            thresholds=thresholds_from_json(rule_set.thresholds),
            investor_type=investor.kind,
            answers=answers_from_json(assessment.answers),
            assessed_on=on,
            ticket=ticket,
        )
        return decision.outcome.value, list(decision.reasons)
    return assessment.outcome, list(assessment.reasons)
