"""A rule set's thresholds: checked against the regime, and stored as JSON data exactly."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from apps.compliance.rules.base import _KINDS, Regime
from apps.core.money import Money


def _checked_thresholds(regime: Regime, thresholds: Mapping[str, Any]) -> dict[str, Any]:
    """Return the thresholds if they make a whole rule set of ``regime``; else raise."""
    unknown = sorted(set(thresholds) - set(regime.default_thresholds))
    if unknown:
        raise ValueError(f"unknown thresholds for {regime.code}: {', '.join(unknown)}")
    checked = {}
    for key, default in regime.default_thresholds.items():
        if key not in thresholds:
            raise ValueError(f"the {regime.code} rule set lacks the threshold {key}")
        value = thresholds[key]
        if isinstance(default, Money):
            if not isinstance(value, Money):
                raise ValueError(f"threshold {key} of {regime.code} must be Money, not {value!r}")
            if value.currency != regime.currency:
                raise ValueError(
                    f"threshold {key} of {regime.code} is in {value.currency}; "
                    f"the regime's thresholds are in {regime.currency}"
                )
        elif isinstance(default, int):
            if type(value) is not int or value < 0:
                raise ValueError(f"threshold {key} of {regime.code} must be a whole number >= 0")
        elif not _KINDS["str_list"](value):
            raise ValueError(f"threshold {key} of {regime.code} must be a list of names")
        checked[key] = tuple(value) if isinstance(value, list) else value
    return checked


def thresholds_to_json(thresholds: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``thresholds`` as JSON data that :func:`thresholds_from_json` reads back.

    Amounts are written as :meth:`Money.to_json` writes them, dates in ISO 8601, counts as
    integers and names as lists.
    """
    return {key: _threshold_to_json(key, value) for key, value in thresholds.items()}


def _threshold_to_json(key: str, value: Any) -> Any:
    if isinstance(value, Money):
        return value.to_json()
    if _KINDS["date"](value):
        return value.isoformat()
    if type(value) is int:
        return value
    if _KINDS["str_list"](value):
        return list(value)
    raise TypeError(f"threshold {key} cannot be stored as JSON: {value!r}")


def thresholds_from_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return the thresholds stored by ``thresholds_to_json``, exactly as they were."""
    return {key: _threshold_from_json(key, value) for key, value in data.items()}


def _threshold_from_json(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        try:
            return Money.from_json(value)
        except ValueError as error:
            raise ValueError(f"threshold {key} is not an amount: {error}") from None
    if isinstance(value, str):
        return date.fromisoformat(value)
    if type(value) is int:
        return value
    if _KINDS["str_list"](value):
        return tuple(value)
    raise ValueError(f"threshold {key} is not a stored threshold: {value!r}")
