"""Pages of the knowledge base: search and list, article, editor, versions, votes, the case
panel and the public pages; scopes (404 / 403) and query budgets."""

import pytest
from django.urls import reverse

from accord.core.models import Team
from accord.core.testing import assert_num_queries, user_with_role
from accord.kb import services
from accord.kb.models import Article, ArticleFeedback, CaseSolution
from accord.kb.tests.factories import author, make_article, make_case, make_category

pytestmark = pytest.mark.django_db


def test_search_page_shows_ranked_results_with_highlighted_snippets(client):
    manager = author()
    make_article(
        manager,
        title="Котёл не запускается",
        body_html="<p>Если котёл не запускается, проверьте <b>давление</b> и заявку котла.</p>",
        language="ru",
    )
    make_article(manager, title="Другое", body_html="<p>Ничего общего.</p>", language="ru")
    client.force_login(manager)

    response = client.get(reverse("kb:article_list"), {"q": "котлы"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "Котёл не запускается" in body
    assert "Другое" not in body
    assert "заявку <mark>котла</mark>." in body  # Snowball: котлы/котла -> котл, котёл -> котел
    assert "1 article found" in body


def test_search_escapes_the_article_text_in_snippets(client):
    manager = author()
    make_article(manager, title="Boiler", body_html="<p>boiler &lt;script&gt;x&lt;/script&gt;</p>")
    client.force_login(manager)

    body = client.get(reverse("kb:article_list"), {"q": "boiler"}).content.decode()

    assert "<script>x" not in body
    assert "&lt;script&gt;x" in body


def test_list_and_search_pages_cost_a_fixed_number_of_queries(client):
    manager = author()
    category = make_category()
    for n in range(3):
        make_article(manager, title=f"Boiler {n}", category=category)
    client.force_login(manager)
    client.get(reverse("kb:article_list"))  # warm the session and the grants

    # session, user, grants, administrator?, count, page, notifications, categories
    with assert_num_queries(8):
        browse = client.get(reverse("kb:article_list"))
    # … and the search itself: ranked ids, match count, the page's articles
    with assert_num_queries(9):
        found = client.get(reverse("kb:article_list"), {"q": "boiler"})
    for n in range(3, 8):
        make_article(manager, title=f"Boiler {n}", category=category)
    with assert_num_queries(8):
        client.get(reverse("kb:article_list"))
    with assert_num_queries(9):
        client.get(reverse("kb:article_list"), {"q": "boiler"})

    assert browse.status_code == found.status_code == 200


def test_htmx_search_returns_the_results_fragment_only(client):
    manager = author()
    make_article(manager, title="Boiler")
    client.force_login(manager)

    response = client.get(reverse("kb:article_list"), {"q": "boiler"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert body.startswith('<div id="kb-results">')
    assert "<html" not in body


def test_article_page_shows_text_votes_and_history(client):
    manager = author()
    article = make_article(manager, body_html="<p>Open <em>valve</em></p>")
    client.force_login(manager)

    response = client.get(article.get_absolute_url())

    body = response.content.decode()
    assert "<p>Open <em>valve</em></p>" in body
    assert "Did this help?" in body
    assert "1 version" in body


def test_an_article_of_a_hidden_scope_is_404_and_someone_elses_is_403_to_edit(client):
    agent = user_with_role("service_agent")
    sales = user_with_role("sales_manager")
    article = make_article(author())

    client.force_login(sales)
    assert client.get(article.get_absolute_url()).status_code == 404
    assert client.get(reverse("kb:article_list")).status_code == 403
    client.force_login(agent)
    assert client.get(article.get_absolute_url()).status_code == 200
    assert client.get(reverse("kb:article_edit", args=[article.pk])).status_code == 403
    response = client.post(
        reverse("kb:article_edit", args=[article.pk]),
        {
            "title": "Hijacked",
            "body_html": "<p>x</p>",
            "language": "en",
            "visibility": "internal",
            "status": "draft",
            "version": article.version,
        },
    )
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.title == "Boiler does not start"


def test_create_and_edit_through_the_form(client):
    agent = user_with_role("service_agent")
    client.force_login(agent)
    form = client.get(reverse("kb:article_create"))
    assert "data-django-prose-editor-configurable" in form.content.decode()

    response = client.post(
        reverse("kb:article_create"),
        {
            "title": "Fan vibrates",
            "body_html": "<p>Balance the wheel.</p><script>x()</script>",
            "language": "en",
            "visibility": "public",
            "status": "published",
            "keywords": "fan",
        },
    )

    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == article.get_absolute_url()
    assert article.body_html == "<p>Balance the wheel.</p>"
    response = client.post(
        reverse("kb:article_edit", args=[article.pk]),
        {
            "title": "Fan vibrates",
            "body_html": "<p>Balance and tighten.</p>",
            "language": "en",
            "visibility": "public",
            "status": "published",
            "version": article.version,
            "note": "more",
        },
    )
    assert response.status_code == 302
    assert Article.objects.get().current_version == 2


def test_a_stale_form_shows_the_conflict_and_keeps_the_newer_text(client):
    manager = author()
    article = make_article(manager, body_html="<p>One</p>")
    services.article_update(actor=manager, article=article, version=1, body_html="<p>Two</p>")
    client.force_login(manager)

    response = client.post(
        reverse("kb:article_edit", args=[article.pk]),
        {
            "title": "T",
            "body_html": "<p>Three</p>",
            "language": "en",
            "visibility": "internal",
            "status": "draft",
            "version": 1,
        },
    )

    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    article.refresh_from_db()
    assert article.body_html == "<p>Two</p>"


def test_an_empty_form_names_the_fields(client):
    client.force_login(author())

    response = client.post(
        reverse("kb:article_create"),
        {
            "title": "Only a title",
            "body_html": "",
            "language": "en",
            "visibility": "internal",
            "status": "draft",
        },
    )

    assert response.status_code == 200
    assert "Write the article&#x27;s text." in response.content.decode()
    assert Article.objects.count() == 0


def test_versions_diff_and_restore_pages(client):
    manager = author()
    article = make_article(manager, title="Pump", body_html="<p>Close the valve.</p>")
    article = services.article_update(
        actor=manager, article=article, version=article.version, body_html="<p>Open the valve.</p>"
    )
    client.force_login(manager)

    versions = client.get(reverse("kb:article_versions", args=[article.pk])).content.decode()
    one = client.get(reverse("kb:article_version", args=[article.pk, 1])).content.decode()
    diff = client.get(
        reverse("kb:article_diff", args=[article.pk]), {"a": 1, "b": 2}
    ).content.decode()
    missing = client.get(reverse("kb:article_version", args=[article.pk, 7]))
    restored = client.post(
        reverse("kb:article_restore", args=[article.pk, 1]), {"version": article.version}
    )

    assert "Restore this version" in versions
    assert "<p>Close the valve.</p>" in one
    assert "<del>Close</del><ins>Open</ins> the valve." in diff
    assert missing.status_code == 404
    assert restored.status_code == 302
    article.refresh_from_db()
    assert (article.body_html, article.current_version) == ("<p>Close the valve.</p>", 3)


def test_feedback_from_an_agent_once(client):
    agent = user_with_role("service_agent")
    article = make_article()
    client.force_login(agent)
    url = reverse("kb:article_feedback", args=[article.pk])

    first = client.post(url, {"is_helpful": "yes", "comment": "Spot on"}, HTTP_HX_REQUEST="true")
    second = client.post(url, {"is_helpful": "no"}, HTTP_HX_REQUEST="true")
    page = client.get(article.get_absolute_url()).content.decode()

    assert "Thank you for your feedback." in first.content.decode()
    assert "You have already rated this article." in second.content.decode()
    assert ArticleFeedback.objects.count() == 1
    assert "100 % of 1 reader found it helpful" in page
    assert "Spot on" in page


def test_public_pages_need_no_login_and_hide_internal_articles(client):
    public = make_article(
        title="Reset the boiler", visibility="public", body_html="<p>Hold reset.</p>"
    )
    internal = make_article(title="Boiler service codes", visibility="internal")
    draft = make_article(title="Boiler draft", visibility="public", status="draft")

    listing = client.get(reverse("kb:public_list")).content.decode()
    found = client.get(reverse("kb:public_list"), {"q": "boilers"}).content.decode()
    page = client.get(public.get_public_url())

    assert "Reset the boiler" in listing and "Boiler service codes" not in listing
    assert "Reset the boiler" in found and "Boiler draft" not in found
    assert page.status_code == 200
    assert (
        client.get(reverse("kb:public_detail", args=[internal.pk, internal.slug])).status_code
        == 404
    )
    assert client.get(reverse("kb:public_detail", args=[draft.pk, draft.slug])).status_code == 404
    wrong_slug = client.get(reverse("kb:public_detail", args=[public.pk, "old-title"]))
    assert (wrong_slug.status_code, wrong_slug["Location"]) == (301, public.get_public_url())


def test_public_feedback_once_per_session(client):
    public = make_article(visibility="public")
    internal = make_article(visibility="internal")

    client.post(reverse("kb:public_feedback", args=[public.pk]), {"is_helpful": "yes"})
    client.post(reverse("kb:public_feedback", args=[public.pk]), {"is_helpful": "no"})
    hidden = client.post(reverse("kb:public_feedback", args=[internal.pk]), {"is_helpful": "yes"})

    public.refresh_from_db()
    assert (public.helpful_count, public.unhelpful_count) == (1, 0)
    assert hidden.status_code == 404
    assert ArticleFeedback.objects.filter(article=internal).count() == 0


def test_public_list_costs_a_fixed_number_of_queries(client):
    for n in range(3):
        make_article(title=f"Boiler {n}", visibility="public")
    client.get(reverse("kb:public_list"))

    with assert_num_queries(2):
        client.get(reverse("kb:public_list"))
    with assert_num_queries(3):
        client.get(reverse("kb:public_list"), {"q": "boiler"})


def test_case_panel_suggests_published_articles_and_links_a_solution(client):
    team = Team.objects.create(name="Line 1")
    agent = user_with_role("service_agent", team=team)
    make_article(
        title="Boiler shows error F28", body_html="<p>No ignition: check the gas supply.</p>"
    )
    make_article(title="Boiler F28 draft", status="draft")
    make_article(title="Ventilation filter", body_html="<p>Replace the filter.</p>")
    case = make_case(
        subject="Our boiler stopped",
        description="It shows F28 since this morning, no ignition.",
        team=team,
        owner=agent,
    )
    client.force_login(agent)
    url = reverse("kb:case_panel", args=[case.pk])
    client.get(url)

    # session, user, grants, case, solutions, ranked ids, articles, notifications
    with assert_num_queries(8):
        panel = client.get(url).content.decode()

    assert "Boiler shows error F28" in panel
    assert "Boiler F28 draft" not in panel
    assert "Ventilation filter" not in panel
    article = Article.objects.get(title="Boiler shows error F28")
    linked = client.post(
        reverse("kb:case_link", args=[case.pk]), {"article": article.pk}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Unlink" in linked
    assert CaseSolution.objects.get().article == article
    client.post(reverse("kb:case_unlink", args=[case.pk, article.pk]), HTTP_HX_REQUEST="true")
    assert CaseSolution.objects.count() == 0


def test_case_panel_is_404_for_a_case_the_user_may_not_see(client):
    engineer = user_with_role("field_engineer")  # sees only the team's cases
    case = make_case(subject="Boiler", team=Team.objects.create(name="Other"))
    client.force_login(engineer)

    assert client.get(reverse("kb:case_panel", args=[case.pk])).status_code == 404
    response = client.post(reverse("kb:case_link", args=[case.pk]), {"article": make_article().pk})
    assert response.status_code == 404
    assert CaseSolution.objects.count() == 0


def test_category_pages_for_the_head_of_service_only(client):
    agent = user_with_role("service_agent")
    head = user_with_role("service_manager")
    client.force_login(agent)
    assert client.get(reverse("kb:category_list")).status_code == 403
    assert (
        client.post(reverse("kb:category_create"), {"name": "X", "position": 0}).status_code == 403
    )

    client.force_login(head)
    response = client.post(
        reverse("kb:category_create"),
        {"name": "Boilers", "name_ru": "Котлы", "position": 1, "is_active": "on"},
    )
    assert response.status_code == 302
    listing = client.get(reverse("kb:category_list")).content.decode()
    assert "Котлы" in listing


def test_the_head_of_service_hands_an_article_over(client):
    head = author()
    agent = user_with_role("service_agent")
    article = make_article(head)
    client.force_login(head)

    response = client.post(
        reverse("kb:article_edit", args=[article.pk]),
        {
            "title": article.title,
            "body_html": article.body_html,
            "language": "en",
            "visibility": "internal",
            "status": "published",
            "owner": agent.pk,
            "version": article.version,
        },
    )

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.owner == agent
    client.force_login(agent)
    assert (
        'name="owner"'
        not in client.get(reverse("kb:article_edit", args=[article.pk])).content.decode()
    )


def test_article_page_costs_the_same_queries_with_more_versions_and_votes(client):
    head = author()
    article = make_article(head)
    client.force_login(head)
    client.get(article.get_absolute_url())

    with assert_num_queries(10):
        client.get(article.get_absolute_url())
    for n in range(3):
        article = services.article_update(
            actor=head, article=article, version=article.version, body_html=f"<p>v{n}</p>"
        )
        services.feedback_submit(
            actor=user_with_role("service_agent"), article=article, is_helpful=True, comment="ok"
        )
    with assert_num_queries(10):
        client.get(article.get_absolute_url())


def test_the_case_panel_searches_other_words_and_links_what_it_finds(client):
    team = Team.objects.create(name="Line 1")
    agent = user_with_role("service_agent", team=team)
    make_article(title="Chimney draught", body_html="<p>Sweep the flue.</p>")
    make_article(title="Chimney draft version", status="draft")
    case = make_case(subject="Boiler stopped", team=team, owner=agent)
    client.force_login(agent)

    panel = client.get(reverse("kb:case_panel", args=[case.pk]), {"q": "chimneys"}).content.decode()

    assert "Articles found" in panel
    assert "Chimney draught" in panel
    assert "Chimney draft version" not in panel
    assert "Link as solution" in panel
