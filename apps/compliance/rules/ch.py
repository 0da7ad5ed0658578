"""Switzerland: professional clients under FinSA (art. 4 and 5; FinSO art. 5).

``ch_finsa_opting_out`` (CHF):

- Per se professional clients (FinSA art. 4(3)), entities, no declaration needed:
  ``per_se_category`` (one of :data:`PER_SE_CATEGORIES`; ``None`` given: none of them), or a
  large company exceeding two of ``balance_sheet_total``, ``net_turnover`` and ``own_funds``
  (Money) over ``balance_sheet_total_over``, ``net_turnover_over``, ``own_funds_over``.
- Opting out (FinSA art. 5(1) and (2)), a private client or the private investment structure
  created for one: the recorded ``opting_out_declaration`` (a ``Step``: the written or text
  declaration to be treated as a professional client; where the assets are held jointly,
  ``joint_holders`` names every holder (an empty list: held alone) and each must be among those
  who made it), and eligible financial assets of at least
  ``financial_assets_at_least``, or of at least ``financial_assets_with_knowledge_at_least``
  with ``knowledge_and_experience`` (bool: the education and professional experience to
  understand the risks). Eligible assets (FinSO art. 5) are ``financial_assets`` less
  ``direct_real_estate`` and ``pension_claims`` (social-security and pension claims), Money.

Thresholds: the Money above.
"""

from types import MappingProxyType

from apps.compliance.rules.base import (
    Outcome,
    Regime,
    _all_of,
    _any_of,
    _at_least,
    _Case,
    _failed,
    _Finding,
    _fmt,
    _major,
    _met,
    _Result,
    _shortfall,
    _unknown,
)

FINSA_OPTING_OUT = Regime(
    code="ch_finsa_opting_out",
    name="Switzerland: FinSA professional client (per se or by opting out)",
    currency="CHF",
    countries=("CH",),
    default_thresholds=MappingProxyType(
        {
            "financial_assets_at_least": _major(2_000_000, "CHF"),
            "financial_assets_with_knowledge_at_least": _major(500_000, "CHF"),
            "balance_sheet_total_over": _major(20_000_000, "CHF"),
            "net_turnover_over": _major(40_000_000, "CHF"),
            "own_funds_over": _major(2_000_000, "CHF"),
        }
    ),
    answer_fields=(
        "per_se_category",
        "balance_sheet_total",
        "net_turnover",
        "own_funds",
        "opting_out_declaration",
        "joint_holders",
        "financial_assets",
        "direct_real_estate",
        "pension_claims",
        "knowledge_and_experience",
    ),
)

# FinSA art. 4(3) (a) to (g): the professional clients that need no declaration.
PER_SE_CATEGORIES = {
    "financial_intermediary": "a financial intermediary (Banking, Financial Institutions or "
    "Collective Investment Schemes Act)",
    "insurer": "an insurance institution (Insurance Supervision Act)",
    "supervised_foreign_client": "a foreign client subject to prudential supervision as one of "
    "these",
    "central_bank": "a central bank",
    "public_entity_with_treasury": "a public entity with professional treasury operations",
    "pension_scheme_with_treasury": "a pension scheme or institution for occupational pensions "
    "with professional treasury operations",
    "company_with_treasury": "a company with professional treasury operations",
}


def _per_se_category(case: _Case) -> _Finding:
    if gap := case.unanswered("per_se_category"):
        return gap
    category = case["per_se_category"]
    if category is None:
        return _failed("is in none of the per se categories of FinSA art. 4(3)")
    if category not in PER_SE_CATEGORIES:
        raise ValueError(f"unknown FinSA per se category: {category}")
    return _met(f"a per se professional client as {PER_SE_CATEGORIES[category]}")


def _eligible_assets(case: _Case, limit_key: str, route: str) -> _Finding:
    """FinSO art. 5: financial assets less direct real estate and pension claims."""
    if gap := case.unanswered("financial_assets", "direct_real_estate", "pension_claims"):
        return gap
    eligible = case["financial_assets"] - case["direct_real_estate"] - case["pension_claims"]
    limit = case.limit(limit_key)
    shown = (
        f"eligible financial assets of {_fmt(eligible)} (financial assets less direct real "
        "estate and pension claims)"
    )
    if eligible >= limit:
        return _met(f"{route}: {shown}, at least {_fmt(limit)}")
    return _failed(_shortfall(shown, eligible, limit))


def _ch_finsa(case: _Case, investor_type: str) -> _Result:
    """FinSA art. 4(3) and (5) per se; art. 5(1) and (2) opting out, FinSO art. 5."""
    routes = []
    if investor_type == "entity":
        sizes = (
            case.amount_route(
                "balance_sheet_total",
                "balance_sheet_total_over",
                over=True,
                route="balance sheet total",
            ),
            case.amount_route("net_turnover", "net_turnover_over", over=True, route="turnover"),
            case.amount_route("own_funds", "own_funds_over", over=True, route="own capital"),
        )
        routes += [_per_se_category(case), _at_least(2, sizes, what="a large company")]
    wealth = _any_of(
        _eligible_assets(case, "financial_assets_at_least", "qualifies by financial assets"),
        _all_of(
            _eligible_assets(
                case,
                "financial_assets_with_knowledge_at_least",
                "qualifies by financial assets with knowledge",
            ),
            case.flag_route("knowledge_and_experience"),
        ),
    )
    routes.append(_all_of(_declaration(case), wealth))
    return _any_of(*routes), None


def _declaration(case: _Case) -> _Finding:
    """The declaration, made together by every joint holder where the assets are held
    jointly: each holder named among those who made it."""
    declared = case.step_route("opting_out_declaration")
    if gap := case.unanswered("joint_holders"):
        return _all_of(declared, gap)
    holders = list(case["joint_holders"])
    if not holders or declared.outcome is not Outcome.QUALIFIED:
        return declared
    made_by = case["opting_out_declaration"].by
    missing = [holder for holder in holders if holder not in made_by]
    if missing:
        return _unknown(
            "the assets are held jointly: the declaration must be made by every joint holder, "
            f"not by {', '.join(missing)}"
        )
    return _met(*declared.reasons, f"declared together by the joint holders {', '.join(holders)}")
