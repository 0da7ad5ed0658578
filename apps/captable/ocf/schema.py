"""The OCF 1.2 JSON schemas, loaded offline, and the validation of files and items against them.

Every ``*.schema.json`` under the schema folder is registered under its ``$id``, so ``$ref``s
resolve without the network. A file's envelope is validated against the file schema of its
``file_type``; each item separately against the schema of its ``object_type``, because the
transactions file's ``oneOf`` does not list every transaction type of this version and its
errors would not say which item failed. Messages name the item id and the failing path.

The reference is python-jsonschema (Draft 7, its format checker): it says what is valid, and
every message is its own. A package holds hundreds of thousands of items, so each item is first
put to a validator compiled once per object type by jsonschema-rs, which only answers whether it
is valid; an item it refuses (or cannot read) is validated again by the reference, which gives
the messages, or finds it valid after all. The compiled validator checks ``pattern`` with
Python's ``re.search`` and ``format`` with the reference's format checker, and never counts a
``Decimal`` as an integer, as the reference does: where it accepts an item, so does the
reference (for items as ``json`` reads them; it would take a tuple for an array).

The folder is an argument; by default it is ``OCF_SCHEMA_DIR`` from the environment, else the
unchanged copy of the Open Cap Table Coalition's schemas shipped in ``schemas/`` beside this
module (with their licence).
"""

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, partial
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SCHEMA_DIR_VARIABLE = "OCF_SCHEMA_DIR"
MAX_MESSAGE = 300
# A keyword of the compiled validator's copy of the schemas only: the reference counts no
# ``Decimal`` (a JSON number with a point or an exponent, as the package reads it) as an integer.
NOT_A_DECIMAL = "x-roundtable-not-a-decimal"
LITERAL_KEYWORDS = frozenset({"const", "enum", "default", "examples"})


SHIPPED_SCHEMAS = Path(__file__).resolve().parent / "schemas"


def default_schema_dir() -> Path:
    """Return the schema folder: ``$OCF_SCHEMA_DIR``, else the copy shipped with the product."""
    configured = os.environ.get(SCHEMA_DIR_VARIABLE)
    return Path(configured) if configured else SHIPPED_SCHEMAS


class _PythonPattern:
    """``pattern`` as the reference checks it: ``re.search`` with Python's regular expressions,
    which differ from the compiled validator's own (``$`` before a final line feed, ``\\d``,
    ``\\s``)."""

    def __init__(self, parent_schema: dict[str, Any], value: str, schema_path: list) -> None:
        self.search = re.compile(value).search

    def validate(self, instance: Any) -> None:
        if isinstance(instance, str) and self.search(instance) is None:
            raise ValueError("does not match the pattern")


class _NotADecimal:
    """Refuse a ``Decimal`` where the schema asks for an integer (and not any number)."""

    def __init__(self, parent_schema: dict[str, Any], value: bool, schema_path: list) -> None:
        pass

    def validate(self, instance: Any) -> None:
        if isinstance(instance, Decimal):
            raise ValueError("a decimal is not an integer")


def _compilable(node: Any) -> Any:
    """Return ``node`` with :data:`NOT_A_DECIMAL` beside every ``type`` that allows integers
    but not numbers (values given as data, such as a ``const``, left as they are)."""
    if isinstance(node, list):
        return [_compilable(value) for value in node]
    if not isinstance(node, dict):
        return node
    copied = {
        key: value if key in LITERAL_KEYWORDS else _compilable(value) for key, value in node.items()
    }
    types = node.get("type")
    names = types if isinstance(types, list) else [types]
    if "integer" in names and "number" not in names:
        copied[NOT_A_DECIMAL] = True
    return copied


def _format_names(node: Any) -> set[str]:
    """Return every ``format`` named anywhere in ``node``."""
    if isinstance(node, list):
        return set().union(*(_format_names(value) for value in node))
    if not isinstance(node, dict):
        return set()
    found = {node["format"]} if isinstance(node.get("format"), str) else set()
    return found.union(*(_format_names(value) for value in node.values()))


def _uses(node: Any, keyword: str) -> bool:
    """Whether ``keyword`` is a key anywhere in ``node``."""
    if isinstance(node, list):
        return any(_uses(value, keyword) for value in node)
    if not isinstance(node, dict):
        return False
    return keyword in node or any(_uses(value, keyword) for value in node.values())


def _refuse_retrieval(uri: str) -> Any:
    """Refuse to fetch a schema: every one is read from the folder, none from the network."""
    raise jsonschema_rs.ReferencingError(f"{uri} is not among the OCF schemas")


