"""``accord anonymize``'s rules for this app's columns (see accord/ops/anonymize_rules.py)."""

from accord.ops.anonymize_rules import KEEP

FIELD_RULES: dict[str, dict[str, str]] = {
    "feedback.Survey": {
        "email": "email",
        "language": KEEP,
        "send_error": "clear",
        "comment": "text",
    },
    "feedback.SurveyOptOut": {"email": "email", "source": KEEP},
}
