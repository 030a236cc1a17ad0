"""``accord anonymize``'s rules for this app's columns (see accord/ops/anonymize_rules.py)."""

from accord.ops.anonymize_rules import KEEP

_NAMES = {"name": KEEP, "name_ru": KEEP, "name_fr": KEEP, "name_de": KEEP}

FIELD_RULES: dict[str, dict[str, str]] = {
    "service.Category": {**_NAMES, "code": KEEP},
    "service.Queue": {**_NAMES, "method": KEEP, "email": KEEP},
    "service.RoutingRule": {"name": KEEP, "channel": KEEP},
    "service.Case": {
        "subject": "text",
        "description": "text",
        "status": KEEP,
        "priority": KEEP,
        "channel": KEEP,
        "requester_email": "email",
        "requester_name": "person_name",
        "serial_number": "digest",
        "custom": "custom",
    },
    "service.CaseMessage": {
        "kind": KEEP,
        "from_address": "email",
        "to_addresses": "email_list",
        "cc_addresses": "email_list",
        "subject": "text",
        "body_text": "text",
        "body_html": "text",
        "message_id": "digest",
        "in_reply_to": "digest",
    },
    "service.CaseAttachment": {
        "file": "file",
        "name": "file_name",
        "content_type": KEEP,
    },
    "service.CaseEvent": {
        "kind": KEEP,
        "from_value": "message",
        "to_value": "message",
        "reason": "text",
    },
}
