"""How OCF's vocabulary maps onto the cap table's, both ways, and OCF's exact numbers.

Numbers: OCF writes quantities and amounts as decimal strings of at most 10 decimals; they are
read with ``Decimal`` and ``Fraction`` and written back without exponent, never through a float.

Correspondences, and what each keeps or loses:

- Issuer: its ``dba``, else its ``legal_name``, is the name; the legal form is guessed from the
  legal name's last word (SAS, GmbH, Ltd, Inc. ...), else "other"; the currency is the one most
  of the package's amounts are in (EUR when it has none). A name that differs from the legal
  name is written back as ``dba``.

- Stakeholder ``stakeholder_type`` INDIVIDUAL / INSTITUTION is the stakeholder's kind. Its
  first relationship gives the role: FOUNDER; EMPLOYEE, EX_EMPLOYEE, NON_US_EMPLOYEE,
  EXECUTIVE, OFFICER are employees; ADVISOR, EX_ADVISOR, CONSULTANT, EX_CONSULTANT,
  BOARD_MEMBER are advisors; INVESTOR; anything else is "other". A vehicle is written as an
  INVESTOR.
- Stock class ``class_type`` COMMON / PREFERRED is the class type; fund units are written as
  COMMON. ``initial_shares_authorized`` is the authorised units ("UNLIMITED" and
  "NOT APPLICABLE" mean no limit). ``seniority`` (higher is paid first, in both) is kept when
  every class has a whole, non-negative one; otherwise the classes are ranked 1, 2, ... in
  the same order. The first ratio conversion right gives the conversion ratio
  (numerator / denominator common units per unit, rounded half up to 10 decimals).
  ``liquidation_preference_multiple`` and ``participation_cap_multiple`` (rounded half up to
  6 decimals) keep their names; a positive participation cap makes the class participating.
  A participating class without a cap cannot be said in OCF and is written without one.
  ``price_per_share`` is kept when it is in the issuer's currency and a whole number of its
  minor units.
- Vesting terms: the chain of conditions from the vesting start is read for its relative
  periods. One monthly period with ``cliff_installment`` c, length f and n occurrences is a
  cliff of c x f months, a duration of n x f months, every f months; a first period of one
  occurrence followed by others is a cliff of its length. Periods in days count 365/12 days a
  month, rounded to whole months. Terms with no relative period (absolute dates, events) are
  kept as the nearest time-based terms: one month, no cliff. Immediate portions at the start,
  and branches after the first next condition, are not kept. Terms are written back as one
  monthly period from the start, whose length is the largest divisor of the frequency, cliff
  and duration.
- Equity compensation (options, SARs, RSUs) is an option security; its exercise (or base)
  price is kept in minor units of the issuer's currency, rounded half up. It is written back
  as OPTION with its exercise price, or RSU when it has none.
- Warrants exercise into the class named by their first exercise trigger's
  ``converts_to_stock_class_id``; a warrant without a quantity takes its fixed-amount
  trigger's ``converts_to_quantity``.
- Convertibles: NOTE is a note and SAFE a SAFE; CONVERTIBLE_SECURITY takes the type of its
  conversion mechanism. From the first SAFE or note conversion mechanism: the valuation cap,
  the discount, the SAFE's timing (POST_MONEY, the default, or PRE_MONEY), the note's first
  interest rate (from its accrual start date, else the issuance date) and its compounding
  (COMPOUNDING is annual). Interest is counted ACT/365 whatever the day count. A BSA AIR is
  written as a SAFE whose conversion timing is PRE_MONEY (its cap is always pre-money), so it
  reads back as a pre-money SAFE, which converts identically.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from math import gcd
from typing import Any

from apps.captable.conversion import ConvertibleTerms
from apps.captable.models import (
    ClassType,
    ConvertibleType,
    LegalForm,
    StakeholderKind,
    StakeholderRole,
    VestingTerms,
)
from apps.captable.quantities import UNIT_SCALE
from apps.core.money import Money, round_fraction

DAYS_PER_MONTH = Fraction(365, 12)
VESTING_START_CONDITION = "start"  # the id of the first condition of the terms written

STAKEHOLDER_KIND = {
    "INDIVIDUAL": StakeholderKind.INDIVIDUAL,
    "INSTITUTION": StakeholderKind.INSTITUTION,
}
STAKEHOLDER_TYPE: dict[str, str] = {kind: name for name, kind in STAKEHOLDER_KIND.items()}

RELATIONSHIP_ROLE = {
    "FOUNDER": StakeholderRole.FOUNDER,
    "EMPLOYEE": StakeholderRole.EMPLOYEE,
    "EX_EMPLOYEE": StakeholderRole.EMPLOYEE,
    "NON_US_EMPLOYEE": StakeholderRole.EMPLOYEE,
    "EXECUTIVE": StakeholderRole.EMPLOYEE,
    "OFFICER": StakeholderRole.EMPLOYEE,
    "ADVISOR": StakeholderRole.ADVISOR,
    "EX_ADVISOR": StakeholderRole.ADVISOR,
    "CONSULTANT": StakeholderRole.ADVISOR,
    "EX_CONSULTANT": StakeholderRole.ADVISOR,
    "BOARD_MEMBER": StakeholderRole.ADVISOR,
    "INVESTOR": StakeholderRole.INVESTOR,
    "OTHER": StakeholderRole.OTHER,
}
ROLE_RELATIONSHIP: dict[str, str] = {
    StakeholderRole.FOUNDER: "FOUNDER",
    StakeholderRole.EMPLOYEE: "EMPLOYEE",
    StakeholderRole.ADVISOR: "ADVISOR",
    StakeholderRole.INVESTOR: "INVESTOR",
    StakeholderRole.VEHICLE: "INVESTOR",
    StakeholderRole.OTHER: "OTHER",
}

CLASS_TYPE = {"COMMON": ClassType.COMMON, "PREFERRED": ClassType.PREFERRED}
CLASS_TYPE_OCF: dict[str, str] = {
    ClassType.COMMON: "COMMON",
    ClassType.PREFERRED: "PREFERRED",
    ClassType.UNITS: "COMMON",
}
NO_LIMIT = ("UNLIMITED", "NOT APPLICABLE")

LEGAL_FORM_SUFFIXES = {
    "sas": LegalForm.SAS,
    "sa": LegalForm.SA,
    "sarl": LegalForm.SARL,
    "scsp": LegalForm.SCSP,
    "scs": LegalForm.SCS,
    "sicav": LegalForm.SICAV,
    "gmbh": LegalForm.GMBH,
    "ag": LegalForm.AG,
    "kg": LegalForm.KG,
    "bv": LegalForm.BV,
    "ltd": LegalForm.LTD,
    "limited": LegalForm.LTD,
    "llp": LegalForm.LLP,
    "lp": LegalForm.LP,
    "llc": LegalForm.LLC,
    "inc": LegalForm.INC,
    "incorporated": LegalForm.INC,
}


def legal_form_of(legal_name: str) -> str:
    """Guess the legal form from the name's last word (OCF does not carry it); else "other"."""
    words = legal_name.replace(",", " ").split()
    last = words[-1].replace(".", "").lower() if words else ""
    return LEGAL_FORM_SUFFIXES.get(last, LegalForm.OTHER)


