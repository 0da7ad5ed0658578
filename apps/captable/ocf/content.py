"""The content of an OCF package, checked before anything is written, and the order in which
its transactions are recorded.

Checks, each reporting every problem with its file and item id: the issuer is new here; every
transaction names a known stakeholder, stock class, plan, vesting terms and security; a security
is issued once and results from one transaction at most; resulting securities are of a kind the
transaction can create and add up to what a transfer moves; every number fits the column it is
written to (quantities 18 digits before the point, amounts 15, and so on), named by its field.
Then every transaction type that cannot be recorded refuses the package, listing the ids of its
items; none is ever skipped.

One inconsistency is a warning rather than an error, because the holdings do not depend on it:
a resulting security the package never issues, named by a transfer whose other resulting
securities add up to all it moves, or by an option exercise whose other resulting shares are as
many as the options exercised. The transaction is recorded without it, and the warning names
the transaction and the security. Named anywhere else (a conversion, a warrant exercise, or
where the others do not account for everything), it is an error. The warnings are added to the
package's :class:`~apps.captable.ocf.package.OcfFindings`.

Order: transactions are taken by date and, on one date, in four phases: (0) pool reservations
that grow a pool (a plan's ``initial_shares_reserved``, on its board approval date, else on the
package's first transaction date, and never after the plan's first transaction; then pool
adjustments, whose ``shares_reserved`` is the pool's new size); (1) issuances that no other
transaction creates; (2) everything else in package order (files as the manifest lists them,
items as each file lists them), a transaction waiting for another of the same date that creates
the security it names; (3) pool adjustments that shrink a pool. So on one date, issuances come
before the transfers, exercises and splits that follow them. The issuance of a resulting or
balance security is recorded with the transaction that creates it. ``TX_VESTING_START`` moves
nothing: it sets the vesting start of the security it names, whatever its date.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

from apps.captable.conversion import ConvertibleTerms
from apps.captable.models import Issuer, IssuerKind, MovementKind, SecurityKind, StakeholderRole
from apps.captable.ocf import OcfImportError
from apps.captable.ocf.mapping import (
    CLASS_TYPE,
    NO_LIMIT,
    RELATIONSHIP_ROLE,
    STAKEHOLDER_KIND,
    convertible_from_ocf,
    fraction_to_decimal,
    legal_form_of,
    money_from,
    ratio_from,
    vesting_from_ocf,
)
from apps.captable.ocf.package import OcfItem, OcfPackage
from apps.captable.quantities import QUANTITY_INTEGER_DIGITS
from apps.core.countries import country_choices
from apps.core.money import Money, minor_unit_digits

DEFAULT_CURRENCY = "EUR"
MAX_ID = 200  # the length of every id column
# How many digits before the point the columns numbers are written to hold: quantities as the
# cap table computes them exactly; votes and conversion ratios numeric(20,10); multiples
# numeric(12,6); seniority an integer; amounts go to a bigint in minor units, which 15 digits of
# major units always fit.
QUANTITY_DIGITS = QUANTITY_INTEGER_DIGITS
RATE_DIGITS, MULTIPLE_DIGITS, SENIORITY_DIGITS, AMOUNT_DIGITS = 10, 6, 9, 15
SHOWN_DIGITS = 50  # of a number too large, in a message

ISSUANCES = {
    "TX_STOCK_ISSUANCE": SecurityKind.STOCK,
    "TX_EQUITY_COMPENSATION_ISSUANCE": SecurityKind.OPTION,
    "TX_PLAN_SECURITY_ISSUANCE": SecurityKind.OPTION,
    "TX_WARRANT_ISSUANCE": SecurityKind.WARRANT,
    "TX_CONVERTIBLE_ISSUANCE": SecurityKind.CONVERTIBLE,
}


@dataclass(frozen=True)
class Consumption:
    """What a consuming transaction type does: its movement kind, on what, taking how much."""

    kind: str
    security_kind: str
    taken: str | None  # the field giving what is taken; None: all of it


_TRANSFER, _CANCEL, _REPURCHASE, _CONVERT, _EXERCISE = (
    MovementKind.TRANSFER,
    MovementKind.CANCELLATION,
    MovementKind.REPURCHASE,
    MovementKind.CONVERSION,
    MovementKind.EXERCISE,
)
_STOCK, _OPTION, _WARRANT, _CONVERTIBLE = (
    SecurityKind.STOCK,
    SecurityKind.OPTION,
    SecurityKind.WARRANT,
    SecurityKind.CONVERTIBLE,
)
CONSUMPTIONS = {
    "TX_STOCK_TRANSFER": Consumption(_TRANSFER, _STOCK, "quantity"),
    "TX_EQUITY_COMPENSATION_TRANSFER": Consumption(_TRANSFER, _OPTION, "quantity"),
    "TX_PLAN_SECURITY_TRANSFER": Consumption(_TRANSFER, _OPTION, "quantity"),
    "TX_WARRANT_TRANSFER": Consumption(_TRANSFER, _WARRANT, "quantity"),
    "TX_CONVERTIBLE_TRANSFER": Consumption(_TRANSFER, _CONVERTIBLE, "amount"),
    "TX_STOCK_CANCELLATION": Consumption(_CANCEL, _STOCK, "quantity"),
    "TX_EQUITY_COMPENSATION_CANCELLATION": Consumption(_CANCEL, _OPTION, "quantity"),
    "TX_PLAN_SECURITY_CANCELLATION": Consumption(_CANCEL, _OPTION, "quantity"),
    "TX_WARRANT_CANCELLATION": Consumption(_CANCEL, _WARRANT, "quantity"),
    "TX_CONVERTIBLE_CANCELLATION": Consumption(_CANCEL, _CONVERTIBLE, "amount"),
    "TX_STOCK_REPURCHASE": Consumption(_REPURCHASE, _STOCK, "quantity"),
    "TX_STOCK_CONVERSION": Consumption(_CONVERT, _STOCK, "quantity_converted"),
    "TX_CONVERTIBLE_CONVERSION": Consumption(_CONVERT, _CONVERTIBLE, None),
    "TX_EQUITY_COMPENSATION_EXERCISE": Consumption(_EXERCISE, _OPTION, "quantity"),
    "TX_PLAN_SECURITY_EXERCISE": Consumption(_EXERCISE, _OPTION, "quantity"),
    "TX_WARRANT_EXERCISE": Consumption(_EXERCISE, _WARRANT, None),
}
SPLIT = "TX_STOCK_CLASS_SPLIT"
POOL_ADJUSTMENT = "TX_STOCK_PLAN_POOL_ADJUSTMENT"
VESTING_START = "TX_VESTING_START"
SUPPORTED = frozenset({*ISSUANCES, *CONSUMPTIONS, SPLIT, POOL_ADJUSTMENT, VESTING_START})

# Phases of one date (see the module's docstring).
POOL_GROWS, ISSUE, OTHERS, POOL_SHRINKS = range(4)


@dataclass
class Draft:
    """A security that an issuance transaction opens, with OCF ids still unresolved."""

    item: OcfItem
    kind: str
    security_id: str
    stakeholder: str
    quantity: Decimal
    share_class: str | None = None
    plan: str | None = None
    vesting_terms: str | None = None
    exercise_price_minor: int | None = None
    expiration_date: date | None = None
    convertible_type: str = ""
    terms: ConvertibleTerms | None = None

    @property
    def convertible_terms(self) -> ConvertibleTerms:
        """Return the terms of a convertible, which every convertible's draft has."""
        if self.terms is None:
            raise ValueError(f"security {self.security_id!r} has no convertible terms")
        return self.terms


