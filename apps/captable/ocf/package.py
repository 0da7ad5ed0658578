"""Reading an OCF package: its manifest, the files the manifest lists, and their validation.

A package is a folder or an ``.ocf.zip`` holding one manifest (``Manifest.ocf.json``, or any
``*.ocf.json`` whose ``file_type`` is ``OCF_MANIFEST_FILE``) and the files it lists, by paths
relative to the manifest. Every file and every item is validated before anything is returned,
and all the problems are reported together, each naming its file and item id. Numbers are read
as ``Decimal`` (OCF writes amounts as strings; a bare JSON number never becomes a float).

The ``md5`` the manifest gives for each file is not checked: producers compute it differently,
and the schemas already guard the content.
"""

import json
import posixpath
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from apps.captable.ocf import OcfImportError
from apps.captable.ocf.schema import validate_file, validate_item

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
class OcfPackage:
    """A validated package: the manifest and the items of each file type, in file order."""

    manifest_name: str
    manifest: dict[str, Any]
    items: dict[str, list[OcfItem]] = field(default_factory=dict)

    def of(self, file_type: str) -> list[OcfItem]:
        return self.items.get(file_type, [])


class _Folder:
    """Reads files relative to a folder, refusing paths that leave it."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def manifests(self) -> list[str]:
        if (self.root / MANIFEST_NAME).is_file():
            return [MANIFEST_NAME]
        return sorted(path.name for path in self.root.glob("*.ocf.json"))

    def read(self, name: str) -> bytes:
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root):
            raise FileNotFoundError(f"{name} is outside the package")
        return path.read_bytes()


class _Zip:
    """Reads files of an ``.ocf.zip``, relative to the folder that holds its manifest."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.names = {name for name in archive.namelist() if not name.endswith("/")}

    def manifests(self) -> list[str]:
        exact = sorted(n for n in self.names if posixpath.basename(n) == MANIFEST_NAME)
        return exact or sorted(n for n in self.names if n.endswith(".ocf.json"))

    def read(self, name: str) -> bytes:
        normal = posixpath.normpath(name)
        if normal.startswith("../") or normal not in self.names:
            raise FileNotFoundError(f"{name} is not in the archive")
        return self.archive.read(normal)


def _parse(content: bytes) -> Any:
    return json.loads(content.decode("utf-8"), parse_float=Decimal, parse_int=int)


def _find_manifest(reader: _Folder | _Zip, errors: list[str]) -> tuple[str, dict] | None:
    candidates = []
    for name in reader.manifests():
        try:
            data = _parse(reader.read(name))
        except (ValueError, OSError):
            continue
        if isinstance(data, dict) and data.get("file_type") == MANIFEST_TYPE:
            candidates.append((name, data))
    if not candidates:
        errors.append(f"no OCF manifest ({MANIFEST_NAME} or *.ocf.json of type {MANIFEST_TYPE})")
        return None
    if len(candidates) > 1:
        names = ", ".join(name for name, _ in candidates)
        errors.append(f"more than one OCF manifest: {names}")
        return None
    return candidates[0]


def _read_files(
    reader: _Folder | _Zip,
    manifest_name: str,
    manifest: dict,
    errors: list[str],
    progress: Progress | None,
) -> dict[str, list[OcfItem]]:
    base = posixpath.dirname(manifest_name)
    items: dict[str, list[OcfItem]] = {}
    position = 0
    for list_name, file_type in FILE_LISTS.items():
        entries = manifest.get(list_name)
        for entry in entries if isinstance(entries, list) else []:
            filepath = entry.get("filepath") if isinstance(entry, dict) else None
            if not isinstance(filepath, str):
                continue  # reported by the manifest's own validation
            name = posixpath.normpath(posixpath.join(base, filepath))
            try:
                data = _parse(reader.read(name))
            except (OSError, KeyError):
                errors.append(f"{manifest_name}: {list_name} lists {filepath}, which is missing")
                continue
            except ValueError as error:
                errors.append(f"{name}: not valid JSON ({error})")
                continue
            errors.extend(f"{name}: {message}" for message in validate_file(data))
            if not isinstance(data, dict):
                continue
            if data.get("file_type") != file_type:
                errors.append(
                    f"{name}: listed in {list_name}, so its file_type must be {file_type}, "
                    f"not {data.get('file_type')!r}"
                )
                continue
            found = data.get("items")
            for item in found if isinstance(found, list) else []:
                position += 1
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
    return items


def package_read(path: Path, *, progress: Progress | None = None) -> OcfPackage:
    """Read and validate the package at ``path`` (a folder, a manifest or an ``.ocf.zip``).

    Raise :class:`OcfImportError` listing every problem: unreadable files, schema violations
    of any file or item, items in the wrong file.
    """
    errors: list[str] = []
    path = Path(path)
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return _read(_Zip(archive), errors, progress)
    if path.is_file():
        return _read(_Folder(path.parent), errors, progress, manifest=path.name)
    if path.is_dir():
        return _read(_Folder(path), errors, progress)
    raise OcfImportError(f"{path} is not an OCF package", [f"{path}: no such folder or file"])


def _read(
    reader: _Folder | _Zip,
    errors: list[str],
    progress: Progress | None,
    *,
    manifest: str | None = None,
) -> OcfPackage:
    if manifest is None:
        found = _find_manifest(reader, errors)
    else:
        try:
            found = (manifest, _parse(reader.read(manifest)))
        except (OSError, ValueError) as error:
            errors.append(f"{manifest}: cannot be read as JSON ({error})")
            found = None
    if found is None:
        raise OcfImportError("the OCF package cannot be read", errors)
    manifest_name, data = found
    errors.extend(f"{manifest_name}: {message}" for message in validate_file(data))
    listed = data if isinstance(data, dict) else {}
    items = _read_files(reader, manifest_name, listed, errors, progress)
    _refuse_duplicate_ids(items, errors)
    if errors:
        raise OcfImportError(f"the OCF package is invalid ({len(errors)} problem(s))", errors)
    return OcfPackage(manifest_name=manifest_name, manifest=data, items=items)


def _refuse_duplicate_ids(items: dict[str, list[OcfItem]], errors: list[str]) -> None:
    for found in items.values():
        seen: dict[str, OcfItem] = {}
        for item in found:
            first = seen.setdefault(item.id, item)
            if first is not item:
                errors.append(f"{item.where()}: the id is already used in {first.file}")
