"""No float ever touches money, units or ownership: not in a model, not in the product's code."""

import ast
from pathlib import Path

from django.apps import apps
from django.db import models

ROOT = Path(__file__).resolve().parents[2]


def test_no_model_of_the_product_has_a_float_field():
    floats = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model.__module__.startswith("apps.")
        for field in model._meta.get_fields()
        if isinstance(field, models.FloatField)
    ]

    assert floats == []


def test_no_code_of_the_product_uses_float():
    uses = []
    for path in sorted((ROOT / "apps").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
            if name in {"float", "FloatField"}:
                uses.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Constant) and type(node.value) is float:
                uses.append(f"{path.relative_to(ROOT)}:{node.lineno} (float literal)")

    assert uses == []
