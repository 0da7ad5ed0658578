"""Packages written in any OCF 1.x, upgraded to the OCF 1.2 the shipped schemas describe before
they are validated.

The manifest's ``ocf_version`` says which shape the package was written in. A major version
other than 1, or a version missing or not of the form ``1.<minor>[.<patch>][-pre][+build]``,
refuses the package at once, naming the version found and the versions read here. OCF 1.0 (its
pre-releases ``1.0.0-a3`` to ``1.0.0-b3`` included) and 1.1 are upgraded to 1.2 by the changes
below; a 1.2 package is read as written; a later 1.x minor is read as 1.2, with a warning.

The changes, each found by comparing the coalition's published schemas of each version (the
``v1.0.0`` tree, the 1.1.0 and 1.2.0 release notes and the schema files of the 1.2 line shipped
here), and applied in this order:

=========  ==============================================  =========================================
Written    What the package says                           What 1.2 says, and what is done
=========  ==============================================  =========================================
every 1.x  manifest ``ocf_version`` (1.0: one of an enum;  one constant (the shipped schemas' own):
           1.1, 1.2: their own constant)                   set to it for validation; the version
                                                           declared is kept for the report
1.0        issuer ``state_of_formation`` (the drafts       ``country_subdivision_of_formation``
           before 1.0.0 final)                             when it is a code (``^[A-Z0-9]{1,3}$``),
                                                           else ``country_subdivision_name_of_
                                                           formation``; moved there unless that
                                                           field is given already
1.0, 1.1   ``TX_PLAN_SECURITY_ISSUANCE``, ``_TRANSFER``,   ``TX_EQUITY_COMPENSATION_*`` (1.1 added
           ``_EXERCISE``, ``_CANCELLATION``,               them; 1.2 keeps the old names only until
           ``_ACCEPTANCE``, ``_RELEASE``, ``_RETRACTION``  2.0): renamed
1.0, 1.1   equity compensation ``compensation_type``       ``OPTION_NSO`` / ``OPTION_ISO`` (1.1);
           ``OPTION`` with ``option_grant_type`` ``NSO``   ``option_grant_type`` deprecated in 1.2:
           or ``ISO``                                      the type is set, the grant type dropped
                                                           (``INTL`` stays as written)
1.0, 1.1   stock plan ``stock_class_id`` (one class,       ``stock_class_ids`` (a list; the single
           required)                                       id deprecated in 1.2): ``[id]``, unless
                                                           the list is given already
1.0, 1.1   stakeholder ``current_relationship`` (one)      ``current_relationships`` (a list; the
                                                           single one deprecated): appended to the
                                                           list, unless it is in it already
every 1.x  a field of the manifest, of its issuer, of a    not known to 1.2, whose schemas refuse
           file's envelope or of an item (its own          any field they do not list: left out,
           fields, not those nested in its values) that    with a warning naming the file, the item
           no change above maps                            and the field
every 1.x  a listed file without ``md5``                   required: the md5 of the file's bytes
                                                           stands in for validation; nothing is
                                                           compared, nothing is warned
=========  ==============================================  =========================================

The rest of 1.0 and 1.1 is valid 1.2 as written: 1.1 and 1.2 only added fields, types and
values (RSAs from a plan, contact info, capitalization definition rules, return to pool,
authorised shares, warrant quantity sources, financings, documents), and they relaxed rules
(a pool adjustment's ``board_approval_date``, a warrant's ``quantity`` and ``exercise_price``,
contact info's three required fields). Vesting periods gained ``cliff_installment``; a 1.0
cliff, written as a first condition of one occurrence, is read as a cliff (see
:mod:`.mapping`). None of the published issuer schemas (the drafts before 1.0.0, 1.0.0, the 1.2
line) has a ``jurisdiction_of_formation``: a package that writes one gets the unknown-field
warning, and its issuer keeps the country it gives in ``country_of_formation``.
"""

import re
from dataclasses import dataclass
from typing import Any

from apps.captable.ocf import OcfImportError
from apps.captable.ocf.schema import allowed_properties, pinned_ocf_version

MAJOR = 1
SHIPPED_MINOR = 2  # the schemas shipped are of the 1.2 line
SUPPORTED = ("1.0", "1.1", "1.2")
VERSION = re.compile(
    r"^(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)(?:\.(?:0|[1-9]\d*))?"
    r"(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
)
SUBDIVISION_CODE = re.compile(r"^[A-Z0-9]{1,3}$")

PLAN_SECURITY_RENAMED = {
    f"TX_PLAN_SECURITY_{verb}": f"TX_EQUITY_COMPENSATION_{verb}"
    for verb in (
        "ISSUANCE",
        "TRANSFER",
        "EXERCISE",
        "CANCELLATION",
        "ACCEPTANCE",
        "RELEASE",
        "RETRACTION",
    )
}
GRANT_TYPES = {"NSO": "OPTION_NSO", "ISO": "OPTION_ISO"}
MANIFEST_TYPE = "OCF_MANIFEST_FILE"


@dataclass(frozen=True)
class OcfVersion:
    """The version a package declares, and the minor version it is read as."""

    declared: str
    minor: int

    @property
    def read_as(self) -> str:
        """Name the OCF version the package is read as: ``1.0``, ``1.1`` or ``1.2``."""
        return f"{MAJOR}.{min(self.minor, SHIPPED_MINOR)}"

    @property
    def upgraded(self) -> bool:
        """Whether the package was written before 1.2 and so is upgraded."""
        return self.minor < SHIPPED_MINOR


