"""Reading an OCF package: its manifest, the files the manifest lists, and their validation.

A package is a folder or an ``.ocf.zip`` holding one manifest (``Manifest.ocf.json``, or any
``*.ocf.json`` whose ``file_type`` is ``OCF_MANIFEST_FILE``) and the files it lists, by paths
relative to the manifest. Every file and every item is validated before anything is returned,
and all the problems are reported together, each naming its file and item id. Numbers are read
as ``Decimal`` (OCF writes amounts as strings; a bare JSON number never becomes a float).

The manifest's ``ocf_version`` is read first (:mod:`.compat`): a version not read here refuses
the package at once; the manifest and each item are then upgraded to the OCF 1.2 shape the
schemas describe, fields 1.2 does not know being left out with a warning, before validation.

The ``md5`` the manifest gives for a file is compared with the md5 of the file's bytes as read:
a difference is a warning naming the file and both values (the file changed after the manifest
was written, or the manifest is stale), never an error, since the schemas guard the content. A
file listed without an md5 is compared with nothing and warned of nothing.

What reading finds besides errors (the version declared, the issuer's name, the package's date,
how many objects of each type, the warnings) is kept in :class:`OcfFindings`, which outlives a
refusal so that a dry run can report it.

A package is untrusted input, so reading it is bounded, and what is read is screened before the
schemas or the database see it. An archive holds at most ``OCF_IMPORT_MAX_MEMBERS`` members,
none named outside it (absolute, or climbing with ``..``), and is refused whole otherwise. Each
file read holds at most ``OCF_IMPORT_MAX_FILE_BYTES`` bytes and all of them together
``OCF_IMPORT_MAX_UNCOMPRESSED_BYTES``: the size an archive declares is checked before a member
is inflated, then the bytes actually inflated are counted as they come, so an archive lying
about its sizes is stopped at the limit too. Going over a limit stops the reading at once
(:class:`~apps.captable.ocf.OcfPackageTooLarge`, naming the file, the limit and its setting).
Every file must be UTF-8 JSON nested at most ``MAX_DEPTH`` levels whose strings (keys included)
hold no invisible character but tab and line breaks (the platform's one rule for text,
``control_character_in``: NUL and the other controls, bidirectional overrides, lone surrogates),
which the database would refuse or which would make a name read otherwise than it is stored;
these problems are reported with the schema violations, each naming its file, item and path.
"""

import copy
import hashlib
import json
import lzma
import os
import posixpath
import re
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from apps.captable.ocf import OcfImportError, OcfPackageTooLarge
from apps.captable.ocf.compat import (
    OcfVersion,
    envelope_upgrade,
    item_upgrade,
    manifest_upgrade,
    ocf_version_read,
)
from apps.captable.ocf.schema import validate_file, validate_item
from apps.core.validators import control_character_in

MANIFEST_NAME = "Manifest.ocf.json"
MANIFEST_TYPE = "OCF_MANIFEST_FILE"

# The manifest's lists of files, and the file type each list holds.
FILE_LISTS = {
    "stock_classes_files": "OCF_STOCK_CLASSES_FILE",
    "stakeholders_files": "OCF_STAKEHOLDERS_FILE",
    "stock_plans_files": "OCF_STOCK_PLANS_FILE",
    "vesting_terms_files": "OCF_VESTING_TERMS_FILE",
    "transactions_files": "OCF_TRANSACTIONS_FILE",
    "valuations_files": "OCF_VALUATIONS_FILE",
    "stock_legend_templates_files": "OCF_STOCK_LEGEND_TEMPLATES_FILE",
    "financings_files": "OCF_FINANCINGS_FILE",
    "documents_files": "OCF_DOCUMENTS_FILE",
}

# The object type(s) each file type may hold; transactions and change events share one file.
ITEM_TYPES = {
    "OCF_STOCK_CLASSES_FILE": ("STOCK_CLASS",),
    "OCF_STAKEHOLDERS_FILE": ("STAKEHOLDER",),
    "OCF_STOCK_PLANS_FILE": ("STOCK_PLAN",),
    "OCF_VESTING_TERMS_FILE": ("VESTING_TERMS",),
    "OCF_VALUATIONS_FILE": ("VALUATION",),
    "OCF_STOCK_LEGEND_TEMPLATES_FILE": ("STOCK_LEGEND_TEMPLATE",),
    "OCF_FINANCINGS_FILE": ("FINANCING",),
    "OCF_DOCUMENTS_FILE": ("DOCUMENT",),
}
TRANSACTION_PREFIXES = ("TX_", "CE_")