# --- numbers -----------------------------------------------------------------------------------


def fraction_to_decimal(value: Fraction, places: int = 10) -> Decimal:
    """Return ``value`` as a Decimal of ``places`` decimals, rounded half up when it is longer."""
    return Decimal(round_fraction(value * 10**places, ROUND_HALF_UP)).scaleb(-places)


def numeric(value: Decimal | int | Fraction) -> str:
    """Write ``value`` as an OCF Numeric: no exponent, at most 10 decimals, no trailing zeros."""
    if isinstance(value, Fraction):
        value = fraction_to_decimal(value)
    with localcontext(prec=60):
        value = Decimal(value).quantize(UNIT_SCALE, rounding=ROUND_HALF_UP)
        if value == value.to_integral_value():
            return str(value.quantize(Decimal(1)))
        return format(value.normalize(), "f")


def monetary(amount_minor: int, currency: str) -> dict[str, str]:
    """Write an amount in minor units as an OCF Monetary, with the currency's decimals."""
    return {"amount": format(Money(amount_minor, currency).to_decimal(), "f"), "currency": currency}


def money_from(monetary_value: dict[str, Any], *, rounded: bool = False) -> Money:
    """Read an OCF Monetary exactly; with ``rounded``, half up to the currency's minor unit."""
    amount = Decimal(monetary_value["amount"])
    rounding = ROUND_HALF_UP if rounded else None
    return Money.from_decimal(amount, monetary_value["currency"], rounding=rounding)


