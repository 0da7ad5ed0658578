"""Open Cap Format packages in and out of the cap table: any OCF 1.x in, OCF 1.2 out.

:mod:`.schema` validates files and items against the coalition's JSON schemas (of the 1.2 line),
offline; :mod:`.compat` upgrades a package written in OCF 1.0 or 1.1 to 1.2 before validation
and refuses a version it cannot read; :mod:`.package` reads a package and validates every file
and item; :mod:`.content` checks its references and transaction types and orders its
transactions; :mod:`.importer` writes it as an issuer and its movements, or rehearses that and
reports (:mod:`.report`); :mod:`.exporter` writes an issuer back as a package; :mod:`.mapping`
holds the correspondences both ways.

Every problem a package has is an error or a warning. An error would change or lose holdings:
the import is refused with :class:`OcfImportError` listing every error found, each naming its
file and item, and nothing is written; a package over a size limit raises
:class:`OcfPackageTooLarge` as soon as it is seen, naming the file, the limit and the setting
that holds it. A warning (a stale md5, a field OCF 1.2 does not know, a resulting security the
holdings do not need, a newer 1.x) loses nothing the books hold: a package with warnings and no
error is refused with :class:`OcfWarningsNotAccepted` unless the warnings are accepted, and then
they are kept on the import's history.
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


class OcfWarningsNotAccepted(OcfImportError):
    """An OCF package has warnings and no error, and they were not accepted: nothing was written.

    ``errors`` lists the warnings, each naming its file and item.
    """

    code = "ocf_warnings_not_accepted"

    def __init__(self, warnings: list[str]) -> None:
        super().__init__(
            f"the OCF package has {len(warnings)} warning(s) and was not imported: import it "
            "accepting them once each is understood",
            warnings,
        )
        self.data["warnings"] = warnings