# Told (stage, done, total) as a long import goes; a total of 0 is not known yet.
Progress = Callable[[str, int, int], None]

MAX_DEPTH = 32  # OCF files nest about ten levels; deeper is not an OCF file
CHUNK_BYTES = 64 * 1024
# What no OCF string may hold, as no free text of ours may (apps.core.validators): control
# characters but tab, line feed and carriage return (C0, DEL, C1); the bidirectional marks and
# overrides, which make a name read otherwise than it is stored; the line and paragraph
# separators; lone surrogates, which no database stores.
ENCRYPTED = 0x1  # the general purpose flag of an encrypted zip member
ZIP64_MAX_SIZE = 2**64 - 1
MD5 = re.compile(r"^[0-9a-fA-F]{32}$")


@dataclass(frozen=True)
class OcfItem:
    """One object of the package, where it was found and its place in the package's order."""

    file: str
    position: int
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def object_type(self) -> str:
        return self.data["object_type"]

    def where(self) -> str:
        """Name the item for an error message: its file, type and id."""
        return f"{self.file}: {self.object_type} {self.id!r}"


@dataclass
class OcfFindings:
    """What reading and checking a package found besides its errors, as far as it got."""

    ocf_version: str = ""  # as the manifest declares it
    issuer_name: str = ""
    as_of: date | None = None  # the manifest's as_of, else the latest transaction's date
    counts: Counter[str] = field(default_factory=Counter)  # items per object type (1.2 names)
    warnings: list[str] = field(default_factory=list)


@dataclass
class OcfPackage:
    """A validated package: the manifest and the items of each file type, in file order, in
    the OCF 1.2 shape, and what reading it found."""

    manifest_name: str
    manifest: dict[str, Any]
    items: dict[str, list[OcfItem]] = field(default_factory=dict)
    findings: OcfFindings = field(default_factory=OcfFindings)

    def of(self, file_type: str) -> list[OcfItem]:
        return self.items.get(file_type, [])


@dataclass(frozen=True)
class ReadLimits:
    """How much reading one package may take; by default the settings of the same names."""

    total_bytes: int
    file_bytes: int
    members: int

    @classmethod
    def from_settings(cls) -> "ReadLimits":
        return cls(
            total_bytes=settings.OCF_IMPORT_MAX_UNCOMPRESSED_BYTES,
            file_bytes=settings.OCF_IMPORT_MAX_FILE_BYTES,
            members=settings.OCF_IMPORT_MAX_MEMBERS,
        )


class _Unreadable(Exception):
    """A file of the package cannot be read as UTF-8 JSON; the message says why."""


class _Budget:
    """Counts the bytes read from a package against the per-file and the total limits."""

    def __init__(self, limits: ReadLimits) -> None:
        self.limits = limits
        self.used = 0

    def allowance(self) -> int:
        """Return how many bytes the next file may hold."""
        return max(min(self.limits.file_bytes, self.limits.total_bytes - self.used), 0)

    def _over(self, name: str, found: str) -> OcfPackageTooLarge:
        """Refuse the file ``name``, which ``found`` says is over the limit that binds it."""
        if self.limits.file_bytes <= self.limits.total_bytes - self.used:
            setting, limit = "OCF_IMPORT_MAX_FILE_BYTES", self.limits.file_bytes
            words = f"{limit:,} bytes per file"
        else:
            setting, limit = "OCF_IMPORT_MAX_UNCOMPRESSED_BYTES", self.limits.total_bytes
            words = f"{limit:,} bytes in all ({self.used:,} already read)"
        return OcfPackageTooLarge(
            member=name, problem=f"{found}, over the limit of {words}", setting=setting, limit=limit
        )

    def admit(self, name: str, *, declared: int, inflated: bool) -> None:
        """Refuse the file ``name`` before reading it when it is larger than allowed:
        ``declared`` is the size an archive declares (``inflated``) or the size on disk."""
        if declared > self.allowance():
            said = "declares" if inflated else "holds"
            raise self._over(name, f"{said} {declared:,} bytes")

    def read(self, name: str, stream: IO[bytes], *, declared: int, inflated: bool) -> bytearray:
        """Read ``stream`` whole, counting, and refuse it as soon as it holds more than
        allowed, whatever it declared."""
        allowed = self.allowance()
        content = bytearray()
        while chunk := stream.read(min(CHUNK_BYTES, allowed + 1 - len(content))):
            content += chunk
        size = len(content)
        if size > allowed:
            found = f"holds more than {allowed:,} bytes"
            if inflated:
                found = f"inflates to more than {allowed:,} bytes though it declares {declared:,}"
            raise self._over(name, found)
        self.used += size
        return content