@dataclass
class Step:
    """One transaction to record, in its place in the order."""

    item: OcfItem
    on: date
    phase: int
    position: int
    action: str
    needs: str | None = None  # the OCF security id it acts on
    creates: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)

    def where(self) -> str:
        return self.item.where()


@dataclass
class Plan:
    """The whole package, checked and ordered, ready to write."""

    issuer: dict[str, Any]
    currency: str
    classes: list[tuple[OcfItem, dict[str, Any]]]
    stakeholders: list[tuple[OcfItem, dict[str, Any]]]
    plans: list[tuple[OcfItem, dict[str, Any]]]
    vesting: list[tuple[OcfItem, dict[str, Any]]]
    drafts: dict[str, Draft]
    steps: list[Step]
    vesting_starts: dict[str, date]


class _Checker:
    """Collects every problem of a package's content, each naming its file and item."""

    def __init__(self, package: OcfPackage) -> None:
        self.package = package
        self.errors: list[str] = []
        self.unsupported: list[str] = []
        self.warnings: list[str] = []

    def error(self, item: OcfItem | None, message: str) -> None:
        where = item.where() if item else self.package.manifest_name
        self.errors.append(f"{where}: {message}")

    def warning(self, item: OcfItem, message: str) -> None:
        self.warnings.append(f"{item.where()}: {message}")

    def ids(self, item: OcfItem, *names: str) -> None:
        for name in names:
            value = item.data.get(name)
            if isinstance(value, str) and len(value) > MAX_ID:
                self.error(item, f"{name} is longer than {MAX_ID} characters")

    def number(self, item: OcfItem, name: str, text: str, *, digits: int) -> Decimal:
        """Read the OCF Numeric ``text`` of the field ``name``, reporting it when it has more
        than ``digits`` digits before the point (the schemas already allow at most 10 after)."""
        value = Decimal(text)
        if value and value.adjusted() >= digits:
            shown = text
            if len(text) > SHOWN_DIGITS:
                shown = f"{text[:SHOWN_DIGITS]}... ({len(text)} characters)"
            self.error(
                item,
                f"{name} {shown} is too large: the books hold at most {digits} digits before "
                "the point",
            )
        return value

    def amount(self, item: OcfItem, name: str, monetary: dict[str, Any] | None) -> None:
        """Report the OCF Monetary ``monetary`` of the field ``name`` when it is too large."""
        if monetary is not None:
            self.number(item, f"{name}.amount", monetary["amount"], digits=AMOUNT_DIGITS)