def ratio_from(ratio: dict[str, str]) -> Fraction:
    """Read an OCF Ratio; a zero denominator is refused."""
    denominator = Fraction(Decimal(ratio["denominator"]))
    if denominator == 0:
        raise ValueError("a ratio's denominator is not zero")
    return Fraction(Decimal(ratio["numerator"])) / denominator


def ratio_to(value: Fraction) -> dict[str, str]:
    return {"numerator": str(value.numerator), "denominator": str(value.denominator)}


# --- vesting -----------------------------------------------------------------------------------


def _period_months(period: dict[str, Any]) -> int:
    length = period["length"]
    if period["type"] == "DAYS":
        return round_fraction(Fraction(length) / DAYS_PER_MONTH, ROUND_HALF_UP)
    return int(length)


def vesting_from_ocf(item: dict[str, Any]) -> dict[str, int]:
    """Return the cliff, duration and frequency (months) nearest to an OCF vesting terms."""
    conditions = {condition["id"]: condition for condition in item["vesting_conditions"]}
    start = next(
        (c for c in conditions.values() if c["trigger"]["type"] == "VESTING_START_DATE"),
        item["vesting_conditions"][0],
    )
    periods: list[tuple[int, int, int]] = []
    seen: set[str] = set()
    condition: dict[str, Any] | None = start
    while condition is not None and condition["id"] not in seen:
        seen.add(condition["id"])
        trigger = condition["trigger"]
        if trigger["type"] == "VESTING_SCHEDULE_RELATIVE":
            period = trigger["period"]
            months = _period_months(period)
            periods.append((months, period["occurrences"], period.get("cliff_installment", 0)))
        following = condition["next_condition_ids"]
        condition = conditions.get(following[0]) if following else None
    if not periods:
        return {"cliff_months": 0, "duration_months": 1, "frequency_months": 1}
    duration = sum(months * occurrences for months, occurrences, _ in periods)
    first_months, first_occurrences, first_cliff = periods[0]
    if len(periods) > 1 and first_occurrences == 1:
        cliff = first_months
    else:
        cliff = first_months * first_cliff
    duration = max(duration, 1)
    return {
        "cliff_months": min(cliff, duration),
        "duration_months": duration,
        "frequency_months": max(periods[-1][0], 1),
    }


def vesting_to_ocf(terms: VestingTerms, ocf_id: str) -> dict[str, Any]:
    """Write ``terms`` as one monthly period from the vesting start, with its cliff."""
    step = gcd(terms.frequency_months, gcd(terms.duration_months, terms.cliff_months))
    period: dict[str, Any] = {
        "type": "MONTHS",
        "length": step,
        "occurrences": terms.duration_months // step,
        "day_of_month": "VESTING_START_DAY_OR_LAST_DAY_OF_MONTH",
    }
    if terms.cliff_months:
        period["cliff_installment"] = terms.cliff_months // step
    return {
        "id": ocf_id,
        "object_type": "VESTING_TERMS",
        "name": terms.name,
        "description": (
            f"{terms.duration_months} months, every {terms.frequency_months} month(s), "
            f"cliff of {terms.cliff_months} month(s)"
        ),
        "allocation_type": "CUMULATIVE_ROUND_DOWN",
        "vesting_conditions": [
            {
                "id": VESTING_START_CONDITION,
                "quantity": "0",
                "trigger": {"type": "VESTING_START_DATE"},
                "next_condition_ids": ["schedule"],
            },
            {
                "id": "schedule",
                "portion": {"numerator": "1", "denominator": "1"},
                "trigger": {
                    "type": "VESTING_SCHEDULE_RELATIVE",
                    "period": period,
                    "relative_to_condition_id": VESTING_START_CONDITION,
                },
                "next_condition_ids": [],
            },
        ],
    }


# --- convertibles ------------------------------------------------------------------------------

MECHANISM_TYPE = {
    "SAFE_CONVERSION": ConvertibleType.SAFE,
    "CONVERTIBLE_NOTE_CONVERSION": ConvertibleType.NOTE,
}


