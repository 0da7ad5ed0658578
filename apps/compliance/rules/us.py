"""United States: the Regulation D accredited investor (17 CFR 230.501(a), as amended from
2020-12-08), and the verification a Rule 506(c) offering needs (230.506(c)(2)(ii)).

``us_reg_d_accredited`` (USD):

Persons, one of:
- income (501(a)(6)): ``income`` (list of Money, the last ``income_years`` calendar years,
  oldest first) each over ``income_over``, with ``expected_income_this_year`` on the same
  basis; or, where ``joint`` (bool: filing with a spouse or spousal equivalent),
  ``joint_income`` and ``expected_joint_income_this_year`` over ``joint_income_over``. A joint
  filer is also tested alone on their own income.
- net worth (501(a)(5)): ``net_worth_excluding_residence`` (alone or jointly) over
  ``net_worth_over``.
- a licence in good standing (501(a)(10)): ``licences`` among ``qualifying_licences``.
- ``issuer_insider`` (bool: a director, executive officer or general partner of the issuer,
  501(a)(4)); ``knowledgeable_employee`` (bool: of the private fund invested in, 501(a)(11));
  ``family_client`` (bool: a family client of a qualifying family office, whose investment it
  directs, 501(a)(13)).

Entities, one of:
- ``regulated_entity`` (bool: bank, broker-dealer, adviser, insurer, investment company, BDC,
  SBIC or RBIC, 501(a)(1)).
- by its ``entity_form`` (one of :data:`ENTITY_FORMS`) and ``total_assets`` over
  ``total_assets_over``, not ``formed_for_this_investment``: a corporation, partnership, LLC
  or 501(c)(3) organisation (501(a)(3)); a trust, only ``directed_by_sophisticated_person``
  (501(a)(7)).
- ``investments_owned`` (Money, investments as Rule 2a51-1(b) defines them) over
  ``investments_over``, not formed for this investment (501(a)(9)).
- a family office (``entity_form`` ``family_office``) with ``assets_under_management`` over
  ``total_assets_over``, not formed for this investment, directed by a sophisticated person
  (501(a)(12)).
- ``all_owners_accredited`` (bool, 501(a)(8)).

In a Rule 506(c) offering (``offering_506c``): ``verification_date`` (a third-party
confirmation, or statements, dated within the prior ``verification_valid_months`` calendar
months), or for a person the issuer verified before, ``reconfirmation`` (a ``Step``: the
written representation that they remain accredited) within ``reconfirmation_valid_years``
of ``previous_verification_date``.

Thresholds: ``income_over``, ``joint_income_over``, ``net_worth_over``, ``total_assets_over``,
``investments_over`` (Money), ``income_years``, ``verification_valid_months``,
``reconfirmation_valid_years`` (int), ``qualifying_licences`` (tuple of str).
"""

from datetime import timedelta
from types import MappingProxyType