def _rounded(value: Decimal, places: int) -> Decimal:
    """Return ``value`` rounded half up to ``places`` decimals (a model field's precision).

    Computed with all the digits it needs: one already reported as too large must not raise.
    """
    with localcontext(prec=max(value.adjusted() + 1, 1) + places):
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _currency(package: OcfPackage) -> str:
    """Return the currency most amounts of the package are in (the issuer's own)."""
    seen: Counter[str] = Counter()
    for item in package.of("OCF_STOCK_CLASSES_FILE"):
        for name in ("price_per_share", "par_value"):
            if name in item.data:
                seen[item.data[name]["currency"]] += 1
    for item in package.of("OCF_TRANSACTIONS_FILE"):
        for name in ("share_price", "exercise_price", "base_price", "investment_amount"):
            if name in item.data:
                seen[item.data[name]["currency"]] += 1
    return seen.most_common(1)[0][0] if seen else DEFAULT_CURRENCY


def _issuer(check: _Checker, currency: str) -> dict[str, Any]:
    data = check.package.manifest["issuer"]
    name = data.get("dba") or data["legal_name"]
    countries = {code for code, _ in country_choices()}
    if data["country_of_formation"] not in countries:
        check.error(None, f"country_of_formation {data['country_of_formation']!r} is unknown")
    if len(name) > 200 or len(data["legal_name"]) > 300:
        check.error(None, "the issuer's name is too long")
    if Issuer.objects.filter(name=name).exists():
        check.error(None, f"an issuer named {name!r} already exists")
    try:
        minor_unit_digits(currency)
    except ValueError as error:
        check.error(None, str(error))
    return {
        "name": name,
        "legal_name": data["legal_name"],
        "kind": IssuerKind.COMPANY,
        "legal_form": legal_form_of(data["legal_name"]),
        "country": data["country_of_formation"],
        "currency": currency,
        "formation_date": date.fromisoformat(data["formation_date"]),
        "ocf_id": data.get("id", ""),
    }


