"""``accord mail-in``: one message from standard input or a file, what happened on stdout."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.core.models import AuditEntry
from accord.service.models import Case, CaseMessage

pytestmark = pytest.mark.django_db

MAIL = Path(__file__).parent / "mail"


def _run(
    *args: str, stdin: bytes | None = None, monkeypatch: pytest.MonkeyPatch | None = None
) -> str:
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    out = io.StringIO()
    call_command("mail-in", *args, stdout=out)
    return out.getvalue()


def test_message_from_standard_input_opens_a_case(monkeypatch):
    output = _run(stdin=(MAIL / "plain.eml").read_bytes(), monkeypatch=monkeypatch)

    case = Case.objects.get()
    assert output == f"Opened {case.reference}\n"
    entry = AuditEntry.objects.filter(object_type="case", object_id=case.pk).first()
    assert entry is not None and entry.source == AuditEntry.Source.COMMAND


def test_message_from_a_file_then_its_reply_then_the_duplicate():
    assert _run(str(MAIL / "plain.eml")) == f"Opened {Case.objects.get().reference}\n"
    case = Case.objects.get()
    reply = MAIL.parent / "reply.eml"
    try:
        reply.write_bytes(
            (MAIL / "reply_subject.eml").read_bytes().replace(b"CS-0000", case.reference.encode())
        )
        assert _run(str(reply)) == f"Added to {case.reference}\n"
        assert (
            _run(str(reply))
            == f"Duplicate of a message already on {case.reference}; nothing added\n"
        )
    finally:
        reply.unlink()
    assert CaseMessage.objects.count() == 2


def test_auto_reply_is_reported_and_ignored():
    assert _run(str(MAIL / "auto_reply.eml")) == "Ignored: auto-reply\n"
    assert Case.objects.count() == 0


def test_problems_are_printed_under_the_result():
    output = _run(str(MAIL / "broken_boundary.eml"))

    assert output == (
        f"Opened {Case.objects.get().reference}\n"
        "  The message's MIME structure was broken (no boundary between its parts); its parts "
        "were recovered.\n"
    )


def test_too_large_message_is_refused_with_exit_code_65(settings, monkeypatch):
    settings.ACCORD_MAIL_MAX_MESSAGE_MB = 0.001  # about 1 KB

    with pytest.raises(CommandError) as refused:
        _run(stdin=(MAIL / "alternative_attachments.eml").read_bytes() * 2, monkeypatch=monkeypatch)

    assert refused.value.returncode == 65
    assert str(refused.value) == (
        "Refused: the message is larger than the 1.0 KB limit; it was not taken."
    )
    assert Case.objects.count() == 0


def test_missing_file_exits_66():
    with pytest.raises(CommandError) as refused:
        _run("/nonexistent/message.eml")

    assert refused.value.returncode == 66
    assert str(refused.value) == "Cannot read /nonexistent/message.eml: No such file or directory"


def test_empty_input_is_refused(monkeypatch):
    with pytest.raises(CommandError) as refused:
        _run(stdin=b"", monkeypatch=monkeypatch)

    assert refused.value.returncode == 65
    assert str(refused.value) == "Refused: The message is empty."
