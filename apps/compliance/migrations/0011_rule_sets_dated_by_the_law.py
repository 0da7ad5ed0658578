"""The first rule sets of the regimes still dated by a placeholder, dated when their law (as
encoded) took effect: MiFID II and the versions of the AMF's articles 423-27 and 423-49 in
force from 2018-01-03; the KAGB from 2013-07-22; FinSA from 2020-01-01. The manual regime
follows no law and keeps its date."""

import datetime

from django.db import migrations

PLACEHOLDER = datetime.date(2000, 1, 1)
LAW_IN_FORCE = {
    "eu_mifid_professional": (
        datetime.date(2018, 1, 3),
        "Directive 2014/65/EU (MiFID II), applied from 2018-01-03.",
    ),
    "fr_min_ticket_100k": (
        datetime.date(2018, 1, 3),
        "RG AMF art. 423-27 and 423-49, in the version in force from 2018-01-03.",
    ),
    "de_semi_professional": (
        datetime.date(2013, 7, 22),
        "Kapitalanlagegesetzbuch (KAGB), in force from 2013-07-22.",
    ),
    "ch_finsa_opting_out": (
        datetime.date(2020, 1, 1),
        "Financial Services Act (FinSA) and Ordinance (FinSO), in force from 2020-01-01.",
    ),
}


def date_them(apps, schema_editor):
    rule_set = apps.get_model("compliance", "RuleSet")
    for regime, (effective_from, notes) in LAW_IN_FORCE.items():
        rule_set.objects.filter(regime=regime, version=1, effective_from=PLACEHOLDER).update(
            effective_from=effective_from, notes=notes
        )


def undate_them(apps, schema_editor):
    rule_set = apps.get_model("compliance", "RuleSet")
    for regime, (effective_from, _) in LAW_IN_FORCE.items():
        rule_set.objects.filter(regime=regime, version=1, effective_from=effective_from).update(
            effective_from=PLACEHOLDER
        )


class Migration(migrations.Migration):
    dependencies = [("compliance", "0010_us_rule_sets_as_the_law_states")]

    operations = [migrations.RunPython(date_them, undate_them)]
