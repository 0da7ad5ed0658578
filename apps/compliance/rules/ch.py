"""Switzerland: opting out to professional client under FinSA.

``ch_finsa_opting_out`` (CHF): ``declared_professional`` (bool), ``financial_assets``
    (Money), ``knowledge_and_experience`` (bool). Thresholds: ``financial_assets_at_least``,
    ``financial_assets_with_knowledge_at_least`` (Money).
"""

from types import MappingProxyType

from apps.compliance.rules.base import Regime, _all_of, _any_of, _Case, _major, _Result

FINSA_OPTING_OUT = Regime(
    code="ch_finsa_opting_out",
    name="Switzerland: FinSA opting out to professional client",
    currency="CHF",
    countries=("CH",),
    default_thresholds=MappingProxyType(
        {
            "financial_assets_at_least": _major(2_000_000, "CHF"),
            "financial_assets_with_knowledge_at_least": _major(500_000, "CHF"),
        }
    ),
    answer_fields=("declared_professional", "financial_assets", "knowledge_and_experience"),
)


def _ch_finsa(case: _Case, investor_type: str) -> _Result:
    wealth = _any_of(
        case.amount_route(
            "financial_assets",
            "financial_assets_at_least",
            over=False,
            route="qualifies by financial assets",
        ),
        _all_of(
            case.amount_route(
                "financial_assets",
                "financial_assets_with_knowledge_at_least",
                over=False,
                route="qualifies by financial assets with knowledge",
            ),
            case.flag_route("knowledge_and_experience"),
        ),
    )
    return _all_of(case.flag_route("declared_professional"), wealth), None
