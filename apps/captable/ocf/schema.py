"""The OCF 1.2 JSON schemas, loaded offline, and the validation of files and items against them.

Every ``*.schema.json`` under the schema folder is registered under its ``$id``, so ``$ref``s
resolve without the network. A file's envelope is validated against the file schema of its
``file_type``; each item separately against the schema of its ``object_type``, because the
transactions file's ``oneOf`` does not list every transaction type of this version and its
errors would not say which item failed. Messages name the item id and the failing path.

The folder is an argument; by default it is ``OCF_SCHEMA_DIR`` from the environment, else the
unchanged copy of the Open Cap Table Coalition's schemas shipped in ``schemas/`` beside this
module (with their licence).
"""

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SCHEMA_DIR_VARIABLE = "OCF_SCHEMA_DIR"
MAX_MESSAGE = 300


SHIPPED_SCHEMAS = Path(__file__).resolve().parent / "schemas"


def default_schema_dir() -> Path:
    """Return the schema folder: ``$OCF_SCHEMA_DIR``, else the copy shipped with the product."""
    configured = os.environ.get(SCHEMA_DIR_VARIABLE)
    return Path(configured) if configured else SHIPPED_SCHEMAS


@dataclass
class OcfSchemas:
    """The schemas of one folder: a registry by ``$id`` and the schema of each type."""

    registry: Registry
    by_file_type: dict[str, str]
    by_object_type: dict[str, str]
    _validators: dict[str, Draft7Validator] = field(default_factory=dict)

    def validator(self, schema_id: str) -> Draft7Validator:
        """Return the (cached) validator of the schema registered as ``schema_id``."""
        if schema_id not in self._validators:
            schema = _inlined(self.registry, self.registry.contents(schema_id), (schema_id,))
            self._validators[schema_id] = Draft7Validator(
                schema, registry=self.registry, format_checker=Draft7Validator.FORMAT_CHECKER
            )
        return self._validators[schema_id]


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
    item_id = item.get("id")
    name = f"item {item_id!r}" if isinstance(item_id, str) else "an item without an id"
    schemas = ocf_schemas(folder)
    object_type = item.get("object_type")
    schema_id = schemas.by_object_type.get(object_type) if isinstance(object_type, str) else None
    if schema_id is None:
        return [f"{name}: unknown object_type {object_type!r}"]
    errors = schemas.validator(schema_id).iter_errors(item)
    return [
        f"{name} ({object_type}) {_describe(error)}"
        for error in sorted(errors, key=lambda e: list(e.absolute_path))
    ]
