"""``accord anonymize``'s rules for this app's columns (see accord/ops/anonymize_rules.py)."""

from accord.ops.anonymize_rules import KEEP

FIELD_RULES: dict[str, dict[str, str]] = {
    # serial_key is the upper-cased serial: digested too (deterministic, so keys stay unique).
    "contracts.Asset": {
        "serial_number": "digest",
        "serial_key": "digest",
        "description": KEEP,
        "location": "street",
    },
    "contracts.ServiceContract": {
        "number": KEEP,
        "name": "text",
        "status": KEEP,
        "currency": KEEP,
        "notes": "text",
    },
    "contracts.Entitlement": {"unit": KEEP},
    "contracts.Consumption": {"source": KEEP, "note": "text"},
}