def _classes(check: _Checker, currency: str) -> list[tuple[OcfItem, dict[str, Any]]]:
    items = check.package.of("OCF_STOCK_CLASSES_FILE")
    seniorities = [
        check.number(item, "seniority", item.data["seniority"], digits=SENIORITY_DIGITS)
        for item in items
    ]
    whole = all(s == s.to_integral_value() and s >= 0 for s in seniorities)
    ranks = {value: rank for rank, value in enumerate(sorted(set(seniorities)), start=1)}
    names: set[str] = set()
    classes = []
    for item, seniority in zip(items, seniorities, strict=True):
        data = item.data
        check.ids(item, "id")
        if data["name"] in names or len(data["name"]) > 200:
            check.error(item, f"the class name {data['name']!r} is repeated or too long")
        names.add(data["name"])
        authorised = data["initial_shares_authorized"]
        if authorised not in NO_LIMIT:
            authorised = check.number(
                item, "initial_shares_authorized", authorised, digits=QUANTITY_DIGITS
            )
        fields: dict[str, Any] = {
            "name": data["name"],
            "class_type": CLASS_TYPE[data["class_type"]],
            "authorised_units": None if authorised in NO_LIMIT else authorised,
            "seniority": int(seniority) if whole else ranks[seniority],
            "votes_per_unit": check.number(
                item, "votes_per_share", data["votes_per_share"], digits=RATE_DIGITS
            ),
            "ocf_id": data["id"],
        }
        if fields["authorised_units"] is not None and fields["authorised_units"] < 0:
            check.error(item, "initial_shares_authorized is negative")
        price = data.get("price_per_share")
        check.amount(item, "price_per_share", price)
        if price and price["currency"] == currency:
            amount = Decimal(price["amount"]).scaleb(minor_unit_digits(currency))
            if amount == amount.to_integral_value():
                fields["price_per_unit_minor"] = int(amount)
        if "liquidation_preference_multiple" in data:
            multiple = data["liquidation_preference_multiple"]
            multiple = check.number(
                item, "liquidation_preference_multiple", multiple, digits=MULTIPLE_DIGITS
            )
            fields["liquidation_preference_multiple"] = _rounded(multiple, 6)
        cap = data.get("participation_cap_multiple")
        if cap is not None:
            cap = check.number(item, "participation_cap_multiple", cap, digits=MULTIPLE_DIGITS)
        if cap is not None and cap > 0:
            fields["participating"] = True
            fields["participation_cap_multiple"] = _rounded(cap, 6)
        for right in data.get("conversion_rights", []):
            mechanism = right["conversion_mechanism"]
            if mechanism["type"] == "RATIO_CONVERSION":
                try:
                    ratio = ratio_from(mechanism["ratio"])
                except ValueError as error:
                    check.error(item, str(error))
                    break
                if ratio <= 0:
                    check.error(item, "a conversion ratio is positive")
                    break
                if ratio >= 10**RATE_DIGITS:
                    check.error(
                        item,
                        f"the conversion ratio is too large: the books hold at most "
                        f"{RATE_DIGITS} digits before the point",
                    )
                    break
                fields["conversion_ratio"] = fraction_to_decimal(ratio)
                break
        classes.append((item, fields))
    return classes


def _stakeholders(check: _Checker) -> list[tuple[OcfItem, dict[str, Any]]]:
    result = []
    for item in check.package.of("OCF_STAKEHOLDERS_FILE"):
        data = item.data
        check.ids(item, "id")
        relationships = list(data.get("current_relationships") or [])
        if data.get("current_relationship"):
            relationships.append(data["current_relationship"])
        name = data["name"]["legal_name"]
        if len(name) > 300:
            check.error(item, "the name is longer than 300 characters")
        result.append(
            (
                item,
                {
                    "name": name,
                    "kind": STAKEHOLDER_KIND[data["stakeholder_type"]],
                    "role": RELATIONSHIP_ROLE.get(relationships[0], StakeholderRole.OTHER)
                    if relationships
                    else StakeholderRole.INVESTOR,
                    "ocf_id": data["id"],
                },
            )
        )
    return result