def schema_version() -> str:
    """Return the exact ``ocf_version`` the schemas in use require of a manifest."""
    version = pinned_ocf_version()
    if version is None:
        raise ValueError("the OCF manifest schema in use pins no single ocf_version")
    return version


def ocf_version_read(manifest: dict[str, Any], *, name: str) -> tuple[OcfVersion, list[str]]:
    """Read the version the manifest ``name`` declares; return it and the warnings it calls for.

    Raise :class:`~apps.captable.ocf.OcfImportError` naming the version found and the versions
    read here when it is missing, malformed or of another major version.
    """
    declared = manifest.get("ocf_version")
    supported = (
        f"the versions read here are OCF {', '.join(SUPPORTED[:-1])} and {SUPPORTED[-1]} "
        "(a later 1.x is read as 1.2)"
    )
    if not isinstance(declared, str):
        found = "is missing" if declared is None else f"is {declared!r}, not a version"
        raise OcfImportError(
            "the OCF package's version is not supported",
            [f"{name}: ocf_version {found}: {supported}"],
        )
    matched = VERSION.match(declared)
    if matched is None or int(matched["major"]) != MAJOR:
        what = "is not a version" if matched is None else "is of another major version"
        raise OcfImportError(
            "the OCF package's version is not supported",
            [f"{name}: ocf_version {declared!r} {what}: {supported}"],
        )
    version = OcfVersion(declared=declared, minor=int(matched["minor"]))
    warnings = []
    if version.minor > SHIPPED_MINOR:
        warnings.append(
            f"{name}: ocf_version {declared!r} is newer than OCF 1.2, the version read here: "
            "it is read as 1.2, and any field 1.2 does not know is reported"
        )
    return version, warnings


def _unknown_left_out(data: dict[str, Any], type_name: str, *, where: str) -> list[str]:
    """Remove from ``data`` the fields the 1.2 schema of ``type_name`` does not list; return a
    warning for each."""
    allowed = allowed_properties(type_name)
    if allowed is None:
        return []  # a type 1.2 does not know: its validation says so
    warnings = []
    for field in [field for field in data if field not in allowed]:
        del data[field]
        warnings.append(
            f"{where}: field {field!r} is not part of OCF 1.2 and nothing here maps it; it was "
            "left out"
        )
    return warnings


def _object_name(item: dict[str, Any]) -> str:
    kind, item_id = item.get("object_type"), item.get("id")
    named = f"{item_id!r}" if isinstance(item_id, str) else "without an id"
    return f"{kind} {named}" if isinstance(kind, str) else f"item {named}"


def manifest_upgrade(
    manifest: dict[str, Any], *, version: OcfVersion, name: str
) -> tuple[dict[str, Any], list[str]]:
    """Return the manifest ``name`` in the 1.2 shape, and a warning for each field left out."""
    upgraded = dict(manifest)
    upgraded["ocf_version"] = schema_version()
    warnings = _unknown_left_out(upgraded, MANIFEST_TYPE, where=name)
    issuer = upgraded.get("issuer")
    if isinstance(issuer, dict):
        issuer = dict(issuer)
        if version.minor == 0 and "state_of_formation" in issuer:
            subdivision = issuer["state_of_formation"]
            target = (
                "country_subdivision_of_formation"
                if isinstance(subdivision, str) and SUBDIVISION_CODE.match(subdivision)
                else "country_subdivision_name_of_formation"
            )
            if target not in issuer:
                issuer[target] = issuer.pop("state_of_formation")
        warnings += _unknown_left_out(issuer, "ISSUER", where=f"{name}: {_object_name(issuer)}")
        upgraded["issuer"] = issuer
    return upgraded, warnings


def envelope_upgrade(
    data: dict[str, Any], *, file_type: str, name: str
) -> tuple[dict[str, Any], list[str]]:
    """Return the file ``name``'s envelope (all but its items) without the fields 1.2 does not
    know, and a warning for each."""
    upgraded = dict(data)
    return upgraded, _unknown_left_out(upgraded, file_type, where=name)


def item_upgrade(
    item: dict[str, Any], *, version: OcfVersion, name: str
) -> tuple[dict[str, Any], list[str]]:
    """Return the item of the file ``name`` in the 1.2 shape, and a warning for each field left
    out."""
    upgraded = dict(item)
    kind = upgraded.get("object_type")
    if version.upgraded and isinstance(kind, str):
        kind = upgraded["object_type"] = PLAN_SECURITY_RENAMED.get(kind, kind)
        if kind == "TX_EQUITY_COMPENSATION_ISSUANCE":
            grant = upgraded.get("option_grant_type")
            if upgraded.get("compensation_type") == "OPTION" and grant in GRANT_TYPES:
                upgraded["compensation_type"] = GRANT_TYPES[grant]
                del upgraded["option_grant_type"]
        elif kind == "STOCK_PLAN" and "stock_class_id" in upgraded:
            if "stock_class_ids" not in upgraded:
                upgraded["stock_class_ids"] = [upgraded.pop("stock_class_id")]
        elif kind == "STAKEHOLDER" and "current_relationship" in upgraded:
            relationships = upgraded.get("current_relationships")
            if relationships is None or isinstance(relationships, list):
                relationship = upgraded.pop("current_relationship")
                relationships = list(relationships or [])
                if relationship not in relationships:
                    relationships.append(relationship)
                upgraded["current_relationships"] = relationships
    if not isinstance(kind, str):
        return upgraded, []
    return upgraded, _unknown_left_out(upgraded, kind, where=f"{name}: {_object_name(upgraded)}")
