"""Open Cap Format (OCF 1.2) packages in and out of the cap table.

:mod:`.schema` validates files and items against the coalition's JSON schemas, offline;
:mod:`.package` reads a package and validates every file and item; :mod:`.content` checks its
references and transaction types and orders its transactions; :mod:`.importer` writes it as an
issuer and its movements; :mod:`.exporter` writes an issuer back as a package; :mod:`.mapping`
holds the correspondences both ways. An import refused for any reason raises
:class:`OcfImportError` listing every problem found, each naming its file and item, and writes
nothing; a package over a size limit raises :class:`OcfPackageTooLarge` as soon as it is seen,
naming the file, the limit and the setting that holds it.
"""

from apps.core.exceptions import DomainError

MAX_ERRORS_SHOWN = 50  # in the message; ``errors`` keeps them all


class OcfImportError(DomainError):
    """An OCF package was refused: it is invalid, inconsistent or not supported here."""

    code = "ocf_import_refused"

    def __init__(self, headline: str, errors: list[str]) -> None:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = len(errors) - len(shown)
        lines = [headline, *(f"  - {error}" for error in shown)]
        if more:
            lines.append(f"  ... and {more} more")
        super().__init__("\n".join(lines), errors=errors)
        self.errors = errors


class OcfPackageTooLarge(OcfImportError):
    """An OCF package is over one of the import's size limits; reading it stopped there."""

    code = "ocf_package_too_large"

    def __init__(self, *, member: str, problem: str, setting: str, limit: int) -> None:
        super().__init__(
            f"the OCF package is too large to import (raise {setting} if it is genuine)",
            [f"{member}: {problem} ({setting})"],
        )
        self.data.update(member=member, setting=setting, limit=limit)
