"""A mail delivered twice at the same moment is stored once: the database refuses the second
copy (the mail server then retries and mail-in reports it as a duplicate)."""

import pytest
from django.db import IntegrityError, transaction

from accord.service.models import Case, CaseMessage


@pytest.mark.django_db
def test_the_same_message_id_cannot_be_stored_twice_but_empty_ones_can():
    case = Case.objects.create(subject="Boiler")
    CaseMessage.objects.create(case=case, kind="inbound", message_id="<a@example.com>")
    CaseMessage.objects.create(case=case, kind="note", message_id="")
    CaseMessage.objects.create(case=case, kind="note", message_id="")

    with pytest.raises(IntegrityError), transaction.atomic():
        CaseMessage.objects.create(case=case, kind="inbound", message_id="<a@example.com>")

    assert CaseMessage.objects.filter(case=case).count() == 3
