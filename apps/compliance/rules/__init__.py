"""Investor qualification: pure evaluators of the eight regimes, with their thresholds as data.

This package owns the rules by which an investor qualifies under each regime of DOMAIN.md
("Investor qualification"). It reads no model and no database: ``evaluate`` takes the
thresholds of the rule set version in force (``REGIMES[code].default_thresholds`` or a stored
version, kept in a JSONField through ``thresholds_to_json`` and ``thresholds_from_json``), the
investor's answers and the date of the assessment, and returns a ``Decision`` with its reasons.

The rule it keeps: a decision is never a guess. Every qualifying route is checked and named in
the reasons. An answer that is not given is evidence still needed, never a no; an amount in
another currency than the regime's is never converted, it is evidence still needed too. The
investor qualifies when one route is met with every answer it reads; is not qualified when every
route fails on answers given; otherwise needs evidence. A threshold in the wrong currency, a
missing or unknown threshold is a broken rule set and raises ``ValueError``.

"Over" a threshold means strictly greater; "at least" and "or more" mean greater or equal.

A decision is valid until a date only where a dated document makes it so: the UK statement's
date plus ``statement_valid_months`` (calendar months, clamped to the month's end), or in a
506(c) offering the verification's date plus ``verification_valid_days``.

The package: ``base`` holds the machinery the regimes share (result types, answers, findings,
one assessment's case) and ``thresholds`` checks a rule set's thresholds and stores them as
JSON. Each jurisdiction's module holds its regimes' default thresholds, evaluators and the
documentation of their answers: ``us``, ``uk``, ``eu``, ``fr``, ``de``, ``ch`` and ``manual``
(the other countries). The registry of the regimes and of their evaluators is here.

Answers are plain values: ``Money`` for amounts, ``date`` for dates, ``bool``, ``int``, lists
of strings or of amounts, and ``Step`` for a step of a procedure the law requires (when, by
whom, which document): a route missing a step needs evidence, naming the step. A key absent
or ``None`` is not answered, except where said below.
The keys each regime reads, and its threshold keys, by jurisdiction (each documented in its
module, and gathered here when the package is imported):
"""

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from apps.compliance.rules import ch, de, eu, fr, manual, uk, us
from apps.compliance.rules.base import (
    _ANSWERS,
    INVESTOR_TYPES,
    Decision,
    Outcome,
    Regime,
    Step,
    _Case,
    _Result,
)
from apps.compliance.rules.ch import _ch_finsa
from apps.compliance.rules.de import _de_semi_professional
from apps.compliance.rules.eu import _eu_mifid
from apps.compliance.rules.fr import _fr_min_ticket
from apps.compliance.rules.manual import _default_manual
from apps.compliance.rules.thresholds import (
    _checked_thresholds,
    thresholds_from_json,
    thresholds_to_json,
)
from apps.compliance.rules.uk import _uk_certified_hnw, _uk_sophisticated
from apps.compliance.rules.us import _us_reg_d
from apps.core.money import Money

__all__ = [
    "INVESTOR_TYPES",
    "REGIMES",
    "Decision",
    "Outcome",
    "Regime",
    "Step",
    "answer_is_step",
    "evaluate",
    "thresholds_from_json",
    "thresholds_to_json",
]

REGIMES: dict[str, Regime] = {
    regime.code: regime
    for regime in (
        us.REG_D_ACCREDITED,
        uk.CERTIFIED_HNW,
        uk.SELF_CERTIFIED_SOPHISTICATED,
        eu.MIFID_PROFESSIONAL,
        fr.MIN_TICKET_100K,
        de.SEMI_PROFESSIONAL,
        ch.FINSA_OPTING_OUT,
        manual.DEFAULT_MANUAL,
    )
}

_EVALUATORS: dict[str, Callable[[_Case, str], _Result]] = {
    "us_reg_d_accredited": _us_reg_d,
    "uk_certified_hnw": _uk_certified_hnw,
    "uk_self_certified_sophisticated": _uk_sophisticated,
    "eu_mifid_professional": _eu_mifid,
    "fr_min_ticket_100k": _fr_min_ticket,
    "de_semi_professional": _de_semi_professional,
    "ch_finsa_opting_out": _ch_finsa,
    "default_manual": _default_manual,
}


def answer_is_step(key: str) -> bool:
    """Whether the answer ``key`` is a step of a procedure (a ``Step``), not a figure."""
    return key in _ANSWERS and _ANSWERS[key][0] == "step"


def evaluate(
    *,
    regime: str,
    thresholds: Mapping[str, Any],
    investor_type: str,
    answers: Mapping[str, Any],
    assessed_on: date,
    ticket: Money | None = None,
) -> Decision:
    """Decide whether the investor qualifies under ``regime`` on ``assessed_on``, with reasons.

    ``ticket`` is the initial subscription, read by the regimes that set a minimum ticket.
    """
    if regime not in REGIMES:
        raise ValueError(f"unknown qualification regime {regime!r}")
    if investor_type not in INVESTOR_TYPES:
        raise ValueError(f"investor_type must be one of {INVESTOR_TYPES}, not {investor_type!r}")
    rules = REGIMES[regime]
    case = _Case(
        regime=rules,
        thresholds=_checked_thresholds(rules, thresholds),
        # The ticket is the deal's figure, never an answer of the investor's.
        answers={**answers, "ticket": ticket},
        on=assessed_on,
    )
    finding, valid_until = _EVALUATORS[regime](case, investor_type)
    return Decision(
        outcome=finding.outcome,
        reasons=finding.reasons,
        valid_until=valid_until if finding.outcome is Outcome.QUALIFIED else None,
    )
