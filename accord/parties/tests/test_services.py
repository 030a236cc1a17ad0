import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.core.errors import ConflictError
from accord.core.models import AuditEntry
from accord.core.testing import TeamFactory, user_with_role
from accord.parties import services
from accord.parties.duplicates import find_company_duplicates
from accord.parties.models import Company, ContactPoint
from accord.parties.selectors import companies_visible_to
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db


def test_manager_creates_company_with_normalised_phone_and_audit():
    manager = user_with_role("sales_manager")

    company = services.company_create(
        actor=manager,
        fields={"name": "ООО Челябэнергопроект", "inn": "7707083893"},
        phones=["8 (351) 123-45-67"],
        emails=["Info@Example.RU"],
    )

    assert company.owner == manager
    assert list(company.contact_points.values_list("kind", "normalized")) == [
        ("email", "info@example.ru"),
        ("phone", "+73511234567"),
    ]
    entry = AuditEntry.objects.get(object_type="company", object_id=company.pk)
    assert entry.action == "create" and entry.actor == manager
    assert entry.changes["phones"] == [None, ["+73511234567"]]
    assert entry.changes["name"] == [None, "ООО Челябэнергопроект"]


def test_invalid_tax_ids_and_phone_are_refused_with_field_names_and_nothing_saved():
    manager = user_with_role("sales_manager")

    with pytest.raises(ValidationError) as info:
        services.company_create(
            actor=manager, fields={"name": "X", "inn": "1234567890", "siret": "123"}, phones=["12"]
        )

    assert set(info.value.message_dict) == {"inn", "siret", "phones"}
    assert "10 digits" in info.value.message_dict["inn"][0]
    assert Company.objects.count() == 0
    assert ContactPoint.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_stale_version_is_refused():
    manager = user_with_role("sales_manager")
    company = services.company_create(actor=manager, fields={"name": "Alpha"})
    services.company_update(
        actor=manager, company=company, fields={"name": "Alpha 2"}, expected_version=1
    )

    with pytest.raises(ConflictError):
        services.company_update(
            actor=manager, company=company, fields={"name": "Alpha 3"}, expected_version=1
        )

    company.refresh_from_db()
    assert (company.name, company.version) == ("Alpha 2", 2)


def test_manager_cannot_change_someone_elses_company_and_nothing_changes():
    owner = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    company = make_company(owner=owner, name="Beta")
    entries_before = AuditEntry.objects.count()

    with pytest.raises(PermissionDenied):
        services.company_update(actor=other, company=company, fields={"name": "Hacked"})

    company.refresh_from_db()
    assert company.name == "Beta"
    assert AuditEntry.objects.count() == entries_before


def test_team_sharing_scopes_visibility():
    team = TeamFactory(name="Ural office")
    alice = user_with_role("sales_manager", team=team)
    bob = user_with_role("sales_manager", team=team)
    head = user_with_role("head_of_sales")
    own = make_company(owner=alice, name="Own")
    shared = make_company(owner=bob, name="Shared", team=team)
    private = make_company(owner=bob, name="Private")

    assert set(companies_visible_to(alice)) == {own, shared}
    assert set(companies_visible_to(head)) == {own, shared, private}


def test_duplicate_found_across_scripts_and_by_phone():
    owner = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    existing = make_company(owner=owner, name="ООО Челябэнергопроект", phones=["+7 351 123-45-67"])

    by_name = find_company_duplicates(user=other, name="Chelyabenergoproekt LLC")
    by_phone = find_company_duplicates(user=other, name="Something else", phones=["8 351 1234567"])

    assert [d.obj for d in by_name] == [existing]
    assert by_name[0].visible is False  # other manager learns it exists, not what it holds
    assert [d.obj for d in by_phone] == [existing]


def test_reassign_moves_companies_and_their_contacts_with_audit():
    head = user_with_role("head_of_sales")
    leaving = user_with_role("sales_manager")
    successor = user_with_role("sales_manager")
    company = make_company(owner=leaving, name="Gamma")
    contact = make_contact(owner=leaving, company=company)

    result = services.clients_reassign(actor=head, from_user=leaving, to_user=successor)

    company.refresh_from_db()
    contact.refresh_from_db()
    assert (result.companies, result.contacts) == (1, 1)
    assert company.owner == successor and contact.owner == successor
    assert AuditEntry.objects.filter(action="reassign").count() == 2


def test_addresses_are_validated_stored_and_audited():
    manager = user_with_role("sales_manager")
    company = services.company_create(
        actor=manager,
        fields={"name": "Uralproekt"},
        addresses=[
            {
                "kind": "legal",
                "street": "ul. Lenina 5",
                "city": "Chelyabinsk",
                "postcode": "454000",
                "country": "ru",
            }
        ],
    )
    assert [(a.kind, a.city, a.country) for a in company.addresses.all()] == [
        ("legal", "Chelyabinsk", "RU")
    ]

    with pytest.raises(ValidationError) as info:
        services.company_update(
            actor=manager,
            company=company,
            fields={},
            addresses=[{"city": "Paris", "country": "FRA"}],
        )
    assert list(info.value.message_dict) == ["addresses"]
    assert "street" in info.value.message_dict["addresses"][0]
    assert company.addresses.get().city == "Chelyabinsk"

    services.company_update(
        actor=manager,
        company=company,
        fields={},
        addresses=[{"street": "1 rue de Rivoli", "city": "Paris", "country": "FR"}],
    )

    entry = AuditEntry.objects.filter(object_id=company.pk, action="change").get()
    assert entry.changes["addresses"] == [
        ["ul. Lenina 5, 454000, Chelyabinsk, RU"],
        ["1 rue de Rivoli, Paris, FR"],
    ]
