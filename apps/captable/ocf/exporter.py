"""Export of an issuer's cap table as an Open Cap Format package that the schemas accept.

The reference data is written as it is (see :mod:`apps.captable.ocf.mapping`); the transactions
are rebuilt from the movements, read once in the order of the books. Movements are grouped by
operation and OCF transaction id, each group read in the order it was recorded: a negative
movement that consumes a security is a transfer, cancellation, repurchase, conversion or
exercise, and the positive movements that follow it are its balance (the first one, when it
is of the same security, holder and class as the source) and its resulting securities, each of
which gets its own issuance transaction, as OCF wants. Other positive movements are issuances;
split movements are class splits (their ratio is what they multiplied each holding by); pool
movements are the plan's initial reservation (the first) and pool adjustments.

What OCF cannot say, and how it is written: the balance of a partial option exercise keeps the
option's OCF id (OCF exercises have no balance); the balance of a partial warrant exercise is
one of its resulting securities; a repurchase of anything but shares is a cancellation; prices
not kept here (share prices of issuances, repurchase and warrant purchase prices) are written
as zero in the issuer's currency, or as the class's price per share when it has one. A class's
``initial_shares_authorized`` is its authorised units before the splits written. A BSA AIR,
which OCF has no type for, is written as a SAFE whose conversion timing is PRE_MONEY (its cap is
always pre-money), with nothing in its comments: it reads back as a pre-money SAFE, which
converts the same way. The manifest lists the five files written, each with the md5 of its
bytes; the lists it requires for other files (legend templates, valuations) are empty. Its
``ocf_version`` is the exact one the manifest schema in use pins (read from the schema, see
:func:`apps.captable.ocf.compat.schema_version`), so that the package validates against it.

Transaction ids are the movements' ``external_id`` (the OCF id they were imported with) or
``op<sequence>``, with a suffix when one operation holds several transactions; the issuance of
a resulting security is ``<transaction id>.<security id>``.
"""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from django.utils import timezone

from apps.captable.conversion import ConvertibleTerms
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
from apps.captable.ocf.compat import schema_version
from apps.captable.ocf.mapping import (
    CLASS_TYPE_OCF,
    ROLE_RELATIONSHIP,
    STAKEHOLDER_TYPE,
    VESTING_START_CONDITION,
    convertible_to_ocf,
    monetary,
    numeric,
    ratio_to,
    vesting_to_ocf,
)

FILES = (
    ("stock_classes_files", "StockClasses.ocf.json", "OCF_STOCK_CLASSES_FILE"),
    ("stakeholders_files", "Stakeholders.ocf.json", "OCF_STAKEHOLDERS_FILE"),
    ("stock_plans_files", "StockPlans.ocf.json", "OCF_STOCK_PLANS_FILE"),
    ("vesting_terms_files", "VestingTerms.ocf.json", "OCF_VESTING_TERMS_FILE"),
    ("transactions_files", "Transactions.ocf.json", "OCF_TRANSACTIONS_FILE"),
)
MANIFEST = "Manifest.ocf.json"
CONSUMING = {
    MovementKind.TRANSFER,
    MovementKind.CANCELLATION,
    MovementKind.REPURCHASE,
    MovementKind.CONVERSION,
    MovementKind.EXERCISE,
}


@dataclass(frozen=True)
class Moved:
    """The fields of a movement the export reads."""

    pk: int
    group: tuple[int, str]
    sequence: int
    security: int | None
    plan: int | None
    kind: str
    quantity: Decimal
    on: date

    @property
    def security_pk(self) -> int:
        """The security moved: every movement but a pool's moves one."""
        if self.security is None:
            raise ValueError(f"movement {self.pk} moves no security")
        return self.security

    @property
    def plan_pk(self) -> int:
        """The plan whose pool a pool movement changes."""
        if self.plan is None:
            raise ValueError(f"movement {self.pk} changes no plan's pool")
        return self.plan