def _leaves(name: str) -> bool:
    """Whether the path ``name`` is absolute or climbs out of where it is read from."""
    parts = name.replace("\\", "/").split("/")
    return (
        name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name) is not None
    )


class _Folder:
    """Reads files relative to a folder, refusing paths that leave it."""

    def __init__(self, root: Path, budget: _Budget) -> None:
        self.root = root.resolve()
        self.budget = budget

    def manifests(self) -> list[str]:
        if (self.root / MANIFEST_NAME).is_file():
            return [MANIFEST_NAME]
        return sorted(path.name for path in self.root.glob("*.ocf.json"))

    def read(self, name: str) -> bytearray:
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root):
            raise _Unreadable("is outside the package")
        with path.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            self.budget.admit(name, declared=size, inflated=False)
            return self.budget.read(name, stream, declared=size, inflated=False)


class _Zip:
    """Reads files of an ``.ocf.zip``, relative to the folder that holds its manifest.

    The archive is refused whole when it has too many members or a member named outside it.
    """

    def __init__(self, archive: zipfile.ZipFile, name: str, budget: _Budget) -> None:
        members = archive.infolist()
        if len(members) > budget.limits.members:
            raise OcfPackageTooLarge(
                member=name,
                problem=f"holds {len(members):,} members, over the limit of "
                f"{budget.limits.members:,}",
                setting="OCF_IMPORT_MAX_MEMBERS",
                limit=budget.limits.members,
            )
        outside = [info.filename for info in members if _leaves(info.filename)]
        if outside:
            raise OcfImportError(
                f"{name} names members outside the archive; nothing of it was read",
                [f"{name}: member {member!r} is outside the archive" for member in outside],
            )
        self.archive = archive
        self.budget = budget
        self.members = {info.filename: info for info in members if not info.is_dir()}

    def manifests(self) -> list[str]:
        names = sorted(self.members)
        exact = [n for n in names if posixpath.basename(n) == MANIFEST_NAME]
        return exact or [n for n in names if n.endswith(".ocf.json")]

    def read(self, name: str) -> bytearray:
        info = self.members.get(posixpath.normpath(name))
        if info is None:
            raise FileNotFoundError(f"{name} is not in the archive")
        if info.flag_bits & ENCRYPTED:
            raise _Unreadable("is encrypted")
        self.budget.admit(name, declared=info.file_size, inflated=True)
        # zipfile stops at the declared size and only then checks the CRC; lift that stop so
        # that the count of what actually inflates, not the archive's word, is what stops it.
        unbounded = copy.copy(info)
        unbounded.file_size = ZIP64_MAX_SIZE
        try:
            with self.archive.open(unbounded) as stream:
                content = self.budget.read(name, stream, declared=info.file_size, inflated=True)
        except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError) as error:
            raise _Unreadable(f"is corrupt in the archive ({error})") from error
        except NotImplementedError as error:  # zipfile's word for a compression it lacks
            raise _Unreadable(f"cannot be inflated ({error})") from error
        if len(content) != info.file_size:
            raise _Unreadable(
                f"is corrupt in the archive: it inflates to {len(content):,} bytes but "
                f"declares {info.file_size:,}"
            )
        return content


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse(content: bytearray) -> Any:
    """Read ``content`` as UTF-8 JSON, numbers as ``Decimal`` and ``int``, never ``float``."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _Unreadable(
            f"is not UTF-8 text (byte 0x{content[error.start]:02x} at offset {error.start})"
        ) from None
    try:
        return json.loads(text, parse_float=Decimal, parse_int=int, parse_constant=_refuse_constant)
    except RecursionError:
        raise _Unreadable(f"is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:
        raise _Unreadable(f"is not valid JSON ({error})") from None


def _character(found: str) -> str:
    """Name a forbidden character for a person: its kind, code point and Unicode name."""
    code = ord(found)
    if 0xD800 <= code <= 0xDFFF:
        return f"a lone surrogate U+{code:04X}, which OCF text may not hold"
    kind = "control" if unicodedata.category(found) == "Cc" else "invisible"
    name = f" {unicodedata.name(found, '')}".rstrip()
    return f"the {kind} character U+{code:04X}{name}, which OCF text may not hold"


def _screened(value: Any, depth: int) -> Iterator[tuple[str, str]]:
    """Yield (path, problem) for every part of ``value`` nested deeper than ``MAX_DEPTH`` (the
    value itself being at ``depth``) and every string, key or value, holding a forbidden
    character. Iterative: a hostile file must not exhaust the interpreter's stack."""
    pending: list[tuple[Any, tuple, int]] = [(value, (), depth)]
    while pending:
        node, where, level = pending.pop()
        if isinstance(node, str):
            found = control_character_in(node, multiline=True)
            if found:
                yield _written(where), f"holds {_character(found[1])}"
            continue
        if not isinstance(node, dict | list):
            continue
        if level > MAX_DEPTH:
            yield _written(where), f"is nested deeper than {MAX_DEPTH} levels"
            continue
        entries = list(node.items() if isinstance(node, dict) else enumerate(node))
        for key, child in reversed(entries):
            if isinstance(key, str):
                found = control_character_in(key, multiline=True)
                if found:
                    yield _written((key, where)), f"has a key holding {_character(found[1])}"
                    continue
            pending.append((child, (key, where), level + 1))


