from __future__ import annotations

from typing import Any

from accord.core.models import User
from accord.parties import services
from accord.parties.models import Company, Contact

_counter = {"n": 0}


def make_company(*, owner: User, name: str | None = None, **fields: Any) -> Company:
    """Creates through the service, as an administrator would, so search and audit are real."""
    from accord.core.testing import UserFactory

    _counter["n"] += 1
    phones = fields.pop("phones", ())
    emails = fields.pop("emails", ())
    admin = User.objects.filter(is_superuser=True).first() or UserFactory(
        is_superuser=True, username="factory-root"
    )
    return services.company_create(
        actor=admin,
        fields={"name": name or f"Company {_counter['n']}", "owner": owner, **fields},
        phones=phones,
        emails=emails,
    )


def make_contact(*, owner: User, company: Company | None = None, **fields: Any) -> Contact:
    from accord.core.testing import UserFactory

    _counter["n"] += 1
    phones = fields.pop("phones", ())
    emails = fields.pop("emails", ())
    admin = User.objects.filter(is_superuser=True).first() or UserFactory(
        is_superuser=True, username="factory-root"
    )
    fields.setdefault("last_name", f"Person{_counter['n']}")
    fields.setdefault("first_name", "Anna")
    return services.contact_create(
        actor=admin,
        fields={"owner": owner, **fields},
        companies=[company] if company else [],
        phones=phones,
        emails=emails,
    )