from apps.compliance.rules.base import (
    _ANSWERS,
    Outcome,
    Regime,
    _all_of,
    _any_of,
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
from apps.core.dates import add_months

ENTITY_FORMS = (
    "corporation",
    "partnership",
    "llc",
    "nonprofit_501c3",
    "trust",
    "family_office",
    "other",
)
_ASSET_FORMS = frozenset({"corporation", "partnership", "llc", "nonprofit_501c3"})

REG_D_ACCREDITED = Regime(
    code="us_reg_d_accredited",
    name="US Regulation D accredited investor",
    currency="USD",
    countries=("US",),
    default_thresholds=MappingProxyType(
        {
            "income_over": _major(200_000, "USD"),
            "joint_income_over": _major(300_000, "USD"),
            "income_years": 2,
            "net_worth_over": _major(1_000_000, "USD"),
            "qualifying_licences": ("series_7", "series_65", "series_82"),
            "total_assets_over": _major(5_000_000, "USD"),
            "investments_over": _major(5_000_000, "USD"),
            "verification_valid_months": 3,
            "reconfirmation_valid_years": 5,
        }
    ),
    answer_fields=(
        *("joint", "income", "joint_income", "expected_income_this_year"),
        *("expected_joint_income_this_year", "net_worth_excluding_residence", "licences"),
        *("issuer_insider", "knowledgeable_employee", "family_client"),
        *("entity_form", "total_assets", "formed_for_this_investment"),
        *("directed_by_sophisticated_person", "investments_owned", "assets_under_management"),
        *("all_owners_accredited", "regulated_entity"),
        *("offering_506c", "verification_date", "previous_verification_date", "reconfirmation"),
    ),
)


def _income_route(case: _Case, key: str, expected_key: str, limit_key: str) -> _Finding:
    years = case.limit("income_years")
    if gap := case.unanswered(key, expected_key, length=years):
        return gap
    limit, word = case.limit(limit_key), _ANSWERS[key][1]
    figures = [
        *(
            (f"{_fmt(amount)} in {case.on.year - years + i}", amount)
            for i, amount in enumerate(case[key])
        ),
        (f"{_fmt(case[expected_key])} expected in {case.on.year}", case[expected_key]),
    ]
    misses = [
        _shortfall(f"{word} of {text}", amount, limit)
        for text, amount in figures
        if not amount > limit
    ]
    if misses:
        return _failed(*misses)
    listing = ", ".join(text for text, _ in figures)
    return _met(f"qualifies by {word}: {listing}, each over {_fmt(limit)}")


def _us_income(case: _Case) -> _Finding:
    """501(a)(6): alone, or jointly; a joint filer may still qualify alone."""
    if gap := case.unanswered("joint"):
        return gap
    alone = _income_route(case, "income", "expected_income_this_year", "income_over")
    if not case["joint"]:
        return alone
    jointly = _income_route(
        case, "joint_income", "expected_joint_income_this_year", "joint_income_over"
    )
    return _any_of(alone, jointly)


def _us_licence(case: _Case) -> _Finding:
    if gap := case.unanswered("licences"):
        return gap
    qualifying = case.limit("qualifying_licences")
    held = [licence for licence in case["licences"] if licence in qualifying]
    if held:
        return _met(f"qualifies by licence: {', '.join(held)}")
    return _failed(f"holds no qualifying licence ({', '.join(qualifying)})")


def _not_formed_for_it(case: _Case, finding: _Finding) -> _Finding:
    """An entity's figure counts only if it was not formed to make this investment."""
    if finding.outcome is Outcome.NOT_QUALIFIED:
        return finding
    if gap := case.unanswered("formed_for_this_investment"):
        return _all_of(finding, gap)
    if case["formed_for_this_investment"]:
        return _failed("was formed to make this investment, so its assets do not qualify it")
    return finding


def _sophisticated_direction(case: _Case, what: str) -> _Finding:
    if gap := case.unanswered("directed_by_sophisticated_person"):
        return gap
    if case["directed_by_sophisticated_person"]:
        return _met(f"the {what} is directed by a sophisticated person")
    return _failed(f"the {what} is not directed by a sophisticated person")


def _us_entity_by_form(case: _Case) -> _Finding:
    """501(a)(3), (7) and (12): total assets (or assets under management) by the entity's
    form."""
    if gap := case.unanswered("entity_form"):
        return gap
    form = case["entity_form"]
    if form not in ENTITY_FORMS:
        raise ValueError(f"unknown entity form: {form}")
    if form in _ASSET_FORMS or form == "trust":
        assets = case.amount_route(
            "total_assets", "total_assets_over", over=True, route="qualifies by total assets"
        )
        if form == "trust":
            assets = _all_of(assets, _sophisticated_direction(case, "trust"))
        return _not_formed_for_it(case, assets)
    if form == "family_office":
        managed = case.amount_route(
            "assets_under_management",
            "total_assets_over",
            over=True,
            route="qualifies as a family office by assets under management",
        )
        managed = _all_of(managed, _sophisticated_direction(case, "family office"))
        return _not_formed_for_it(case, managed)
    return _failed("an entity of another form does not qualify by its total assets")


def _us_verification(case: _Case) -> _Result:
    """230.506(c)(2)(ii): statements or a third-party confirmation dated within the prior
    three months (calendar months), or, for a person verified before, a written
    re-confirmation within five years of that verification."""
    if gap := case.unanswered("offering_506c"):
        return gap, None
    if not case["offering_506c"]:
        return _met(), None
    months = case.limit("verification_valid_months")
    verified = case.answers.get("verification_date")
    if verified is not None:
        if gap := case.unanswered("verification_date"):
            return gap, None
        if future := case.dated_after_assessment(verified, "third-party verification"):
            return future, None
        valid_until = add_months(verified, months) - timedelta(days=1)
        if case.on <= valid_until:
            return _met(
                f"third-party verification of {verified} is valid through {valid_until}"
            ), valid_until
        fresh = _unknown(
            f"the third-party verification of {verified} is older than {months} months on "
            f"{case.on}; a Rule 506(c) offering needs one dated within the prior {months} months"
        )
    else:
        fresh = case.unanswered("verification_date") or _unknown()
    reconfirmed, until = _us_reconfirmation(case)
    if reconfirmed.outcome is Outcome.QUALIFIED:
        return reconfirmed, until
    return _unknown(*fresh.reasons, *reconfirmed.reasons), None


def _us_reconfirmation(case: _Case) -> _Result:
    previous = case.answers.get("previous_verification_date")
    if previous is None or case.answers.get("reconfirmation") is None:
        return _unknown(), None
    if gap := case.unanswered("previous_verification_date"):
        return gap, None
    written = case.step_route("reconfirmation")
    if written.outcome is not Outcome.QUALIFIED:
        return written, None
    years = case.limit("reconfirmation_valid_years")
    valid_until = add_months(previous, 12 * years) - timedelta(days=1)
    signed = case["reconfirmation"].on
    if previous <= signed <= valid_until and case.on <= valid_until:
        return _met(
            *written.reasons,
            f"a written re-confirmation within {years} years of the verification of {previous}",
        ), valid_until
    return _unknown(
        f"the re-confirmation of {signed} is not within {years} years of the verification of "
        f"{previous}"
    ), None


def _us_reg_d(case: _Case, investor_type: str) -> _Result:
    """17 CFR 230.501(a): a person's routes (4), (5), (6), (10), (11), (13); an entity's
    routes (1), (3), (7), (8), (9), (12)."""
    if investor_type == "person":
        finding = _any_of(
            _us_income(case),
            case.amount_route(
                "net_worth_excluding_residence",
                "net_worth_over",
                over=True,
                route="qualifies by net worth",
            ),
            _us_licence(case),
            case.flag_route("issuer_insider"),
            case.flag_route("knowledgeable_employee"),
            case.flag_route("family_client"),
        )
    else:
        finding = _any_of(
            case.flag_route("regulated_entity"),
            _us_entity_by_form(case),
            _not_formed_for_it(
                case,
                case.amount_route(
                    "investments_owned",
                    "investments_over",
                    over=True,
                    route="qualifies by investments owned",
                ),
            ),
            case.flag_route("all_owners_accredited"),
        )
    verification, valid_until = _us_verification(case)
    return _all_of(finding, verification), valid_until
