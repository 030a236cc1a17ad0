"""``accord generate``: exact counts, the same search data the services compute, audit."""

from __future__ import annotations

import io

import phonenumbers
import pytest
from django.core.management import call_command
from django.db import connection
from stdnum.fr import siret as fr_siret
from stdnum.ru import inn as ru_inn

from accord.activities.models import Activity
from accord.core.models import AuditEntry, User
from accord.ops import generator, synthetic
from accord.parties import normalize
from accord.parties.models import Company, Contact, ContactPoint, Employment
from accord.parties.selectors import companies_visible_to, contacts_visible_to
from accord.parties.services import refresh_company_search, refresh_contact_search


def _generate(**numbers: int) -> str:
    out = io.StringIO()
    call_command("generate", *[f"--{k}={v}" for k, v in numbers.items()], "--seed=5", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_generate_creates_exactly_the_requested_rows_with_audit():
    output = _generate(companies=30, contacts=100, activities=200, users=3)

    assert Company.objects.count() == 30
    assert Contact.objects.count() == 100
    assert Activity.objects.count() == 200
    assert User.objects.filter(username__startswith=generator.MANAGER_PREFIX).count() == 3
    assert User.objects.filter(username=generator.HEAD_USERNAME).exists()
    created = AuditEntry.objects.filter(action="create", source="command", message="generated")
    assert created.filter(object_type="company").count() == 30
    assert created.filter(object_type="contact").count() == 100
    assert created.filter(object_type="activity").count() == 200
    assert Employment.objects.count() == Contact.objects.exclude(primary_company=None).count()
    assert "rows/s" in output


@pytest.mark.django_db
def test_generated_rows_carry_what_the_services_would_compute():
    _generate(companies=20, contacts=60, activities=0, users=2)

    for company in Company.objects.all()[:10]:
        stored = (company.search_text, company.name_key)
        refresh_company_search(company)
        company.refresh_from_db()
        assert (company.search_text, company.name_key) == stored
        if company.inn:
            assert ru_inn.is_valid(company.inn)
        if company.siret:
            assert fr_siret.is_valid(company.siret)
    for contact in Contact.objects.all()[:20]:
        stored = (contact.search_text, contact.name_key, contact.full_name)
        refresh_contact_search(contact)
        contact.refresh_from_db()
        assert (contact.search_text, contact.name_key, contact.full_name) == stored
    for value in ContactPoint.objects.filter(kind="phone").values_list("normalized", flat=True):
        assert normalize.normalize_phone(value) == value


@pytest.mark.django_db
def test_generated_rows_are_searchable_and_scoped_to_their_owner():
    _generate(companies=20, contacts=60, activities=50, users=4)
    contact = Contact.objects.order_by("id")[5]
    manager = User.objects.get(pk=contact.owner_id)
    head = User.objects.get(username=generator.HEAD_USERNAME)

    fragment = contact.last_name.lower()[:5]
    assert (
        contacts_visible_to(head)
        .filter(search_text__contains=fragment)
        .filter(pk=contact.pk)
        .exists()
    )
    visible = companies_visible_to(manager)
    assert 0 < visible.count() < Company.objects.count()
    assert set(visible.values_list("owner_id", "team_id")) <= {
        (owner, team)
        for owner, team in Company.objects.values_list("owner_id", "team_id")
        if owner == manager.pk or team in set(manager.teams.values_list("id", flat=True))
    }
    assert companies_visible_to(head).count() == 20


@pytest.mark.django_db
def test_generate_adds_to_existing_rows_without_clashing():
    _generate(companies=10, contacts=10, activities=10, users=2)
    _generate(companies=10, contacts=10, activities=10, users=2)

    assert Company.objects.count() == 20
    assert Contact.objects.count() == 20
    assert Activity.objects.count() == 20
    assert User.objects.filter(username__startswith=generator.MANAGER_PREFIX).count() == 2


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite FTS5 triggers")
def test_deferred_search_index_rebuilds_and_restores_the_triggers():
    def triggers() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            return {row[0] for row in cursor.fetchall()}

    before = triggers()
    with generator.deferred_search_index(enabled=True):
        assert "parties_contact_fts_ai" not in triggers()
        generator.generate(companies=5, contacts=15, activities=0, users=1)

    assert triggers() == before
    contact = Contact.objects.order_by("id").first()
    assert contact is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM parties_contact_fts WHERE parties_contact_fts MATCH %s",
            ['"' + contact.last_name.lower()[:4] + '"'],
        )
        assert contact.pk in {row[0] for row in cursor.fetchall()}


def test_synthetic_identifiers_and_phones_are_valid():
    import random

    from stdnum.eu import vat
    from stdnum.fr import siren
    from stdnum.ru import ogrn

    rng = random.Random(3)
    for _ in range(300):
        region = rng.choice(synthetic.RU_TAX_REGIONS)
        assert ru_inn.is_valid(synthetic.company_inn(rng, region))
        assert ogrn.is_valid(synthetic.company_ogrn(rng, region))
        number = synthetic.siren_number(rng)
        assert siren.is_valid(number)
        assert fr_siret.is_valid(synthetic.siret_number(rng, number))
        assert vat.is_valid(synthetic.french_vat(number))
        for country in synthetic.COUNTRIES:
            phone = synthetic.phone_e164(rng, country)
            assert phonenumbers.is_valid_number(phonenumbers.parse(phone, None)), phone


def test_cached_search_text_matches_the_normaliser():
    parts = ("Воронцов Сергей Петрович", "Сергей Воронцов", "Главный инженер", "+74951234567")
    assert generator.search_text(*parts) == normalize.search_text(*parts)
    assert generator.search_text("Durand Élodie", "", "a@b.example") == normalize.search_text(
        "Durand Élodie", "", "a@b.example"
    )


def test_cached_name_key_matches_the_normaliser():
    for name in ("Воронцов Сергей", "ООО «Уралэнергопроект»", "Lefèvre Élodie", "O'Neil Ltd"):
        assert generator.name_key(name) == normalize.name_key(name)