def _plans(check: _Checker, class_ids: set[str]) -> list[tuple[OcfItem, dict[str, Any]]]:
    result = []
    names: set[str] = set()
    for item in check.package.of("OCF_STOCK_PLANS_FILE"):
        data = item.data
        check.ids(item, "id")
        class_id = data["stock_class_ids"][0] if "stock_class_ids" in data else None
        class_id = class_id or data.get("stock_class_id")
        if class_id not in class_ids:
            check.error(item, f"names unknown stock class {class_id!r}")
        if data["plan_name"] in names or len(data["plan_name"]) > 200:
            check.error(item, f"the plan name {data['plan_name']!r} is repeated or too long")
        names.add(data["plan_name"])
        approved = data.get("board_approval_date")
        result.append(
            (
                item,
                {
                    "name": data["plan_name"],
                    "share_class": class_id,
                    "ocf_id": data["id"],
                    "reserved": check.number(
                        item,
                        "initial_shares_reserved",
                        data["initial_shares_reserved"],
                        digits=QUANTITY_DIGITS,
                    ),
                    "approved": date.fromisoformat(approved) if approved else None,
                },
            )
        )
    return result


def _vesting(check: _Checker) -> list[tuple[OcfItem, dict[str, Any]]]:
    result = []
    for item in check.package.of("OCF_VESTING_TERMS_FILE"):
        check.ids(item, "id")
        name = item.data["name"][:200]
        result.append((item, {"name": name, "ocf_id": item.id, **vesting_from_ocf(item.data)}))
    return result


def _price_minor(check: _Checker, item: OcfItem, name: str, currency: str) -> int | None:
    value = item.data.get(name)
    if value is None:
        return None
    if value["currency"] != currency:
        check.error(item, f"{name} is in {value['currency']}; the issuer's currency is {currency}")
        return None
    check.amount(item, name, value)
    return money_from(value, rounded=True).amount_minor


def _warrant_class_and_quantity(
    check: _Checker, item: OcfItem
) -> tuple[str | None, Decimal | None]:
    share_class = None
    quantity = None
    if "quantity" in item.data:
        quantity = check.number(item, "quantity", item.data["quantity"], digits=QUANTITY_DIGITS)
    for trigger in item.data["exercise_triggers"]:
        right = trigger["conversion_right"]
        share_class = share_class or right.get("converts_to_stock_class_id")
        mechanism = right["conversion_mechanism"]
        if quantity is None and mechanism["type"] == "FIXED_AMOUNT_CONVERSION":
            quantity = check.number(
                item,
                "converts_to_quantity",
                mechanism["converts_to_quantity"],
                digits=QUANTITY_DIGITS,
            )
    return share_class, quantity


