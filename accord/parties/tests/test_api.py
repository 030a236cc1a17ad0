import json

import pytest
from django.test import Client

from accord.core.models import AuditEntry, CustomFieldDefinition, PicklistOption
from accord.core.testing import TeamFactory, assert_num_queries, user_with_role
from accord.core.tests.test_api_auth import token_client
from accord.parties.models import Company, ContactPoint
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db

VALID_INN = "7707083893"


def _json(client: Client, method: str, url: str, body=None):
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


def test_company_crud_through_the_api_writes_audit_entries():
    manager = user_with_role("sales_manager")
    client = token_client(manager)
    industry = PicklistOption.objects.get(picklist="industry", code="design")

    created = _json(
        client,
        "post",
        "/api/companies",
        {
            "name": "ООО Челябэнергопроект",
            "inn": VALID_INN,
            "industry": "design",
            "phones": ["8 (351) 123-45-67", {"value": "+33 1 23 45 67 89", "label": "Paris"}],
            "emails": ["Info@Example.RU"],
            "tags": ["key"],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    company_id = body["id"]
    assert body["owner"] == manager.pk and body["version"] == 1
    assert body["industry"] == "design" and body["industry_label"] == industry.label
    assert [p["normalized"] for p in body["phones"]] == ["+73511234567", "+33123456789"]
    assert body["phones"][1]["label"] == "Paris"
    assert body["emails"] == [
        {"value": "Info@Example.RU", "normalized": "info@example.ru", "label": ""}
    ]
    assert body["tags"] == ["key"]

    fetched = client.get(f"/api/companies/{company_id}")
    assert fetched.status_code == 200 and fetched.json()["name"] == "ООО Челябэнергопроект"

    patched = _json(
        client, "patch", f"/api/companies/{company_id}", {"version": 1, "name": "Chelyab"}
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["name"] == "Chelyab" and patched.json()["version"] == 2
    assert [p["normalized"] for p in patched.json()["phones"]] == ["+73511234567", "+33123456789"]

    deleted = client.delete(f"/api/companies/{company_id}?version=2")
    assert deleted.status_code == 204
    assert not Company.objects.filter(pk=company_id).exists()
    actions = list(
        AuditEntry.objects.filter(object_type="company", object_id=company_id)
        .order_by("id")
        .values_list("action", "source", "actor")
    )
    assert actions == [
        ("create", "api", manager.pk),
        ("change", "api", manager.pk),
        ("delete", "api", manager.pk),
    ]


def test_contact_crud_through_the_api_writes_audit_entries():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")
    client = token_client(manager)

    created = _json(
        client,
        "post",
        "/api/contacts",
        {
            "first_name": "Иван",
            "last_name": "Петров",
            "middle_name": "Сергеевич",
            "position": "ГИП",
            "companies": [company.pk],
            "birthday": "1980-05-01",
            "phones": ["+7 912 345-67-89"],
            "messengers": [{"value": "@petrov", "label": "Telegram"}],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["companies"] == [company.pk] and body["primary_company"] == company.pk
    assert body["full_name"] == "Петров Иван Сергеевич"
    assert body["messengers"] == [
        {"value": "@petrov", "normalized": "@petrov", "label": "Telegram"}
    ]
    contact_id = body["id"]

    patched = _json(
        client, "patch", f"/api/contacts/{contact_id}", {"version": 1, "position": "Director"}
    )
    assert patched.status_code == 200 and patched.json()["position"] == "Director"
    listed = client.get(f"/api/companies/{company.pk}/contacts").json()
    assert [c["id"] for c in listed["items"]] == [contact_id]

    assert client.delete(f"/api/contacts/{contact_id}?version=2").status_code == 204
    assert list(
        AuditEntry.objects.filter(object_type="contact", object_id=contact_id)
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["create", "change", "delete"]


def test_invalid_inn_phone_and_email_give_422_with_field_names_and_save_nothing():
    manager = user_with_role("sales_manager")
    client = token_client(manager)

    response = _json(
        client,
        "post",
        "/api/companies",
        {"name": "X", "inn": "1234567890", "phones": ["12"], "emails": ["not-an-email"]},
    )

    assert response.status_code == 422
    fields = {d["field"]: d["messages"] for d in response.json()["detail"]}
    assert set(fields) == {"inn", "phones", "emails"}
    assert "10 digits" in fields["inn"][0]
    assert Company.objects.count() == 0 and ContactPoint.objects.count() == 0


def test_missing_name_and_unknown_picklist_code_are_422():
    client = token_client(user_with_role("sales_manager"))

    no_name = _json(client, "post", "/api/companies", {"inn": VALID_INN})
    bad_code = _json(client, "post", "/api/companies", {"name": "A", "industry": "nope"})

    assert no_name.status_code == 422
    assert [d["field"] for d in no_name.json()["detail"]] == ["name"]
    assert bad_code.status_code == 422
    assert [d["field"] for d in bad_code.json()["detail"]] == ["industry"]
    assert Company.objects.count() == 0


def test_stale_version_gives_409_and_changes_nothing():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")
    client = token_client(manager)
    assert (
        _json(
            client, "patch", f"/api/companies/{company.pk}", {"version": 1, "name": "Alpha 2"}
        ).status_code
        == 200
    )
    entries = AuditEntry.objects.count()

    stale = _json(
        client, "patch", f"/api/companies/{company.pk}", {"version": 1, "name": "Alpha 3"}
    )
    stale_delete = client.delete(f"/api/companies/{company.pk}?version=1")

    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert stale_delete.status_code == 409
    company.refresh_from_db()
    assert (company.name, company.version) == ("Alpha 2", 2)
    assert AuditEntry.objects.count() == entries


def test_patch_requires_version():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")

    response = _json(token_client(manager), "patch", f"/api/companies/{company.pk}", {"name": "B"})

    assert response.status_code == 422
    assert [d["field"] for d in response.json()["detail"]] == ["version"]


def test_manager_sees_only_own_and_team_records_and_others_are_404():
    team = TeamFactory()
    manager = user_with_role("sales_manager", team=team)
    colleague = user_with_role("sales_manager", team=team)
    stranger = user_with_role("sales_manager")
    own = make_company(owner=manager, name="Own")
    shared = make_company(owner=colleague, name="Shared", team=team)
    private = make_company(owner=stranger, name="Private")
    private_contact = make_contact(owner=stranger, company=private, last_name="Hidden")
    client = token_client(manager)

    listed = client.get("/api/companies").json()
    contacts = client.get("/api/contacts").json()

    assert [c["id"] for c in listed["items"]] == [own.pk, shared.pk]
    assert contacts["items"] == []
    assert client.get(f"/api/companies/{private.pk}").status_code == 404
    assert client.get(f"/api/companies/{private.pk}/contacts").status_code == 404
    assert client.get(f"/api/contacts/{private_contact.pk}").status_code == 404
    assert client.get("/api/companies/999999").status_code == 404
    patch = _json(client, "patch", f"/api/companies/{private.pk}", {"version": 1, "name": "Mine"})
    delete = client.delete(f"/api/companies/{private.pk}?version=1")
    contact_patch = _json(
        client, "patch", f"/api/contacts/{private_contact.pk}", {"version": 1, "last_name": "X"}
    )
    assert (patch.status_code, delete.status_code, contact_patch.status_code) == (404, 404, 404)
    private.refresh_from_db()
    private_contact.refresh_from_db()
    assert (private.name, private.version) == ("Private", 1)
    assert private_contact.last_name == "Hidden"
    assert client.get(f"/api/audit?object_type=company&object_id={private.pk}").status_code == 404


def test_manager_cannot_change_a_team_record_they_only_see():
    team = TeamFactory()
    manager = user_with_role("sales_manager", team=team)
    colleague = user_with_role("sales_manager", team=team)
    shared = make_company(owner=colleague, name="Shared", team=team)

    response = _json(
        token_client(manager), "patch", f"/api/companies/{shared.pk}", {"version": 1, "name": "X"}
    )

    assert response.status_code == 403
    shared.refresh_from_db()
    assert shared.name == "Shared"


def test_company_filters_including_a_custom_field():
    manager = user_with_role("sales_manager")
    CustomFieldDefinition.objects.create(
        model="company", name="tender", label="Tender", field_type="text"
    )
    energy = make_company(owner=manager, name="Energo", industry=_option("industry", "energy"))
    make_company(owner=manager, name="Builder", industry=_option("industry", "construction"))
    from accord.parties import services

    tagged = services.company_create(
        actor=manager,
        fields={"name": "Tender Co", "country": "fr"},
        tags=["vip"],
        custom={"tender": "Metro 2026"},
        phones=["+7 351 765-43-21"],
    )
    client = token_client(manager)

    def ids(query):
        response = client.get(f"/api/companies?{query}")
        assert response.status_code == 200, response.content
        return [c["id"] for c in response.json()["items"]]

    assert ids("industry=energy") == [energy.pk]
    assert ids("cf_tender=metro") == [tagged.pk]
    assert ids("tag=vip") == [tagged.pk]
    assert ids("country=FR") == [tagged.pk]
    assert ids("q=tender") == [tagged.pk]
    assert ids(f"owner={manager.pk}&industry=construction&cf_tender=metro") == []
    assert client.get("/api/companies?limit=500").status_code == 422


def test_contact_custom_field_filter_and_company_filter():
    manager = user_with_role("sales_manager")
    CustomFieldDefinition.objects.create(
        model="contact", name="vip", label="VIP", field_type="boolean"
    )
    company = make_company(owner=manager, name="Alpha")
    from accord.parties import services

    vip = services.contact_create(
        actor=manager, fields={"last_name": "Vip"}, companies=[company], custom={"vip": True}
    )
    make_contact(owner=manager, last_name="Plain")
    client = token_client(manager)

    vip_ids = [c["id"] for c in client.get("/api/contacts?cf_vip=true").json()["items"]]
    company_ids = [
        c["id"] for c in client.get(f"/api/contacts?company={company.pk}").json()["items"]
    ]

    assert vip_ids == [vip.pk]
    assert company_ids == [vip.pk]


def _option(picklist, code):
    return PicklistOption.objects.get(picklist=picklist, code=code)


def test_keyset_pagination_returns_every_row_exactly_once():
    manager = user_with_role("sales_manager")
    # Equal names make the id the tie-breaker, which a naive cursor gets wrong.
    expected = [make_company(owner=manager, name=f"Co {i % 4}").pk for i in range(11)]
    client = token_client(manager)

    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/companies?limit=3" + (f"&after={cursor}" if cursor else "")
        body = client.get(url).json()
        seen += [c["id"] for c in body["items"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(expected) and len(seen) == len(expected)
    assert pages == 4
    assert client.get("/api/companies?after=garbage!").status_code == 422


@pytest.mark.parametrize("rows", [3, 30])
def test_company_list_query_count_does_not_grow_with_rows(rows):
    manager = user_with_role("sales_manager", team=TeamFactory())
    from accord.parties import services

    for i in range(rows):
        services.company_create(
            actor=manager, fields={"name": f"C{i}"}, phones=["+7 351 123-45-67"], tags=["a"]
        )
    client = token_client(manager)
    client.get("/api/me")  # marks the token as used: later calls do not write

    # token, grants, team ids, companies, phones/e-mails, tags
    with assert_num_queries(7):
        response = client.get("/api/companies?limit=50")

    assert len(response.json()["items"]) == rows


@pytest.mark.parametrize("rows", [3, 30])
def test_contact_list_query_count_does_not_grow_with_rows(rows):
    manager = user_with_role("sales_manager", team=TeamFactory())
    company = make_company(owner=manager, name="Alpha")
    for i in range(rows):
        make_contact(owner=manager, company=company, last_name=f"P{i}", phones=["+79123456789"])
    client = token_client(manager)
    client.get("/api/me")

    # token, grants, team ids, contacts, contact points, tags, employments
    with assert_num_queries(7):
        response = client.get("/api/contacts?limit=50")
    # + the company itself (its selector)
    with assert_num_queries(8):
        by_company = client.get(f"/api/companies/{company.pk}/contacts?limit=50")

    assert len(response.json()["items"]) == rows
    assert len(by_company.json()["items"]) == rows


def test_duplicates_show_invisible_ones_without_details():
    manager = user_with_role("sales_manager")
    stranger = user_with_role("sales_manager", first_name="Olga", last_name="Stern")
    own = make_company(owner=manager, name="Own", phones=["+7 351 111-22-33"])
    make_company(owner=stranger, name="Hidden", inn=VALID_INN)
    client = token_client(manager)

    response = _json(
        client,
        "post",
        "/api/companies/duplicates",
        {"inn": VALID_INN, "phones": ["8 351 111 22 33"]},
    )

    assert response.status_code == 200
    found = sorted(response.json(), key=lambda d: d["visible"])
    assert found[0] == {
        "visible": False,
        "id": None,
        "name": None,
        "owner_name": "Olga Stern",
        "reasons": ["same INN"],
    }
    assert found[1]["id"] == own.pk and found[1]["reasons"] == ["same phone"]


def test_contact_duplicates_by_email():
    manager = user_with_role("sales_manager")
    contact = make_contact(owner=manager, last_name="Ivanov", emails=["ivanov@example.com"])

    response = _json(
        token_client(manager),
        "post",
        "/api/contacts/duplicates",
        {"emails": ["IVANOV@example.com"]},
    )

    assert [d["id"] for d in response.json()] == [contact.pk]


def test_reassign_clients_needs_the_right_and_moves_them():
    head = user_with_role("head_of_sales")
    leaving = user_with_role("sales_manager")
    successor = user_with_role("sales_manager")
    company = make_company(owner=leaving, name="Alpha")
    contact = make_contact(owner=leaving, company=company)
    body = {"from_user": leaving.pk, "to_user": successor.pk}

    refused = _json(token_client(leaving), "post", "/api/clients/reassign", body)
    assert refused.status_code == 403
    company.refresh_from_db()
    assert company.owner == leaving

    response = _json(token_client(head), "post", "/api/clients/reassign", body)

    assert response.status_code == 200
    assert response.json()["companies"] == 1 and response.json()["contacts"] == 1
    company.refresh_from_db()
    contact.refresh_from_db()
    assert company.owner == successor and contact.owner == successor
    assert AuditEntry.objects.filter(action="reassign", source="api").count() == 2


def test_record_history_through_the_api():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")
    make_contact(owner=manager, company=company, last_name="Linked")
    client = token_client(manager)

    response = client.get(f"/api/audit?object_type=company&object_id={company.pk}")

    assert response.status_code == 200
    entries = response.json()["items"]
    assert [(e["object_type"], e["action"]) for e in entries] == [
        ("contact", "create"),
        ("company", "create"),
    ]


def test_openapi_contains_the_custom_field_defined_here():
    CustomFieldDefinition.objects.create(
        model="company",
        name="tender_code",
        label="Tender code",
        field_type="choice",
        choices=["A", "B"],
    )
    client = Client()
    client.force_login(user_with_role("sales_manager"))

    schema = client.get("/api/openapi.json").json()

    components = schema["components"]["schemas"]
    assert components["CompanyCustomFields"]["properties"]["tender_code"]["enum"] == ["A", "B"]
    for name in ("CompanyOut", "CompanyIn", "CompanyPatch"):
        assert components[name]["properties"]["custom"] == {
            "$ref": "#/components/schemas/CompanyCustomFields"
        }


def test_company_addresses_through_the_api(client):
    from accord.core.testing import user_with_role as _role

    manager = _role("sales_manager")
    client.force_login(manager)
    created = client.post(
        "/api/companies",
        {
            "name": "Addr Co",
            "addresses": [{"kind": "postal", "street": "Box 12", "city": "Lyon", "country": "FR"}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["addresses"] == [
        {
            "kind": "postal",
            "street": "Box 12",
            "postcode": "",
            "city": "Lyon",
            "region_name": "",
            "country": "FR",
        }
    ]
    bad = client.patch(
        f"/api/companies/{created.json()['id']}",
        {"version": 1, "addresses": [{"kind": "moon", "street": "x"}]},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "addresses"