def _mechanisms(issuance: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        trigger["conversion_right"]["conversion_mechanism"]
        for trigger in issuance["conversion_triggers"]
        if trigger["conversion_right"]["conversion_mechanism"]["type"] in MECHANISM_TYPE
    ]


def convertible_from_ocf(issuance: dict[str, Any]) -> tuple[str, ConvertibleTerms]:
    """Return the convertible type and terms of an OCF convertible issuance.

    Raise ``ValueError`` saying what cannot be represented.
    """
    mechanisms = _mechanisms(issuance)
    mechanism = mechanisms[0] if mechanisms else None
    declared = issuance["convertible_type"]
    if declared == "SAFE":
        kind = ConvertibleType.SAFE
    elif declared == "NOTE":
        kind = ConvertibleType.NOTE
    elif mechanism is not None:
        kind = MECHANISM_TYPE[mechanism["type"]]
    else:
        raise ValueError(
            "a CONVERTIBLE_SECURITY converts here only by a SAFE or convertible note mechanism"
        )
    if mechanism is not None and MECHANISM_TYPE[mechanism["type"]] != kind:
        mechanism = None  # a mechanism of the other kind says nothing about these terms
    principal = money_from(issuance["investment_amount"], rounded=True)
    fields: dict[str, Any] = {"kind": str(kind), "principal": principal}
    if mechanism is not None:
        if "conversion_valuation_cap" in mechanism:
            fields["valuation_cap"] = money_from(
                mechanism["conversion_valuation_cap"], rounded=True
            )
        if "conversion_discount" in mechanism:
            discount = Fraction(Decimal(mechanism["conversion_discount"]))
            fields["discount"] = discount or None
        if kind == ConvertibleType.SAFE:
            fields["post_money"] = mechanism.get("conversion_timing", "POST_MONEY") == "POST_MONEY"
        else:
            fields["post_money"] = False
            rates = mechanism.get("interest_rates") or []
            if rates:
                fields["interest_rate"] = Fraction(Decimal(rates[0]["rate"]))
                fields["issue_date"] = rates[0]["accrual_start_date"]
            fields["compounding"] = (
                "annual" if mechanism.get("compounding_type") == "COMPOUNDING" else "simple"
            )
    elif kind == ConvertibleType.NOTE:
        fields["post_money"] = False
    fields["issue_date"] = date.fromisoformat(fields.get("issue_date", issuance["date"]))
    return str(kind), ConvertibleTerms(**fields)


def convertible_to_ocf(
    convertible_type: str, terms: ConvertibleTerms, trigger_id: str
) -> dict[str, Any]:
    """Return the OCF fields of a convertible issuance for these terms."""
    if terms.kind == ConvertibleType.NOTE:
        mechanism: dict[str, Any] = {
            "type": "CONVERTIBLE_NOTE_CONVERSION",
            "interest_rates": [],
            "day_count_convention": "ACTUAL_365",
            "interest_payout": "DEFERRED",
            "interest_accrual_period": "DAILY",
            "compounding_type": "COMPOUNDING" if terms.compounding == "annual" else "SIMPLE",
        }
        if terms.interest_rate is not None and terms.issue_date is not None:
            mechanism["interest_rates"] = [
                {
                    "rate": numeric(terms.interest_rate),
                    "accrual_start_date": terms.issue_date.isoformat(),
                }
            ]
        ocf_type = "NOTE"
    else:
        post_money = terms.kind == ConvertibleType.SAFE and terms.post_money
        mechanism = {
            "type": "SAFE_CONVERSION",
            "conversion_mfn": False,
            "conversion_timing": "POST_MONEY" if post_money else "PRE_MONEY",
        }
        ocf_type = "SAFE"
    if terms.discount is not None:
        mechanism["conversion_discount"] = numeric(terms.discount)
    if terms.valuation_cap is not None:
        cap = terms.valuation_cap
        mechanism["conversion_valuation_cap"] = monetary(cap.amount_minor, cap.currency)
    return {
        "convertible_type": ocf_type,
        "investment_amount": monetary(terms.principal.amount_minor, terms.principal.currency),
        "conversion_triggers": [
            {
                "type": "UNSPECIFIED",
                "trigger_id": trigger_id,
                "conversion_right": {
                    "type": "CONVERTIBLE_CONVERSION_RIGHT",
                    "conversion_mechanism": mechanism,
                    "converts_to_future_round": True,
                },
            }
        ],
    }
