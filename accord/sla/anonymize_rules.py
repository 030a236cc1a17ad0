"""``accord anonymize``'s rules for this app's columns (see accord/ops/anonymize_rules.py)."""

from accord.ops.anonymize_rules import KEEP

FIELD_RULES: dict[str, dict[str, str]] = {
    "sla.WorkCalendar": {"name": KEEP, "time_zone": KEEP, "country": KEEP},
    "sla.Holiday": {"name": KEEP},
    "sla.SlaPolicy": {"name": KEEP, "name_ru": KEEP, "name_fr": KEEP, "name_de": KEEP},
    "sla.SlaTarget": {"priority": KEEP},
}
