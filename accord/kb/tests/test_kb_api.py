"""The knowledge base over the REST API: scoped list and search, read, create, versioned
update, restore, votes and case solutions."""

import pytest

from accord.core.models import Team
from accord.core.testing import assert_num_queries, user_with_role
from accord.kb.models import Article, CaseSolution
from accord.kb.tests.factories import author, make_article, make_case

pytestmark = pytest.mark.django_db


def test_search_returns_ranked_articles_with_snippets(client):
    manager = author()
    make_article(
        manager, title="Heizung fällt aus", body_html="<p>Die Heizung zeigt F28.</p>", language="de"
    )
    make_article(manager, title="Lüftung", body_html="<p>Filter wechseln.</p>", language="de")
    client.force_login(manager)

    response = client.get("/api/kb/articles", {"q": "Heizungen"})

    data = response.json()
    assert response.status_code == 200
    assert [item["title"] for item in data["items"]] == ["Heizung fällt aus"]
    assert data["total"] == 1
    assert data["items"][0]["snippet"] == "Die <mark>Heizung</mark> zeigt F28."


def test_list_is_scoped_filtered_and_costs_fixed_queries(client):
    manager = author()
    make_article(manager, title="A", visibility="public")
    make_article(manager, title="B")
    client.force_login(manager)
    client.get("/api/kb/articles")

    with assert_num_queries(4):
        data = client.get("/api/kb/articles", {"visibility": "public"}).json()
    assert [item["title"] for item in data["items"]] == ["A"]

    client.force_login(user_with_role("sales_manager"))
    assert client.get("/api/kb/articles").json()["items"] == []
    bad = client.get("/api/kb/articles", {"status": "live"})
    assert bad.status_code == 422
    assert [d["field"] for d in bad.json()["detail"]] == ["status"]


def test_create_read_update_and_conflict(client):
    agent = user_with_role("service_agent")
    client.force_login(agent)

    created = client.post(
        "/api/kb/articles",
        {"title": "Fan", "body_html": "<p>Balance<script>x</script></p>", "language": "en"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["body_html"], data["status"], data["current_version"], data["owner"]) == (
        "<p>Balance</p>",
        "draft",
        1,
        agent.pk,
    )
    url = f"/api/kb/articles/{data['id']}"
    updated = client.patch(
        url,
        {"version": data["version"], "body_html": "<p>Tighten</p>"},
        content_type="application/json",
    )
    assert updated.status_code == 200
    assert updated.json()["current_version"] == 2
    stale = client.patch(
        url, {"version": data["version"], "title": "X"}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert client.get(url).json()["title"] == "Fan"
    versions = client.get(f"{url}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    restored = client.post(f"{url}/versions/1/restore?version={updated.json()['version']}")
    assert restored.json()["body_html"] == "<p>Balance</p>"


def test_bad_input_names_the_field(client):
    client.force_login(author())

    response = client.post(
        "/api/kb/articles",
        {"title": "", "body_html": "<p>x</p>", "language": "xx"},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert {d["field"] for d in response.json()["detail"]} == {"title", "language"}
    assert Article.objects.count() == 0


def test_a_reader_cannot_change_and_a_hidden_article_is_404(client):
    article = make_article()
    client.force_login(user_with_role("field_engineer"))
    assert (
        client.patch(
            f"/api/kb/articles/{article.pk}",
            {"version": 1, "title": "X"},
            content_type="application/json",
        ).status_code
        == 403
    )
    client.force_login(user_with_role("sales_manager"))
    assert client.get(f"/api/kb/articles/{article.pk}").status_code == 404
    article.refresh_from_db()
    assert article.title == "Boiler does not start"


def test_feedback_once(client):
    article = make_article()
    client.force_login(user_with_role("service_agent"))

    first = client.post(
        f"/api/kb/articles/{article.pk}/feedback",
        {"is_helpful": True},
        content_type="application/json",
    )
    second = client.post(
        f"/api/kb/articles/{article.pk}/feedback",
        {"is_helpful": False},
        content_type="application/json",
    )

    assert first.status_code == 201
    assert first.json()["helpful_count"] == 1
    assert second.status_code == 422


def test_case_suggestions_and_solutions(client):
    team = Team.objects.create(name="Line 1")
    agent = user_with_role("service_agent", team=team)
    article = make_article(title="Boiler error F28", body_html="<p>Check the gas.</p>")
    case = make_case(subject="Boiler shows F28", team=team, owner=agent)
    client.force_login(agent)

    suggestions = client.get(f"/api/kb/cases/{case.pk}/suggestions").json()
    linked = client.post(f"/api/kb/cases/{case.pk}/solutions/{article.pk}")
    unlinked = client.delete(f"/api/kb/cases/{case.pk}/solutions/{article.pk}")

    assert [s["title"] for s in suggestions] == ["Boiler error F28"]
    assert linked.status_code == 201
    assert linked.json()["solved_count"] == 1
    assert unlinked.status_code == 204
    assert CaseSolution.objects.count() == 0