class _Export:
    """Builds the package's items for one issuer."""

    def __init__(self, issuer: Issuer) -> None:
        self.issuer = issuer
        self.currency = issuer.currency
        self.classes = list(ShareClass.objects.filter(issuer=issuer).order_by("pk"))
        self.stakeholders = list(Stakeholder.objects.filter(issuer=issuer).order_by("pk"))
        self.plans = list(EquityPlan.objects.filter(issuer=issuer).order_by("pk"))
        self.vesting = list(VestingTerms.objects.filter(issuer=issuer).order_by("pk"))
        self.securities = {s.pk: s for s in Security.objects.filter(issuer=issuer)}
        self.class_id = {c.pk: c.ocf_id or f"class-{c.pk}" for c in self.classes}
        self.class_price = {c.pk: c.price_per_unit_minor for c in self.classes}
        self.holder_id = {s.pk: s.ocf_id or f"stakeholder-{s.pk}" for s in self.stakeholders}
        self.plan_id = {p.pk: p.ocf_id or f"plan-{p.pk}" for p in self.plans}
        self.vesting_id = {v.pk: v.ocf_id or f"vesting-{v.pk}" for v in self.vesting}
        self.root = {pk: security.security_id for pk, security in self.securities.items()}
        self.movements = [
            Moved(
                pk=m["pk"],
                group=(m["operation_id"], m["external_id"]),
                sequence=m["operation_sequence"],
                security=m["security_id"],
                plan=m["plan_id"],
                kind=m["kind"],
                quantity=m["quantity"],
                on=m["effective_date"],
            )
            for m in Movement.objects.filter(issuer=issuer)
            .order_by("operation_sequence", "pk")
            .values(
                "pk",
                "operation_id",
                "external_id",
                "operation_sequence",
                "security_id",
                "plan_id",
                "kind",
                "quantity",
                "effective_date",
            )
            .iterator(chunk_size=5000)
        ]
        self.split_ratio = self._split_ratios()
        self.transactions: list[dict[str, Any]] = []
        self.tx_ids: set[str] = set()
        self.pool_start: dict[int, Moved] = {}

    # --- reading the movements --------------------------------------------------------------

    def _split_ratios(self) -> dict[int, Fraction]:
        """Return what each split movement multiplied its holding by, in the books' order."""
        held: dict[int, Decimal] = defaultdict(Decimal)
        ratios = {}
        for moved in self.movements:
            if moved.security is None:
                continue
            if moved.kind == MovementKind.SPLIT and held[moved.security]:
                before = Fraction(held[moved.security])
                ratios[moved.pk] = (before + Fraction(moved.quantity)) / before
            held[moved.security] += moved.quantity
        return ratios

    def _groups(self) -> list[list[Moved]]:
        groups: dict[tuple[int, str], list[Moved]] = {}
        for moved in self.movements:
            groups.setdefault(moved.group, []).append(moved)
        return sorted(groups.values(), key=lambda group: (group[0].on, group[0].sequence))

    def _new_id(self, wanted: str) -> str:
        candidate, number = wanted, 1
        while candidate in self.tx_ids:
            number += 1
            candidate = f"{wanted}~{number}"
        self.tx_ids.add(candidate)
        return candidate

    # --- transactions -----------------------------------------------------------------------

    def build_transactions(self) -> None:
        for plan_pk in {m.plan for m in self.movements if m.plan is not None}:
            first = min(
                (m for m in self.movements if m.plan == plan_pk),
                key=lambda m: (m.on, m.sequence, m.pk),
            )
            self.pool_start[plan_pk] = first
        reserved: dict[int, Decimal] = {
            plan: start.quantity for plan, start in self.pool_start.items()
        }
        for group in self._groups():
            base = group[0].group[1] or f"op{group[0].sequence}"
            count = 0

            def tx_id(base: str = base) -> str:
                nonlocal count
                count += 1
                return self._new_id(base if count == 1 else f"{base}.{count}")

            splits: dict[int, Moved] = {}
            rest = []
            for moved in group:
                if moved.kind == MovementKind.SPLIT:
                    share_class = self._class_pk(self.securities[moved.security_pk])
                    splits.setdefault(share_class, moved)
                elif moved.kind == MovementKind.POOL:
                    if self.pool_start[moved.plan_pk] is not moved:
                        reserved[moved.plan_pk] += moved.quantity
                        self._pool_adjustment(tx_id(), moved, reserved[moved.plan_pk])
                else:
                    rest.append(moved)
            for share_class, moved in splits.items():
                self._split(tx_id(), moved, share_class)
            index = 0
            while index < len(rest):
                moved = rest[index]
                if moved.quantity < 0 and moved.kind in CONSUMING:
                    end = index + 1
                    while end < len(rest) and rest[end].quantity > 0:
                        end += 1
                    self._consumption(tx_id(), moved, rest[index + 1 : end])
                    index = end
                else:
                    security = self.securities[moved.security_pk]
                    self._issuance(tx_id(), security, moved.on, moved.quantity)
                    index += 1

    @staticmethod
    def _class_pk(security: Security) -> int:
        """Return the class of ``security``: every security but a convertible is in one."""
        if security.share_class_id is None:
            raise ValueError(f"{security} is in no class")
        return security.share_class_id

    def _pool_adjustment(self, tx_id: str, moved: Moved, size: Decimal) -> None:
        self.transactions.append(
            {
                "id": tx_id,
                "object_type": "TX_STOCK_PLAN_POOL_ADJUSTMENT",
                "date": moved.on.isoformat(),
                "stock_plan_id": self.plan_id[moved.plan_pk],
                "shares_reserved": numeric(size),
            }
        )

    def _split(self, tx_id: str, moved: Moved, share_class: int) -> None:
        self.transactions.append(
            {
                "id": tx_id,
                "object_type": "TX_STOCK_CLASS_SPLIT",
                "date": moved.on.isoformat(),
                "stock_class_id": self.class_id[share_class],
                "split_ratio": ratio_to(self.split_ratio[moved.pk]),
            }
        )

    def _base(self, tx_id: str, object_type: str, security: Security, on: date) -> dict:
        return {
            "id": tx_id,
            "object_type": object_type,
            "date": on.isoformat(),
            "security_id": self.root[security.pk],
        }

    def _issuance(self, tx_id: str, security: Security, on: date, quantity: Decimal) -> None:
        """Write the issuance of ``quantity`` of ``security`` on ``on``."""
        common: dict[str, Any] = {
            "custom_id": security.security_id,
            "stakeholder_id": self.holder_id[security.stakeholder_id],
            "security_law_exemptions": [],
        }
        vesting: dict[str, Any] = {}
        if security.vesting_terms_id:
            vesting["vesting_terms_id"] = self.vesting_id[security.vesting_terms_id]
        item: dict[str, Any]
        if security.kind == SecurityKind.STOCK:
            price = self.class_price[self._class_pk(security)] or 0
            item = {
                **common,
                "stock_class_id": self.class_id[self._class_pk(security)],
                "share_price": monetary(price, self.currency),
                "quantity": numeric(quantity),
                "stock_legend_ids": [],
                **vesting,
            }
            object_type = "TX_STOCK_ISSUANCE"
        elif security.kind == SecurityKind.OPTION:
            item = {
                **common,
                "stock_class_id": self.class_id[self._class_pk(security)],
                "compensation_type": "RSU" if security.exercise_price_minor is None else "OPTION",
                "quantity": numeric(quantity),
                "expiration_date": (
                    security.expiration_date.isoformat() if security.expiration_date else None
                ),
                "termination_exercise_windows": [],
                **vesting,
            }
            if security.plan_id:
                item["stock_plan_id"] = self.plan_id[security.plan_id]
            if security.exercise_price_minor is not None:
                item["exercise_price"] = monetary(security.exercise_price_minor, self.currency)
            object_type = "TX_EQUITY_COMPENSATION_ISSUANCE"
        elif security.kind == SecurityKind.WARRANT:
            item = {
                **common,
                "quantity": numeric(quantity),
                "purchase_price": monetary(0, self.currency),
                "exercise_triggers": [
                    {
                        "type": "ELECTIVE_AT_WILL",
                        "trigger_id": f"exercise-{security.security_id}",
                        "conversion_right": {
                            "type": "WARRANT_CONVERSION_RIGHT",
                            "conversion_mechanism": {
                                "type": "FIXED_AMOUNT_CONVERSION",
                                "converts_to_quantity": numeric(quantity),
                            },
                            "converts_to_stock_class_id": self.class_id[self._class_pk(security)],
                        },
                    }
                ],
                **vesting,
            }
            if security.exercise_price_minor is not None:
                item["exercise_price"] = monetary(security.exercise_price_minor, self.currency)
            if security.expiration_date:
                item["warrant_expiration_date"] = security.expiration_date.isoformat()
            object_type = "TX_WARRANT_ISSUANCE"
        else:
            terms = ConvertibleTerms.from_json(security.terms)
            trigger = f"conversion-{security.security_id}"
            item = {
                **common,
                "seniority": 1,
                **convertible_to_ocf(security.convertible_type, terms, trigger),
            }
            object_type = "TX_CONVERTIBLE_ISSUANCE"
        self.transactions.append({**self._base(tx_id, object_type, security, on), **item})
        start = security.vesting_start_date
        if start is not None and start != on:
            vesting_start_id = self._new_id(f"{tx_id}.vesting-start")
            self.transactions.append(
                {
                    **self._base(vesting_start_id, "TX_VESTING_START", security, start),
                    "vesting_condition_id": VESTING_START_CONDITION,
                }
            )

    def _consumption(self, tx_id: str, moved: Moved, following: list[Moved]) -> None:
        source = self.securities[moved.security_pk]
        kind = moved.kind
        balance = None
        if following:
            first = self.securities[following[0].security_pk]
            same = (
                following[0].kind == kind
                and first.kind == source.kind
                and first.stakeholder_id == source.stakeholder_id
                and first.share_class_id == source.share_class_id
            )
            if same and not (kind == MovementKind.TRANSFER and len(following) == 1):
                balance = following[0]
        results = [m for m in following if m is not balance]
        held = -moved.quantity
        taken = held - (balance.quantity if balance else 0)
        on = moved.on
        base = self._base(tx_id, "", source, on)
        kind_prefixes: dict[str, str] = {
            SecurityKind.STOCK: "STOCK",
            SecurityKind.OPTION: "EQUITY_COMPENSATION",
            SecurityKind.WARRANT: "WARRANT",
            SecurityKind.CONVERTIBLE: "CONVERTIBLE",
        }
        kind_prefix = kind_prefixes[source.kind]
        amount = {}
        if source.kind == SecurityKind.CONVERTIBLE:
            principal = ConvertibleTerms.from_json(source.terms).principal
            if balance is not None:
                principal = (
                    principal
                    - ConvertibleTerms.from_json(
                        self.securities[balance.security_pk].terms
                    ).principal
                )
            amount = {"amount": monetary(principal.amount_minor, principal.currency)}
        derived = []  # securities that need an issuance of their own
        item: dict[str, Any]
        if kind == MovementKind.TRANSFER:
            item = {
                **base,
                "object_type": f"TX_{kind_prefix}_TRANSFER",
                **(amount or {"quantity": numeric(taken)}),
                "resulting_security_ids": [self.root[m.security_pk] for m in results],
            }
            derived = results
            results = []
        elif kind == MovementKind.EXERCISE and source.kind == SecurityKind.OPTION:
            item = {
                **base,
                "object_type": "TX_EQUITY_COMPENSATION_EXERCISE",
                "quantity": numeric(taken),
                "resulting_security_ids": [self.root[m.security_pk] for m in results],
            }
            if balance is not None:
                self.root[balance.security_pk] = self.root[source.pk]
                balance = None
            derived, results = results, []
        elif kind == MovementKind.EXERCISE and source.kind == SecurityKind.WARRANT:
            exercised = [*results, *([balance] if balance else [])]
            item = {
                **base,
                "object_type": "TX_WARRANT_EXERCISE",
                "trigger_id": f"exercise-{source.security_id}",
                "resulting_security_ids": [self.root[m.security_pk] for m in exercised],
            }
            derived, results, balance = exercised, [], None
        elif kind == MovementKind.CONVERSION and source.kind == SecurityKind.CONVERTIBLE:
            item = {
                **base,
                "object_type": "TX_CONVERTIBLE_CONVERSION",
                "reason_text": "Conversion",
                "trigger_id": f"conversion-{source.security_id}",
                "resulting_security_ids": [self.root[m.security_pk] for m in results],
            }
            derived, results = results, []
        elif kind == MovementKind.CONVERSION and source.kind == SecurityKind.STOCK:
            item = {
                **base,
                "object_type": "TX_STOCK_CONVERSION",
                "quantity_converted": numeric(taken),
                "resulting_security_ids": [self.root[m.security_pk] for m in results],
            }
            derived, results = results, []
        elif kind == MovementKind.REPURCHASE and source.kind == SecurityKind.STOCK:
            item = {
                **base,
                "object_type": "TX_STOCK_REPURCHASE",
                "quantity": numeric(taken),
                "price": monetary(0, self.currency),
            }
        else:
            item = {
                **base,
                "object_type": f"TX_{kind_prefix}_CANCELLATION",
                **(amount or {"quantity": numeric(taken)}),
                "reason_text": kind.title(),
            }
        if balance is not None:
            item["balance_security_id"] = self.root[balance.security_pk]
            derived = [balance, *derived]
        self.transactions.append(item)
        # Then the issuance of each security it creates and, should anything else have followed,
        # of those too: they are new securities.
        for result in [*derived, *results]:
            security = self.securities[result.security_pk]
            result_id = self._new_id(f"{tx_id}.{security.security_id}")
            self._issuance(result_id, security, on, result.quantity)

    # --- reference data ---------------------------------------------------------------------

    def issuer_item(self) -> dict[str, Any]:
        formation = self.issuer.formation_date or min(
            (m.on for m in self.movements), default=self.issuer.created_at.date()
        )
        item = {
            "id": self.issuer.ocf_id or f"issuer-{self.issuer.pk}",
            "object_type": "ISSUER",
            "legal_name": self.issuer.legal_name or self.issuer.name,
            "formation_date": formation.isoformat(),
            "country_of_formation": self.issuer.country,
        }
        if self.issuer.legal_name and self.issuer.legal_name != self.issuer.name:
            item["dba"] = self.issuer.name
        return item

    def class_items(self) -> list[dict[str, Any]]:
        splits: dict[str, Fraction] = defaultdict(lambda: Fraction(1))
        for transaction in self.transactions:
            if transaction["object_type"] == "TX_STOCK_CLASS_SPLIT":
                ratio = transaction["split_ratio"]
                splits[transaction["stock_class_id"]] *= Fraction(
                    int(ratio["numerator"]), int(ratio["denominator"])
                )
        common = next((c for c in self.classes if c.class_type == "common"), None)
        items = []
        for share_class in self.classes:
            ocf_id = self.class_id[share_class.pk]
            authorised = "UNLIMITED"
            if share_class.authorised_units is not None:
                authorised = numeric(Fraction(share_class.authorised_units) / splits[ocf_id])
            item: dict[str, Any] = {
                "id": ocf_id,
                "object_type": "STOCK_CLASS",
                "name": share_class.name,
                "class_type": CLASS_TYPE_OCF[share_class.class_type],
                "default_id_prefix": f"{CLASS_TYPE_OCF[share_class.class_type][:2]}-",
                "initial_shares_authorized": authorised,
                "votes_per_share": numeric(share_class.votes_per_unit),
                "seniority": str(share_class.seniority),
                "liquidation_preference_multiple": numeric(
                    share_class.liquidation_preference_multiple
                ),
            }
            price = share_class.price_per_unit_minor
            if price is not None:
                item["price_per_share"] = monetary(price, self.currency)
            if share_class.participating and share_class.participation_cap_multiple:
                item["participation_cap_multiple"] = numeric(share_class.participation_cap_multiple)
            if share_class.class_type == "preferred" or share_class.conversion_ratio != 1:
                right: dict[str, Any] = {
                    "type": "STOCK_CLASS_CONVERSION_RIGHT",
                    "conversion_mechanism": {
                        "type": "RATIO_CONVERSION",
                        "ratio": ratio_to(Fraction(share_class.conversion_ratio)),
                        "conversion_price": monetary(price or 0, self.currency),
                        "rounding_type": "NORMAL",
                    },
                }
                if common is not None and common.pk != share_class.pk:
                    right["converts_to_stock_class_id"] = self.class_id[common.pk]
                item["conversion_rights"] = [right]
            items.append(item)
        return items

    def stakeholder_items(self) -> list[dict[str, Any]]:
        return [
            {
                "id": self.holder_id[holder.pk],
                "object_type": "STAKEHOLDER",
                "name": {"legal_name": holder.name},
                "stakeholder_type": STAKEHOLDER_TYPE[holder.kind],
                "current_relationships": [ROLE_RELATIONSHIP[holder.role]],
            }
            for holder in self.stakeholders
        ]

    def plan_items(self) -> list[dict[str, Any]]:
        items = []
        for plan in self.plans:
            start = self.pool_start.get(plan.pk)
            item = {
                "id": self.plan_id[plan.pk],
                "object_type": "STOCK_PLAN",
                "plan_name": plan.name,
                "initial_shares_reserved": numeric(start.quantity if start else 0),
                "stock_class_ids": [self.class_id[plan.share_class_id]],
            }
            if start is not None:
                item["board_approval_date"] = start.on.isoformat()
            items.append(item)
        return items

    def vesting_items(self) -> list[dict[str, Any]]:
        return [vesting_to_ocf(terms, self.vesting_id[terms.pk]) for terms in self.vesting]