@dataclass
class OcfSchemas:
    """The schemas of one folder: a registry by ``$id`` and the schema of each type."""

    registry: Registry
    by_file_type: dict[str, str]
    by_object_type: dict[str, str]
    _validators: dict[str, Draft7Validator] = field(default_factory=dict)
    _checks: dict[str, Callable[[Any], bool] | None] = field(default_factory=dict)
    _compiler: "_Compiler | None" = None

    def validator(self, schema_id: str) -> Draft7Validator:
        """Return the (cached) validator of the schema registered as ``schema_id``."""
        if schema_id not in self._validators:
            schema = _inlined(self.registry, self.registry.contents(schema_id), (schema_id,))
            self._validators[schema_id] = Draft7Validator(
                schema, registry=self.registry, format_checker=Draft7Validator.FORMAT_CHECKER
            )
        return self._validators[schema_id]

    def compiled_check(self, schema_id: str) -> Callable[[Any], bool] | None:
        """Return the (cached) compiled check of the schema registered as ``schema_id``: true
        only where the reference finds no error. ``None`` where the folder's schemas use
        ``patternProperties``, whose regular expressions the compiled validator would read
        otherwise than the reference."""
        if schema_id not in self._checks:
            if self._compiler is None:
                self._compiler = _Compiler.of(self.registry)
            self._checks[schema_id] = self._compiler.check(schema_id)
        return self._checks[schema_id]


@dataclass(frozen=True)
class _Compiler:
    """What the compiled checks of one folder share: its schemas, adapted and registered once."""

    documents: dict[str, Any]
    registry: jsonschema_rs.Registry | None
    formats: dict[str, Callable[[Any], bool]]

    @classmethod
    def of(cls, registry: Registry) -> "_Compiler":
        documents = {uri: registry.contents(uri) for uri in registry}
        checker = Draft7Validator.FORMAT_CHECKER
        formats: dict[str, Callable[[Any], bool]] = {
            name: partial(checker.conforms, format=name)
            for name in _format_names(list(documents.values()))
        }
        if _uses(documents, "patternProperties"):
            return cls(documents=documents, registry=None, formats=formats)
        try:
            compiled = jsonschema_rs.Registry(
                [(uri, _compilable(document)) for uri, document in documents.items()],
                draft=jsonschema_rs.Draft7,
                retriever=_refuse_retrieval,
            )
        except (ValueError, jsonschema_rs.ReferencingError):
            return cls(documents=documents, registry=None, formats=formats)
        return cls(documents=documents, registry=compiled, formats=formats)

    def check(self, schema_id: str) -> Callable[[Any], bool] | None:
        """Return the compiled check of ``schema_id``, or ``None`` where the schemas cannot be
        compiled (a reference missing, a pattern Python does not read): the reference alone
        then says what it makes of them."""
        if self.registry is None:
            return None
        try:
            validator = jsonschema_rs.Draft7Validator(
                _compilable(self.documents[schema_id]),
                registry=self.registry,
                base_uri=schema_id,
                offline=True,
                validate_formats=True,
                formats=self.formats,
                keywords={"pattern": _PythonPattern, NOT_A_DECIMAL: _NotADecimal},
            )
        except (ValueError, re.error, jsonschema_rs.ReferencingError):
            return None
        return validator.is_valid


def _inlined(registry: Registry, node: Any, path: tuple[str, ...]) -> Any:
    """Return ``node`` with each ``$ref`` replaced by the schema the registry holds at that
    ``$id``, so that validating an item looks nothing up (half the time of resolving as it goes).

    Draft 7 ignores the siblings of a ``$ref``, and so does this; a reference back into its own
    path is left for the validator to resolve through the registry.
    """
    if isinstance(node, list):
        return [_inlined(registry, value, path) for value in node]
    if not isinstance(node, dict):
        return node
    reference = node.get("$ref")
    if isinstance(reference, str):
        if reference in path:
            return node
        target = registry.contents(reference)
        body = {key: value for key, value in target.items() if key not in {"$id", "$schema"}}
        return _inlined(registry, body, (*path, reference))
    return {key: _inlined(registry, value, path) for key, value in node.items()}


def _type_names(schema: dict, key: str) -> list[str]:
    spec = schema.get("properties", {}).get(key, {})
    if "const" in spec:
        return [spec["const"]]
    return list(spec.get("enum", []))


@cache
def _load(folder: Path) -> OcfSchemas:
    folder = folder.resolve()
    resources = []
    by_file_type: dict[str, str] = {}
    by_object_type: dict[str, str] = {}
    paths = sorted(folder.rglob("*.schema.json"))
    if not paths:
        raise FileNotFoundError(f"no OCF schema (*.schema.json) under {folder}")
    for path in paths:
        schema = json.loads(path.read_text(encoding="utf-8"))
        schema_id = schema["$id"]
        resources.append((schema_id, Resource.from_contents(schema, DRAFT7)))
        relative = path.relative_to(folder).parts
        if relative[0] == "files":
            for file_type in _type_names(schema, "file_type"):
                by_file_type[file_type] = schema_id
        elif relative[0] == "objects":
            for object_type in _type_names(schema, "object_type"):
                by_object_type[object_type] = schema_id
    return OcfSchemas(
        registry=Registry().with_resources(resources).crawl(),
        by_file_type=by_file_type,
        by_object_type=by_object_type,
    )