def _written(where: tuple) -> str:
    """Write a path kept as (key, parent) pairs as the schemas' messages do: ``$.name[0]``."""
    keys = []
    while where:
        key, where = where
        keys.append(key)
    parts = ["$"]
    for key in reversed(keys):
        if isinstance(key, int):
            parts.append(f"[{key}]")
        elif key.isidentifier():
            parts.append(f".{key}")
        else:
            parts.append(f"[{key!r}]")
    return "".join(parts)


def _item_name(item: Any) -> str:
    """Name an item as the schemas' messages do, though its id or type may be hostile."""
    if not isinstance(item, dict):
        return "an item"
    item_id, kind = item.get("id"), item.get("object_type")
    name = f"item {item_id!r}" if isinstance(item_id, str) else "an item without an id"
    return f"{name} ({kind})" if isinstance(kind, str) and kind.isidentifier() else name


def _screen(data: Any, *, depth: int = 1) -> list[str]:
    """Return what makes ``data`` (at ``depth`` in its file) unsafe to read further."""
    return [f"at {where}: {problem}" for where, problem in _screened(data, depth)]


def _find_manifest(reader: _Folder | _Zip, errors: list[str]) -> tuple[str, dict] | None:
    candidates = []
    unreadable = []
    for name in reader.manifests():
        try:
            data = _parse(reader.read(name))
        except _Unreadable as error:
            unreadable.append(f"{name}: {error}")
            continue
        except OSError:
            continue
        if isinstance(data, dict) and data.get("file_type") == MANIFEST_TYPE:
            candidates.append((name, data))
    if not candidates:
        errors.append(f"no OCF manifest ({MANIFEST_NAME} or *.ocf.json of type {MANIFEST_TYPE})")
        errors.extend(unreadable)
        return None
    if len(candidates) > 1:
        names = ", ".join(name for name, _ in candidates)
        errors.append(f"more than one OCF manifest: {names}")
        return None
    return candidates[0]


def _md5_compared(
    content: bytearray, entry: dict[str, Any], *, name: str, where: str, findings: OcfFindings
) -> str:
    """Return the md5 of the file ``name``'s bytes, warning when the manifest gives another."""
    digest = hashlib.md5(content, usedforsecurity=False).hexdigest()
    declared = entry.get("md5")
    if isinstance(declared, str) and MD5.match(declared) and declared.lower() != digest:
        findings.warnings.append(
            f"{name}: its bytes have md5 {digest}, but {where} gives {declared.lower()}: the "
            "file changed after the manifest was written, or the manifest is stale"
        )
    return digest


