import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accord.core.testing import assert_num_queries, user_with_role
from accord.parties.tests.factories import make_company
from accord.projects import services
from accord.projects.models import Project
from accord.projects.tests.factories import default_template, make_deal

pytestmark = pytest.mark.django_db

FUTURE = timezone.localdate() + datetime.timedelta(days=10)


def _project(manager, company=None, **kwargs):
    return services.project_create(
        actor=manager,
        company=company or make_company(owner=manager),
        name=kwargs.pop("name", "Bridge"),
        template=default_template(),
        budget=Decimal(kwargs.pop("budget", "1000000.01")),
        currency="RUB",
        start_date=kwargs.pop("start_date", FUTURE),
        **kwargs,
    )


def test_create_from_template_and_read_back(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    client.force_login(manager)

    response = client.post(
        "/api/projects",
        {
            "company": company.pk,
            "name": "Bridge",
            "template": default_template().pk,
            "budget": "1000000.01",
            "start_date": "2026-03-02",
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert [s["milestone_amount"] for s in data["stages"]] == [
        "150000.00",
        "350000.00",
        "400000.00",
        "100000.01",
    ]
    assert data["stages"][0]["deadline"] == "2026-04-01"
    assert data["owner"] == manager.pk and data["currency"] == "RUB"
    assert client.get(f"/api/projects/{data['id']}").json()["name"] == "Bridge"


def test_create_from_deal(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    deal = make_deal(owner=manager, company=company, amount="99.99", currency="EUR")
    client.force_login(manager)
    response = client.post("/api/projects", {"deal": deal.pk}, content_type="application/json")
    assert response.status_code == 201
    data = response.json()
    assert (data["company"], data["budget"], data["currency"], data["deal"]) == (
        company.pk,
        "99.99",
        "EUR",
        deal.pk,
    )


def test_bad_input_gives_422_naming_the_field(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    client.force_login(manager)
    response = client.post(
        "/api/projects",
        {"company": company.pk, "name": "X", "budget": "-1"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "budget"
    assert not Project.objects.exists()


def test_patch_with_stale_version_is_409_and_changes_nothing(client):
    manager = user_with_role("sales_manager")
    project = _project(manager)
    client.force_login(manager)
    url = f"/api/projects/{project.pk}"

    ok = client.patch(url, {"version": 1, "budget": "2000000.00"}, content_type="application/json")
    assert ok.status_code == 200
    assert sum(Decimal(s["milestone_amount"]) for s in ok.json()["stages"]) == Decimal("2000000.00")

    stale = client.patch(url, {"version": 1, "name": "Other"}, content_type="application/json")
    assert stale.status_code == 409
    project.refresh_from_db()
    assert project.name == "Bridge"

    refused = client.patch(
        url, {"version": project.version, "status": "completed"}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "status"


def test_stages_endpoints(client):
    manager = user_with_role("sales_manager")
    engineer = user_with_role("read_only")
    project = _project(manager)
    client.force_login(manager)
    base = f"/api/projects/{project.pk}/stages"

    stages = client.get(base).json()
    assert stages[0]["name"] == "Engineering survey"

    over = client.post(
        base, {"name": "Extra", "budget_share": "1"}, content_type="application/json"
    )
    assert over.status_code == 422 and over.json()["detail"][0]["field"] == "budget_share"

    first = stages[0]
    response = client.patch(
        f"{base}/{first['id']}",
        {"version": first["version"], "responsible": engineer.pk, "status": "done"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["responsible"], data["status"]) == (engineer.pk, "done")
    assert data["completed_on"] == timezone.localdate().isoformat()

    stale = client.patch(
        f"{base}/{first['id']}",
        {"version": first["version"], "name": "X"},
        content_type="application/json",
    )
    assert stale.status_code == 409


def test_read_only_user_reads_but_cannot_write(client):
    manager = user_with_role("sales_manager")
    engineer = user_with_role("read_only")
    project = _project(manager)
    client.force_login(engineer)
    assert client.get(f"/api/projects/{project.pk}").status_code == 200
    response = client.patch(
        f"/api/projects/{project.pk}", {"version": 1, "name": "X"}, content_type="application/json"
    )
    assert response.status_code == 403
    project.refresh_from_db()
    assert project.name == "Bridge"


def test_hidden_project_is_404(client):
    owner = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    project = _project(owner)
    client.force_login(other)
    assert client.get(f"/api/projects/{project.pk}").status_code == 404
    assert client.get(f"/api/projects/{project.pk}/stages").status_code == 404


def test_list_is_keyset_paged_with_fixed_queries(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    for index in range(3):
        _project(manager, company=company, name=f"P{index}")
    client.force_login(manager)
    client.get("/api/projects")

    # session, user, grants, teams, page, stages prefetch
    with assert_num_queries(6):
        first = client.get("/api/projects", {"limit": 2}).json()

    assert [p["name"] for p in first["items"]] == ["P2", "P1"]
    second = client.get("/api/projects", {"limit": 2, "after": first["next"]}).json()
    assert [p["name"] for p in second["items"]] == ["P0"] and second["next"] is None


def test_delete_with_version(client):
    manager = user_with_role("sales_manager")
    project = _project(manager)
    client.force_login(manager)
    assert client.delete(f"/api/projects/{project.pk}?version=99").status_code == 409
    assert client.delete(f"/api/projects/{project.pk}?version={project.version}").status_code == 204
    assert not Project.objects.filter(pk=project.pk).exists()


def test_templates_endpoint(client):
    client.force_login(user_with_role("sales_manager"))
    data = client.get("/api/project-templates").json()
    template = next(t for t in data if t["name"] == "Design contract")
    assert [s["budget_share"] for s in template["stages"]] == ["15.00", "35.00", "40.00", "10.00"]
    assert template["stages"][0]["name_ru"] == "Инженерные изыскания"
