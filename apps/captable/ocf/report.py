"""What checking an OCF package says before it is imported: the report a dry run returns.

It names the issuer, the OCF version the manifest declares, the package's date and how many
objects of each type it holds; it gives the cap table the import would produce on that date
(none when there are errors); then every error and every warning, each naming its file and item.
An error refuses the package, since it would change or lose holdings; a warning does not, once
accepted. The report is plain data: :meth:`OcfReport.as_json` gives it with every number as a
decimal string, to keep in a JSON field, and :meth:`OcfReport.from_json` reads that back as it
was. The rows' ``holder_id`` and ``share_class_id`` are those of the database when the rows come
from one; a dry run writes nothing, so its rows have none.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from apps.captable.quantities import quantity_text
from apps.captable.selectors import CapTableRow

HEADINGS = ("Holder", "Class", "Units", "Fully diluted", "%", "% fully diluted")


def _row_as_json(row: CapTableRow) -> dict[str, Any]:
    return {
        "holder": row.holder,
        "share_class": row.share_class,
        "units": quantity_text(row.units),
        "fully_diluted_units": quantity_text(row.fully_diluted_units),
        "percent": str(row.percent),
        "percent_fully_diluted": str(row.percent_fully_diluted),
        "holder_id": row.holder_id,
        "share_class_id": row.share_class_id,
    }


def _row_from_json(data: dict[str, Any]) -> CapTableRow:
    return CapTableRow(
        holder=data["holder"],
        share_class=data["share_class"],
        units=Decimal(data["units"]),
        fully_diluted_units=Decimal(data["fully_diluted_units"]),
        percent=Decimal(data["percent"]),
        percent_fully_diluted=Decimal(data["percent_fully_diluted"]),
        holder_id=data.get("holder_id"),
        share_class_id=data.get("share_class_id"),
    )


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Lay ``rows`` out in columns under :data:`HEADINGS`, numbers right-aligned."""
    lines = [HEADINGS, *rows]
    widths = [max(len(line[column]) for line in lines) for column in range(len(HEADINGS))]
    return [
        "  ".join(
            text.ljust(width) if column < 2 else text.rjust(width)
            for column, (text, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    ]


@dataclass(frozen=True)
class OcfReport:
    """What an OCF package holds and what importing it would do, with its errors and warnings."""

    issuer_name: str
    ocf_version: str  # as the manifest declares it
    as_of: date | None  # the package's date (manifest's as_of, else latest transaction date)
    counts: dict[str, int]  # per OCF object type, e.g. {"STAKEHOLDER": 12}
    cap_table: list[CapTableRow]  # the cap table the import would produce as of as_of
    errors: list[str]
    warnings: list[str]

    def as_json(self) -> dict:
        """Return the report as JSON-ready data, every number a decimal string."""
        return {
            "issuer_name": self.issuer_name,
            "ocf_version": self.ocf_version,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "counts": dict(self.counts),
            "cap_table": [_row_as_json(row) for row in self.cap_table],
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: dict) -> "OcfReport":
        """Read back a report written by :meth:`as_json`."""
        return cls(
            issuer_name=data["issuer_name"],
            ocf_version=data["ocf_version"],
            as_of=date.fromisoformat(data["as_of"]) if data.get("as_of") else None,
            counts={kind: int(count) for kind, count in data["counts"].items()},
            cap_table=[_row_from_json(row) for row in data["cap_table"]],
            errors=list(data["errors"]),
            warnings=list(data["warnings"]),
        )

    def lines(self) -> list[str]:
        """Return the report for a person: the package, its cap table, its errors, its warnings."""
        on = self.as_of.isoformat() if self.as_of else "unknown"
        lines = [
            f"Issuer: {self.issuer_name or 'unknown'}",
            f"OCF version: {self.ocf_version or 'unknown'}",
            f"As of: {on}",
            "Objects:",
            *(f"  {kind}: {count}" for kind, count in sorted(self.counts.items())),
        ]
        if not self.counts:
            lines.append("  none read")
        if self.cap_table:
            lines.append(f"Cap table as of {on}:")
            rows = [
                (
                    row.holder,
                    row.share_class,
                    quantity_text(row.units),
                    quantity_text(row.fully_diluted_units),
                    f"{row.percent:.2f}",
                    f"{row.percent_fully_diluted:.2f}",
                )
                for row in self.cap_table
            ]
            lines.extend(f"  {line}" for line in _table(rows))
        elif self.errors:
            lines.append("Cap table: none, the package has errors")
        else:
            lines.append("Cap table: empty")
        for title, problems in (("Errors", self.errors), ("Warnings", self.warnings)):
            lines.append(f"{title} ({len(problems)}):" if problems else f"{title}: none")
            lines.extend(f"  - {problem}" for problem in problems)
        return lines