def _read_files(
    reader: _Folder | _Zip,
    manifest_name: str,
    manifest: dict,
    version: OcfVersion | None,
    errors: list[str],
    findings: OcfFindings,
    progress: Progress | None,
) -> tuple[dict[str, list[OcfItem]], dict[tuple[str, int], str]]:
    """Read, upgrade and validate every file the manifest lists; return their items by file
    type and the md5 of each file read, by its place in the manifest."""
    base = posixpath.dirname(manifest_name)
    items: dict[str, list[OcfItem]] = {}
    digests: dict[tuple[str, int], str] = {}
    position = 0
    for list_name, file_type in FILE_LISTS.items():
        entries = manifest.get(list_name)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            filepath = entry.get("filepath") if isinstance(entry, dict) else None
            if not isinstance(entry, dict) or not isinstance(filepath, str):
                continue  # reported by the manifest's own validation
            name = posixpath.normpath(posixpath.join(base, filepath))
            if _leaves(filepath) or _leaves(name):
                errors.append(
                    f"{manifest_name}: {list_name} lists {filepath!r}, which is outside the package"
                )
                continue
            try:
                content = reader.read(name)
                data = _parse(content)
            except _Unreadable as error:
                errors.append(f"{name}: {error}")
                continue
            except OSError:
                errors.append(f"{manifest_name}: {list_name} lists {filepath}, which is missing")
                continue
            digests[(list_name, index)] = _md5_compared(
                content,
                entry,
                name=name,
                where=f"{manifest_name} ({list_name})",
                findings=findings,
            )
            found = data.get("items") if isinstance(data, dict) else None
            envelope = {**data, "items": []} if isinstance(found, list) else data
            problems = _screen(envelope)
            if problems:
                errors.extend(f"{name}: {message}" for message in problems)
                continue
            if isinstance(data, dict) and data.get("file_type") == file_type:
                data, warned = envelope_upgrade(data, file_type=file_type, name=name)
                findings.warnings.extend(warned)
            errors.extend(f"{name}: {message}" for message in validate_file(data))
            if not isinstance(data, dict):
                continue
            if data.get("file_type") != file_type:
                errors.append(
                    f"{name}: listed in {list_name}, so its file_type must be {file_type}, "
                    f"not {data.get('file_type')!r}"
                )
                continue
            for item in found if isinstance(found, list) else []:
                position += 1
                # An item is at depth 3 of its file: the file, its items, the item.
                unsafe = [f"{_item_name(item)} {problem}" for problem in _screen(item, depth=3)]
                if unsafe:
                    errors.extend(f"{name}: {message}" for message in unsafe)
                    continue
                if isinstance(item, dict) and version is not None:
                    item, warned = item_upgrade(item, version=version, name=name)
                    findings.warnings.extend(warned)
                kind = item.get("object_type") if isinstance(item, dict) else None
                if isinstance(kind, str):
                    findings.counts[kind] += 1
                problems = validate_item(item)
                if problems:
                    errors.extend(f"{name}: {message}" for message in problems)
                    continue
                allowed = ITEM_TYPES.get(file_type)
                kind = item["object_type"]
                if (allowed and kind not in allowed) or (
                    not allowed and not kind.startswith(TRANSACTION_PREFIXES)
                ):
                    errors.append(f"{name}: item {item['id']!r} of type {kind} has no place here")
                    continue
                items.setdefault(file_type, []).append(OcfItem(name, position, item))
                if progress is not None and position % 10_000 == 0:
                    progress("items validated", position, 0)
    return items, digests


def package_read(
    path: Path,
    *,
    progress: Progress | None = None,
    limits: ReadLimits | None = None,
    findings: OcfFindings | None = None,
) -> OcfPackage:
    """Read, upgrade to OCF 1.2 and validate the package at ``path`` (a folder, a manifest or
    an ``.ocf.zip``), within ``limits`` (by default :meth:`ReadLimits.from_settings`).

    Raise :class:`OcfImportError` listing every problem: a version not read here (at once),
    unreadable, corrupt or unsafe files, schema violations of any file or item, items in the
    wrong file; or, at once, :class:`OcfPackageTooLarge` naming the file and the limit it is
    over. What was found meanwhile is kept in ``findings`` (the package's own, when it is read).
    """
    errors: list[str] = []
    path = Path(path)
    findings = findings if findings is not None else OcfFindings()
    budget = _Budget(limits or ReadLimits.from_settings())
    if path.is_file() and (path.suffix.lower() == ".zip" or zipfile.is_zipfile(path)):
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
            raise OcfImportError(
                "the OCF package cannot be read",
                [f"{path.name}: is not a readable zip archive ({error})"],
            ) from error
        with archive:
            return _read(_Zip(archive, path.name, budget), errors, findings, progress)
    if path.is_file():
        return _read(_Folder(path.parent, budget), errors, findings, progress, manifest=path.name)
    if path.is_dir():
        return _read(_Folder(path, budget), errors, findings, progress)
    raise OcfImportError(f"{path} is not an OCF package", [f"{path}: no such folder or file"])


