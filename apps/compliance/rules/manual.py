"""Other countries: no automatic qualification, a compliance officer decides.

``default_manual``: reads nothing and has no thresholds; it always needs a compliance officer.
"""

from types import MappingProxyType

from apps.compliance.rules.base import Regime, _Case, _Result, _unknown

DEFAULT_MANUAL = Regime(
    code="default_manual",
    name="Other countries: a compliance officer decides",
    currency="EUR",
    countries=(),
    default_thresholds=MappingProxyType({}),
    answer_fields=(),
)

_MANUAL_REASON = (
    "no automatic qualification in this country: a compliance officer decides, deal by deal"
)


def _default_manual(case: _Case, investor_type: str) -> _Result:
    return _unknown(_MANUAL_REASON), None
