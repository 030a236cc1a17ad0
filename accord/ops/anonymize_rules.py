"""What ``accord anonymize`` does with every text, JSON and file column (O2).

Reviewed by hand, not guessed at run time: a test fails when a model gains such a column
that is listed neither as anonymised nor as kept, so a new model cannot leak silently.
Kept columns hold codes, statuses, currencies, the company's own catalogue and settings.
"""

from __future__ import annotations

KEEP = "keep"
# Rules that need nothing but the value live in anonymize_fakes.apply_value_rule:
# person_name, company_name, phone, email, email_list, street, city, postcode, inn, kpp,
# ogrn, siren, siret, vat, url, text. The others are handled here:
#   derived        recomputed from the anonymised columns (search text, name keys...)
#   custom         custom-field JSON: text fields replaced, numbers/dates/choices kept
#   json           structure kept, personal strings replaced (see scrub_json)
#   message        kept when it looks like a code, else lorem
#   clear          emptied
#   contact_point  a phone, e-mail or messenger handle, by the row's kind
#   username       "user<id>"
#   password       unusable password
#   object_repr    "<object type> #<id>"
#   file           path to a placeholder file of the same extension
#   file_name      "<model>-<id>.<extension>"
#   digest         a keyed hash of the same length
DROPPED_MODELS: dict[str, str] = {
    "sessions.Session": "sign-ins of real people",
    "core.ApiToken": "credentials of real people and systems",
}