def _read(
    reader: _Folder | _Zip,
    errors: list[str],
    findings: OcfFindings,
    progress: Progress | None,
    *,
    manifest: str | None = None,
) -> OcfPackage:
    if manifest is None:
        found = _find_manifest(reader, errors)
    else:
        try:
            found = (manifest, _parse(reader.read(manifest)))
        except (OSError, _Unreadable) as error:
            errors.append(f"{manifest}: {error}")
            found = None
    if found is None:
        raise OcfImportError("the OCF package cannot be read", errors)
    manifest_name, data = found
    # The manifest says which files to read: nothing more is read from one that is unsafe.
    problems = _screen(data)
    if problems:
        raise OcfImportError(
            "the OCF package cannot be read",
            [f"{manifest_name}: {message}" for message in problems],
        )
    version = None
    if isinstance(data, dict):
        _manifest_noted(data, findings)
        version, warned = ocf_version_read(data, name=manifest_name)
        data, upgraded = manifest_upgrade(data, version=version, name=manifest_name)
        findings.warnings.extend([*warned, *upgraded])
    listed = data if isinstance(data, dict) else {}
    file_errors: list[str] = []
    items, digests = _read_files(
        reader, manifest_name, listed, version, file_errors, findings, progress
    )
    errors.extend(
        f"{manifest_name}: {message}" for message in validate_file(_with_digests(data, digests))
    )
    errors.extend(file_errors)
    _refuse_duplicate_ids(items, errors)
    findings.as_of = _as_of(listed, items)
    if errors:
        raise OcfImportError(f"the OCF package is invalid ({len(errors)} problem(s))", errors)
    return OcfPackage(manifest_name=manifest_name, manifest=data, items=items, findings=findings)


def _manifest_noted(manifest: dict[str, Any], findings: OcfFindings) -> None:
    """Note what the manifest says of the package, even one whose version is refused."""
    declared = manifest.get("ocf_version")
    findings.ocf_version = declared if isinstance(declared, str) else ""
    findings.as_of = _date(manifest.get("as_of"))
    issuer = manifest.get("issuer")
    if isinstance(issuer, dict):
        findings.counts["ISSUER"] = 1
        name = issuer.get("dba") or issuer.get("legal_name")
        findings.issuer_name = name if isinstance(name, str) else ""


def _with_digests(manifest: Any, digests: dict[tuple[str, int], str]) -> Any:
    """Return the manifest to validate: a file listed without an md5 is given its own."""
    if not isinstance(manifest, dict):
        return manifest
    completed = dict(manifest)
    for list_name in FILE_LISTS:
        entries = manifest.get(list_name)
        if not isinstance(entries, list):
            continue
        completed[list_name] = [
            {**entry, "md5": digests[(list_name, index)]}
            if isinstance(entry, dict) and "md5" not in entry and (list_name, index) in digests
            else entry
            for index, entry in enumerate(entries)
        ]
    return completed


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _as_of(manifest: dict[str, Any], items: dict[str, list[OcfItem]]) -> date | None:
    """Return the package's date: its manifest's ``as_of``, else its latest transaction's."""
    declared = _date(manifest.get("as_of"))
    if declared is not None:
        return declared
    dates = [_date(item.data.get("date")) for item in items.get("OCF_TRANSACTIONS_FILE", [])]
    return max((on for on in dates if on is not None), default=None)


def _refuse_duplicate_ids(items: dict[str, list[OcfItem]], errors: list[str]) -> None:
    for found in items.values():
        seen: dict[str, OcfItem] = {}
        for item in found:
            first = seen.setdefault(item.id, item)
            if first is not item:
                errors.append(f"{item.where()}: the id is already used in {first.file}")