def ocf_schemas(folder: Path | None = None) -> OcfSchemas:
    """Return the schemas of ``folder`` (by default :func:`default_schema_dir`), loaded once."""
    return _load(folder or default_schema_dir())


def _describe(error: ValidationError) -> str:
    # A oneOf/anyOf failure says only that nothing matched; its closest branch says why.
    if error.context:
        error = best_match(error.context)
    message = error.message
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    return f"at {error.json_path}: {message}"


def validate_file(data: Any, *, folder: Path | None = None) -> list[str]:
    """Validate a file's envelope against ``files/<Type>File.schema.json``; return the errors.

    The items of a list file are left to :func:`validate_item`.
    """
    if not isinstance(data, dict):
        return ["the file is not a JSON object"]
    schemas = ocf_schemas(folder)
    file_type = data.get("file_type")
    schema_id = schemas.by_file_type.get(file_type) if isinstance(file_type, str) else None
    if schema_id is None:
        return [f"unknown file_type {file_type!r}"]
    envelope = {**data, "items": []} if isinstance(data.get("items"), list) else data
    errors = schemas.validator(schema_id).iter_errors(envelope)
    return [_describe(error) for error in sorted(errors, key=lambda e: list(e.absolute_path))]


def validate_item(item: Any, *, folder: Path | None = None) -> list[str]:
    """Validate one item against the schema of its ``object_type``; return the errors."""
    if not isinstance(item, dict):
        return ["an item is not a JSON object"]
    schemas = ocf_schemas(folder)
    object_type = item.get("object_type")
    schema_id = schemas.by_object_type.get(object_type) if isinstance(object_type, str) else None
    if schema_id is not None and _fast_valid(schemas, schema_id, item):
        return []
    item_id = item.get("id")
    name = f"item {item_id!r}" if isinstance(item_id, str) else "an item without an id"
    if schema_id is None:
        return [f"{name}: unknown object_type {object_type!r}"]
    errors = schemas.validator(schema_id).iter_errors(item)
    return [
        f"{name} ({object_type}) {_describe(error)}"
        for error in sorted(errors, key=lambda e: list(e.absolute_path))
    ]


def _fast_valid(schemas: OcfSchemas, schema_id: str, item: dict) -> bool:
    """Whether the compiled check accepts ``item``; ``False`` for what it cannot read (a key
    that is not a string, a lone surrogate, a type JSON does not have), left to the reference."""
    check = schemas.compiled_check(schema_id)
    if check is None:
        return False
    try:
        return check(item)
    except (ValueError, TypeError, OverflowError):
        return False


# --- what the schemas pin and allow, read from their files ------------------------------------


@cache
def _documents(folder: Path) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Return the schemas of ``folder`` by ``$id``, and the ``$id`` of each file and object
    type, read from the files themselves (whatever validates them)."""
    root = folder.resolve()
    by_id: dict[str, dict[str, Any]] = {}
    by_type: dict[str, str] = {}
    for path in sorted(root.rglob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        by_id[schema["$id"]] = schema
        if path.relative_to(root).parts[0] not in {"files", "objects"}:
            continue
        for key in ("file_type", "object_type"):
            spec = schema.get("properties", {}).get(key, {})
            for name in [spec["const"]] if "const" in spec else spec.get("enum", []):
                by_type.setdefault(name, schema["$id"])
    return by_id, by_type


def _closed_properties(by_id: dict[str, dict[str, Any]], schema_id: str) -> frozenset[str] | None:
    schema = by_id.get(schema_id, {})
    allowed: list[frozenset[str]] = []
    if schema.get("additionalProperties") is False:
        allowed.append(frozenset(schema.get("properties", {})))
    for part in schema.get("allOf", []):
        reference = part.get("$ref") if isinstance(part, dict) else None
        inherited = _closed_properties(by_id, reference) if isinstance(reference, str) else None
        if inherited is not None:
            allowed.append(inherited)
    return frozenset.intersection(*allowed) if allowed else None


def allowed_properties(type_name: str, *, folder: Path | None = None) -> frozenset[str] | None:
    """Return the fields an object of ``type_name`` (an ``object_type``, or a ``file_type`` for
    a file's envelope) may have in the schemas of ``folder``, or ``None`` when they do not know
    the type or leave its fields open."""
    return _allowed(type_name, folder or default_schema_dir())


@cache
def _allowed(type_name: str, folder: Path) -> frozenset[str] | None:
    """:func:`allowed_properties`, worked out once per type: it is asked for every item."""
    by_id, by_type = _documents(folder)
    schema_id = by_type.get(type_name)
    return _closed_properties(by_id, schema_id) if schema_id else None


def pinned_ocf_version(*, folder: Path | None = None) -> str | None:
    """Return the ``ocf_version`` the manifest schema of ``folder`` requires (its constant), or
    ``None`` when it requires no single one."""
    by_id, by_type = _documents(folder or default_schema_dir())
    manifest = by_id.get(by_type.get("OCF_MANIFEST_FILE", ""), {})
    version = manifest.get("properties", {}).get("ocf_version", {}).get("const")
    return version if isinstance(version, str) else None