def _draft(check: _Checker, item: OcfItem, refs: dict[str, Any], currency: str) -> Draft:
    data = item.data
    kind = ISSUANCES[item.object_type]
    check.ids(item, "id", "security_id")
    if data["stakeholder_id"] not in refs["stakeholders"]:
        check.error(item, f"names unknown stakeholder {data['stakeholder_id']!r}")
    draft = Draft(
        item=item,
        kind=kind,
        security_id=data["security_id"],
        stakeholder=data["stakeholder_id"],
        quantity=Decimal(1),
        share_class=data.get("stock_class_id"),
        vesting_terms=data.get("vesting_terms_id"),
    )
    if kind != SecurityKind.WARRANT and "quantity" in data:
        draft.quantity = check.number(item, "quantity", data["quantity"], digits=QUANTITY_DIGITS)
    if kind == SecurityKind.OPTION:
        draft.plan = data.get("stock_plan_id")
        draft.exercise_price_minor = _price_minor(
            check, item, "exercise_price" if "exercise_price" in data else "base_price", currency
        )
        if data.get("expiration_date"):
            draft.expiration_date = date.fromisoformat(data["expiration_date"])
        if draft.plan is not None and draft.plan not in refs["plans"]:
            check.error(item, f"names unknown stock plan {draft.plan!r}")
        elif draft.share_class is None and draft.plan is not None:
            draft.share_class = refs["plan_classes"][draft.plan]
    elif kind == SecurityKind.WARRANT:
        draft.share_class, quantity = _warrant_class_and_quantity(check, item)
        draft.exercise_price_minor = _price_minor(check, item, "exercise_price", currency)
        if data.get("warrant_expiration_date"):
            draft.expiration_date = date.fromisoformat(data["warrant_expiration_date"])
        if quantity is None:
            check.error(item, "a warrant needs a quantity (or a fixed-amount exercise trigger)")
        draft.quantity = quantity or Decimal(0)
    elif kind == SecurityKind.CONVERTIBLE:
        check.amount(item, "investment_amount", data.get("investment_amount"))
        try:
            draft.convertible_type, draft.terms = convertible_from_ocf(data)
        except ValueError as error:
            check.error(item, str(error))
    if kind != SecurityKind.CONVERTIBLE:
        if draft.quantity <= 0:
            check.error(item, "the quantity issued must be positive")
        if draft.share_class is None:
            check.error(item, "names no stock class (directly, through its plan or trigger)")
        elif draft.share_class not in refs["classes"]:
            check.error(item, f"names unknown stock class {draft.share_class!r}")
    if draft.vesting_terms is not None and draft.vesting_terms not in refs["vesting"]:
        check.error(item, f"names unknown vesting terms {draft.vesting_terms!r}")
    return draft


def _transactions(
    check: _Checker,
    refs: dict[str, Any],
    currency: str,
    plans: list[tuple[OcfItem, dict[str, Any]]],
) -> tuple[dict[str, Draft], list[Step]]:
    items = check.package.of("OCF_TRANSACTIONS_FILE")
    unsupported: dict[str, list[OcfItem]] = defaultdict(list)
    for item in items:
        if item.object_type not in SUPPORTED:
            unsupported[item.object_type].append(item)
    drafts: dict[str, Draft] = {}
    for item in items:
        if item.object_type in ISSUANCES:
            draft = _draft(check, item, refs, currency)
            if draft.security_id in drafts:
                check.error(item, f"security {draft.security_id!r} is already issued")
            drafts[draft.security_id] = draft

    derived: dict[str, OcfItem] = {}
    steps: list[Step] = []
    reserved = {data["ocf_id"]: data["reserved"] for _, data in plans}
    adjustments = sorted(
        (item for item in items if item.object_type == POOL_ADJUSTMENT),
        key=lambda item: (item.data["date"], item.position),
    )
    for item in items:
        kind = item.object_type
        on = date.fromisoformat(item.data["date"])
        if kind in ISSUANCES or kind not in SUPPORTED:
            continue
        check.ids(item, "id")
        if kind in CONSUMPTIONS:
            steps.append(_consumption_step(check, item, on, drafts, derived))
        elif kind == SPLIT:
            class_id = item.data["stock_class_id"]
            if class_id not in refs["classes"]:
                check.error(item, f"names unknown stock class {class_id!r}")
            for part in ("numerator", "denominator"):
                text = item.data["split_ratio"][part]
                check.number(item, f"split_ratio.{part}", text, digits=QUANTITY_DIGITS)
            try:
                ratio = ratio_from(item.data["split_ratio"])
            except ValueError as error:
                check.error(item, str(error))
                ratio = Fraction(1)
            if ratio <= 0:
                check.error(item, "a split ratio is positive")
            steps.append(
                Step(
                    item,
                    on,
                    OTHERS,
                    item.position,
                    "split",
                    data={"share_class": class_id, "ratio": ratio},
                )
            )
        elif kind == VESTING_START and item.data["security_id"] not in drafts:
            check.error(item, f"names unknown security {item.data['security_id']!r}")
    for item in adjustments:
        plan_id = item.data["stock_plan_id"]
        if plan_id not in reserved:
            check.error(item, f"names unknown stock plan {plan_id!r}")
            continue
        size = check.number(
            item, "shares_reserved", item.data["shares_reserved"], digits=QUANTITY_DIGITS
        )
        delta, reserved[plan_id] = size - reserved[plan_id], size
        phase = POOL_GROWS if delta >= 0 else POOL_SHRINKS
        on = date.fromisoformat(item.data["date"])
        steps.append(
            Step(item, on, phase, item.position, "pool", data={"plan": plan_id, "quantity": delta})
        )
    for security_id, draft in drafts.items():
        if security_id not in derived:
            on = date.fromisoformat(draft.item.data["date"])
            steps.append(
                Step(draft.item, on, ISSUE, draft.item.position, "issue", creates=(security_id,))
            )
    for kind, found in sorted(unsupported.items()):
        ids = ", ".join(f"{item.file}: {item.id!r}" for item in found)
        check.unsupported.append(f"{kind} is not supported; its items: {ids}")
    return drafts, steps