FIELD_RULES: dict[str, dict[str, str]] = {
    "auth.Permission": {"name": KEEP, "codename": KEEP},
    "auth.Group": {"name": KEEP},
    "contenttypes.ContentType": {"app_label": KEEP, "model": KEEP},
    "core.Team": {"name": KEEP, "description": "text"},
    "core.Role": {"code": KEEP, "name": KEEP, "description": KEEP},
    "core.RoleGrant": {"object_type": KEEP, "action": KEEP},
    "core.User": {
        "password": "password",
        "username": "username",
        "first_name": "person_name",
        "last_name": "person_name",
        "email": "email",
        "language": KEEP,
        "time_zone": KEEP,
        "phone": "phone",
    },
    "core.AuditEntry": {
        "actor_name": "person_name",
        "request_id": KEEP,
        "source": KEEP,
        "action": KEEP,
        "object_type": KEEP,
        "object_repr": "object_repr",
        "related_type": KEEP,
        "changes": "json",
        "message": "message",
    },
    "core.PicklistOption": {
        "picklist": KEEP,
        "code": KEEP,
        "label": KEEP,
        "label_ru": KEEP,
        "label_fr": KEEP,
        "label_de": KEEP,
    },
    "core.CustomFieldDefinition": {
        "model": KEEP,
        "name": KEEP,
        "label": KEEP,
        "field_type": KEEP,
        "choices": KEEP,
        "help_text": KEEP,
    },
    "core.SavedView": {"list_key": KEEP, "name": KEEP, "query": "clear", "columns": KEEP},
    "core.Notification": {"text": "text", "url": KEEP, "dedupe_key": KEEP},
    "parties.Tag": {"name": KEEP},
    "parties.Company": {
        "name": "company_name",
        "legal_name": "company_name",
        "inn": "inn",
        "kpp": "kpp",
        "ogrn": "ogrn",
        "siren": "siren",
        "siret": "siret",
        "vat_number": "vat",
        "country": KEEP,
        "website": "url",
        "description": "text",
        "custom": "custom",
        "search_text": "derived",
        "name_key": "derived",
    },
    "parties.Contact": {
        "last_name": "person_name",
        "first_name": "person_name",
        "middle_name": "person_name",
        "position": KEEP,
        "preferred_channel": KEEP,
        "notes": "text",
        "custom": "custom",
        "full_name": "derived",
        "search_text": "derived",
        "name_key": "derived",
    },
    "parties.Employment": {"position": KEEP},
    "parties.ContactPoint": {
        "kind": KEEP,
        "label": KEEP,
        "value": "contact_point",
        "normalized": "derived",
    },
    "parties.Address": {
        "kind": KEEP,
        "street": "street",
        "city": "city",
        "postcode": "postcode",
        "region_name": KEEP,
        "country": KEEP,
    },
    "activities.Activity": {
        "kind": KEEP,
        "subject": "text",
        "body": "text",
        "direction": KEEP,
        "outcome": KEEP,
        "location": "text",
        "email_from": "email_list",
        "email_to": "email_list",
    },
    "activities.Document": {
        "file": "file",
        "original_name": "file_name",
        "content_type": KEEP,
        "description": "text",
    },
    "catalog.TaxRate": {"country": KEEP, "name": KEEP},
    "catalog.PriceList": {"name": KEEP, "currency": KEEP},
    "catalog.Product": {
        "sku": KEEP,
        "name": KEEP,
        "description": KEEP,
        "kind": KEEP,
        "unit": KEEP,
    },
    "catalog.OptionGroup": {"name": KEEP},
    "catalog.ProductOption": {"code": KEEP, "name": KEEP},
    "catalog.OptionRule": {"kind": KEEP},
    "sales.Lead": {
        "status": KEEP,
        "full_name": "person_name",
        "company_name": "company_name",
        "position": KEEP,
        "email": "email",
        "phone": "phone",
        "inn": "inn",
        "country": KEEP,
        "city": "city",
        "campaign": KEEP,
        "channel": KEEP,
        "description": "text",
        "currency": KEEP,
        "unqualified_reason": "text",
        "custom": "custom",
        "name_key": "derived",
    },
    "sales.AssignmentRule": {"name": KEEP, "country": KEEP, "method": KEEP},
    "sales.Pipeline": {"name": KEEP, "name_ru": KEEP, "name_fr": KEEP, "name_de": KEEP},
    "sales.Stage": {
        "name": KEEP,
        "name_ru": KEEP,
        "name_fr": KEEP,
        "name_de": KEEP,
        "kind": KEEP,
    },
    "sales.Deal": {
        "name": "text",
        "currency": KEEP,
        "campaign": KEEP,
        "description": "text",
        "close_comment": "text",
        "custom": "custom",
    },
    "commerce.SellerProfile": {
        "name": "company_name",
        "legal_name": "company_name",
        "country": KEEP,
        "address": "text",
        "phone": "phone",
        "email": "email",
        "website": "url",
        "inn": "inn",
        "kpp": "kpp",
        "ogrn": "ogrn",
        "siren": "siren",
        "vat_number": "vat",
        "bank_details": "text",
        "logo": "file",
        "quote_footer": "text",
    },
    "commerce.NumberSequence": {"kind": KEEP},
    "commerce.Quote": {
        "number": KEEP,
        "currency": KEEP,
        "notes": "text",
        "status": KEEP,
        "language": KEEP,
        "terms": "text",
        "sent_to": "email_list",
        "rejection_reason": "text",
    },
    # Line descriptions come from the catalogue (the company's own products), not clients.
    "commerce.QuoteLine": {"description": KEEP, "configuration": KEEP, "unit": KEEP},
    "commerce.Order": {
        "number": KEEP,
        "currency": KEEP,
        "notes": "text",
        "status": KEEP,
        "channel": KEEP,
        "delivery_address": "text",
        "customer_reference": KEEP,
    },
    "commerce.OrderLine": {"description": KEEP, "configuration": KEEP, "unit": KEEP},
    "commerce.Shipment": {
        "number": KEEP,
        "carrier": KEEP,
        "tracking_number": KEEP,
        "notes": "text",
    },
    "commerce.Invoice": {
        "number": KEEP,
        "currency": KEEP,
        "notes": "text",
        "status": KEEP,
        "external_reference": KEEP,
    },
    "commerce.InvoiceLine": {"description": KEEP, "configuration": KEEP, "unit": KEEP},
    "commerce.Payment": {"reference": KEEP, "notes": "text"},
    "projects.ProjectTemplate": {
        "name": KEEP,
        "name_ru": KEEP,
        "name_fr": KEEP,
        "name_de": KEEP,
        "description": KEEP,
    },
    "projects.TemplateStage": {"name": KEEP, "name_ru": KEEP, "name_fr": KEEP, "name_de": KEEP},
    "projects.Project": {
        "name": "text",
        "code": KEEP,
        "status": KEEP,
        "contract_number": KEEP,
        "currency": KEEP,
        "description": "text",
    },
    "projects.ProjectStage": {"name": KEEP, "status": KEEP, "notes": "text"},
    "dataio.Job": {
        "kind": KEEP,
        "status": KEEP,
        "title": "message",
        "params": "json",
        "message": "text",
        "log": "json",
        "result_file": "file",
        "result_name": "file_name",
    },
    "dataio.ImportMapping": {"name": KEEP, "object_type": KEEP, "columns": KEEP},
    "dataio.ImportBatch": {
        "object_type": KEEP,
        "status": KEEP,
        "source_file": "file",
        "file_name": "file_name",
        "file_sha256": "digest",
        "encoding": KEEP,
        "delimiter": KEEP,
        "sheet": KEEP,
        "columns": KEEP,
        "mode": KEEP,
        "rejected_file": "file",
    },
    "dataio.ImportRecord": {"object_type": KEEP, "action": KEEP, "before": "json"},
    "dedup.DuplicateCluster": {"object_type": KEEP, "status": KEEP, "members": KEEP},
    "dedup.Merge": {"object_type": KEEP, "merged_ids": KEEP, "snapshot": "json"},
}


def _load_app_tables() -> None:
    """Newer apps keep their part of the table beside their models, in
    ``accord/<app>/anonymize_rules.py`` (``FIELD_RULES``, optionally ``DROPPED_MODELS``), so
    an app's author reviews its columns where they are defined."""
    import importlib

    from django.apps import apps

    for config in apps.get_app_configs():
        if not config.name.startswith("accord."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.anonymize_rules")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.anonymize_rules":
                raise
            continue
        if module.__name__ == __name__:
            continue
        FIELD_RULES.update(getattr(module, "FIELD_RULES", {}))
        DROPPED_MODELS.update(getattr(module, "DROPPED_MODELS", {}))


_load_app_tables()
