"""Writes on cap tables.

Every change of holdings is one ledger operation (made by one person, approved and executed by
another) and the movements it records, in one transaction with the issuer locked. A security is
issued once and consumed once: a transfer, cancellation, repurchase, exercise or conversion of
part of it consumes all of it and opens a *balance* security for what remains, as Open Cap
Format does, so that a consumed security can never be consumed again.

The writes are cut by job, and each module keeps its own rule:

- :mod:`.positions`: the position engine. A :class:`Change` checks every movement as it is
  added against the positions so far (held units, a class's authorised units, a plan's pool)
  and writes and seals them; :func:`captable_change_record` records one change as one ledger
  operation; :func:`movements_reverse` gives an operation's movements back.
- :mod:`.reference`: issuers, share classes, stakeholders, plans and vesting terms, and the
  fields an update of each may change.
- :mod:`.lifecycle`: the changes of a cap table's life (issuances, transfers, cancellations,
  conversions, splits, grants, exercises), each one use case recorded through the engine.
- :mod:`.ocf_imports`: OCF packages uploaded from the admin, checked by a dry run, confirmed by
  their maker and imported on another person's approval.

Import from this package: every name below is re-exported here.
"""

from apps.captable.services.lifecycle import (
    convertible_issue,
    convertibles_convert,
    options_grant,
    pool_reserve,
    security_cancel,
    security_exercise,
    security_transfer,
    share_class_split,
    shares_issue,
    stock_convert,
    warrant_issue,
)
from apps.captable.services.positions import (
    Change,
    captable_change_record,
    movements_reverse,
    security_amount,
)
from apps.captable.services.reference import (
    CLASS_ECONOMIC_TERMS,
    REFERENCE_UPDATABLE_FIELDS,
    issuer_create,
    plan_create,
    reference_update,
    reference_update_refusals,
    share_class_create,
    stakeholder_create,
    stakeholders_bulk_create,
    vesting_terms_create,
)

# isort: split
# Last: the OCF importer these use records through the services above.
from apps.captable.services.ocf_imports import (
    OcfUploadRefused,
    OcfWarningsToAccept,
    ocf_import_approve,
    ocf_import_cancel,
    ocf_import_check,
    ocf_import_confirm,
    ocf_import_steps_open,
    ocf_upload_refuse_unless_acceptable,
)

__all__ = [
    "CLASS_ECONOMIC_TERMS",
    "REFERENCE_UPDATABLE_FIELDS",
    "Change",
    "OcfUploadRefused",
    "OcfWarningsToAccept",
    "captable_change_record",
    "convertible_issue",
    "convertibles_convert",
    "issuer_create",
    "movements_reverse",
    "ocf_import_approve",
    "ocf_import_cancel",
    "ocf_import_check",
    "ocf_import_confirm",
    "ocf_import_steps_open",
    "ocf_upload_refuse_unless_acceptable",
    "options_grant",
    "plan_create",
    "pool_reserve",
    "reference_update",
    "reference_update_refusals",
    "security_amount",
    "security_cancel",
    "security_exercise",
    "security_transfer",
    "share_class_create",
    "share_class_split",
    "shares_issue",
    "stakeholder_create",
    "stakeholders_bulk_create",
    "stock_convert",
    "vesting_terms_create",
    "warrant_issue",
]
