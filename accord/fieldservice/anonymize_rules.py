"""``accord anonymize``'s rules for this app's columns (see accord/ops/anonymize_rules.py)."""

from accord.ops.anonymize_rules import KEEP

FIELD_RULES: dict[str, dict[str, str]] = {
    "fieldservice.ChecklistTemplate": {"name": KEEP, "items": KEEP},
    "fieldservice.WorkOrder": {
        "status": KEEP,
        "site_address": "street",
        "instructions": "text",
        "result_notes": "text",
        "signed_by": "person_name",
        "currency": KEEP,
        "consumption_note": "message",
    },
    "fieldservice.ChecklistItem": {"text": "text"},
    "fieldservice.MaterialUse": {"description": "text", "currency": KEEP},
    "fieldservice.TimeEntry": {"kind": KEEP, "note": "text"},
    "fieldservice.WorkOrderPhoto": {"image": "file", "caption": "text", "content_type": KEEP},
    "fieldservice.WorkOrderNote": {"text": "text"},
}