def _write_json(path: Path, data: dict[str, Any]) -> str:
    content = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()
    path.write_bytes(content)
    return hashlib.md5(content, usedforsecurity=False).hexdigest()


def ocf_export(*, issuer: Issuer, outdir: Path) -> list[Path]:
    """Write ``issuer``'s cap table as an OCF package in ``outdir``; return the files written,
    the manifest first."""
    export = _Export(issuer)
    export.build_transactions()
    items = {
        "OCF_STOCK_CLASSES_FILE": export.class_items(),
        "OCF_STAKEHOLDERS_FILE": export.stakeholder_items(),
        "OCF_STOCK_PLANS_FILE": export.plan_items(),
        "OCF_VESTING_TERMS_FILE": export.vesting_items(),
        "OCF_TRANSACTIONS_FILE": export.transactions,
    }
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "ocf_version": schema_version(),
        "file_type": "OCF_MANIFEST_FILE",
        "issuer": export.issuer_item(),
        "as_of": timezone.localdate().isoformat(),
        "generated_at": timezone.now().isoformat(),
        "stock_legend_templates_files": [],
        "valuations_files": [],
    }
    written = []
    for list_name, name, file_type in FILES:
        md5 = _write_json(outdir / name, {"file_type": file_type, "items": items[file_type]})
        manifest[list_name] = [{"filepath": f"./{name}", "md5": md5}]
        written.append(outdir / name)
    _write_json(outdir / MANIFEST, manifest)
    return [outdir / MANIFEST, *written]