def _consumption_step(
    check: _Checker,
    item: OcfItem,
    on: date,
    drafts: dict[str, Draft],
    derived: dict[str, OcfItem],
) -> Step:
    rule = CONSUMPTIONS[item.object_type]
    data = item.data
    source = data["security_id"]
    results = list(data.get("resulting_security_ids") or [])
    balance = data.get("balance_security_id")
    check.ids(item, "security_id", "balance_security_id")
    source_draft = drafts.get(source)
    if source_draft is None:
        check.error(item, f"names unknown security {source!r}")
    elif source_draft.kind != rule.security_kind:
        check.error(item, f"names security {source!r}, which is a {source_draft.kind}")
    taken: Money | Decimal | None = None
    if rule.taken == "amount":
        check.amount(item, "amount", data["amount"])
        taken = money_from(data["amount"], rounded=True)
    elif rule.taken is not None:
        taken = check.number(item, rule.taken, data[rule.taken], digits=QUANTITY_DIGITS)
        if taken <= 0:
            check.error(item, f"{rule.taken} must be positive")
    absent = [name for name in results if name != source and name not in drafts]
    if absent:
        present = [drafts[name] for name in results if name in drafts]
        complete = _accounted_for(rule, taken, present)
        for name in absent:
            if complete:
                check.warning(
                    item,
                    f"names resulting security {name!r}, which the package never issues; its "
                    "other resulting securities hold all it moves, so it is recorded without it",
                )
            else:
                check.error(item, f"names unknown resulting security {name!r}")
        results = [name for name in results if name not in absent]
    for name in [*results, *([balance] if balance else [])]:
        draft = drafts.get(name)
        if name == source:
            check.error(item, f"security {name!r} cannot result from itself")
        elif name in derived and draft is not None:
            check.error(item, f"security {name!r} also results from {derived[name].id!r}")
        if draft is None:
            continue
        derived[name] = item
        allowed = {rule.security_kind}
        if rule.kind in {MovementKind.EXERCISE, MovementKind.CONVERSION} and name != balance:
            allowed.add(SecurityKind.STOCK)
        if draft.kind not in allowed:
            check.error(item, f"security {name!r} is a {draft.kind}; it cannot result from it")
    if rule.kind == MovementKind.TRANSFER and taken is not None and not absent:
        parts = [drafts[name] for name in results if name in drafts]
        if len(parts) == len(results) and not _accounted_for(rule, taken, parts):
            check.error(item, "the resulting securities do not add up to what is transferred")
    return Step(
        item,
        on,
        OTHERS,
        item.position,
        "consume",
        needs=source,
        creates=tuple(name for name in [*results, balance] if name),
        data={"rule": rule, "taken": taken, "results": results, "balance": balance},
    )


def _accounted_for(rule: Consumption, taken: Money | Decimal | None, parts: list[Draft]) -> bool:
    """Whether the resulting securities ``parts`` hold all a transaction of ``rule`` moves: a
    transfer's quantity or amount, or as many shares as the options an exercise takes."""
    if taken is None:
        return False  # a conversion or a warrant exercise: nothing says what results from it
    if rule.kind == MovementKind.TRANSFER and isinstance(taken, Money):
        principals = [part.terms.principal.amount_minor for part in parts if part.terms]
        return sum(principals) == taken.amount_minor
    if rule.kind == MovementKind.TRANSFER:
        return sum((part.quantity for part in parts), Decimal(0)) == taken
    if rule.kind == MovementKind.EXERCISE and rule.security_kind == SecurityKind.OPTION:
        shares = [part.quantity for part in parts if part.kind == SecurityKind.STOCK]
        return bool(shares) and sum(shares, Decimal(0)) == taken
    return False


def package_plan(package: OcfPackage) -> Plan:
    """Check the content of ``package`` and order its transactions; raise
    :class:`OcfImportError` listing every inconsistency, then every unsupported type. Its
    warnings are added to the package's findings, refused or not."""
    check = _Checker(package)
    currency = _currency(package)
    issuer = _issuer(check, currency)
    classes = _classes(check, currency)
    stakeholders = _stakeholders(check)
    class_ids = {data["ocf_id"] for _, data in classes}
    plans = _plans(check, class_ids)
    vesting = _vesting(check)
    refs = {
        "classes": class_ids,
        "stakeholders": {data["ocf_id"] for _, data in stakeholders},
        "plans": {data["ocf_id"] for _, data in plans},
        "plan_classes": {data["ocf_id"]: data["share_class"] for _, data in plans},
        "vesting": {data["ocf_id"] for _, data in vesting},
    }
    drafts, steps = _transactions(check, refs, currency, plans)
    package.findings.warnings.extend(check.warnings)
    if check.errors:
        raise OcfImportError(
            f"the OCF package is inconsistent ({len(check.errors)} problem(s))", check.errors
        )
    if check.unsupported:
        raise OcfImportError(
            "the OCF package holds transaction types this cap table cannot record",
            check.unsupported,
        )
    steps.extend(_initial_reservations(plans, steps, package, issuer["formation_date"]))
    steps.sort(key=lambda step: (step.on, step.phase, step.position))
    return Plan(
        issuer=issuer,
        currency=currency,
        classes=classes,
        stakeholders=stakeholders,
        plans=plans,
        vesting=vesting,
        drafts=drafts,
        steps=steps,
        vesting_starts=_vesting_starts(package),
    )


def _vesting_starts(package: OcfPackage) -> dict[str, date]:
    """Return each security's vesting start date, the latest one a package gives."""
    starts = sorted(
        (item.data["date"], item.position, item.data["security_id"])
        for item in package.of("OCF_TRANSACTIONS_FILE")
        if item.object_type == VESTING_START
    )
    return {security_id: date.fromisoformat(on) for on, _, security_id in starts}


def _initial_reservations(
    plans: list[tuple[OcfItem, dict[str, Any]]],
    steps: list[Step],
    package: OcfPackage,
    formation: date,
) -> list[Step]:
    first_date = min((step.on for step in steps), default=formation)
    first_use: dict[str, date] = {}
    for item in package.of("OCF_TRANSACTIONS_FILE"):
        plan_id = item.data.get("stock_plan_id")
        if plan_id and item.object_type in {*ISSUANCES, POOL_ADJUSTMENT}:
            on = date.fromisoformat(item.data["date"])
            first_use[plan_id] = min(on, first_use.get(plan_id, on))
    reservations = []
    for item, data in plans:
        if not data["reserved"]:
            continue
        on = data["approved"] or first_date
        on = min(on, first_use.get(data["ocf_id"], on))
        reservations.append(
            Step(
                item,
                on,
                POOL_GROWS,
                item.position,
                "pool",
                data={"plan": data["ocf_id"], "quantity": data["reserved"]},
            )
        )
    return reservations
