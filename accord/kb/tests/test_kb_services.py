"""Writes of the knowledge base: versions, sanitising, locking, permissions, votes, solutions."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, Team
from accord.core.testing import user_with_role
from accord.kb import services
from accord.kb.models import Article, ArticleFeedback, ArticleVersion, CaseSolution, KbCategory
from accord.kb.tests.factories import author, make_article, make_case, make_category

pytestmark = pytest.mark.django_db


def test_create_makes_version_one_and_an_audit_entry():
    agent = user_with_role("service_agent")

    article = make_article(agent, title="  Pump   noise ", keywords=" pump , , bearing ")

    assert article.title == "Pump noise"
    assert article.keywords == "pump, bearing"
    assert article.owner == agent
    assert article.slug == "pump-noise"
    assert make_article(agent, title="Котёл: ошибка E21").slug == "kotiol-oshibka-e21"
    assert article.current_version == 1
    assert list(article.versions.values_list("number", "title", "author")) == [
        (1, "Pump noise", agent.pk)
    ]
    entry = AuditEntry.objects.get(object_type="kb_article", object_id=article.pk)
    assert entry.action == "create"
    assert entry.changes["title"] == [None, "Pump noise"]


def test_script_and_event_handlers_are_stripped_from_the_body():
    article = make_article(
        body_html=(
            '<p onclick="steal()">Open the valve<script>alert(1)</script></p>'
            '<img src="x" onerror="alert(2)"><a href="javascript:alert(3)">link</a>'
        )
    )

    assert "script" not in article.body_html
    assert "alert" not in article.body_html
    assert "onclick" not in article.body_html
    assert "onerror" not in article.body_html
    assert "Open the valve" in article.body_html
    assert article.body_text.startswith("Open the valve")
    assert "script" not in article.versions.get().body_html


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "   "}, "title"),
        ({"body_html": "<p> </p><script>x</script>"}, "body_html"),
        ({"language": "xx"}, "language"),
        ({"visibility": "everyone"}, "visibility"),
        ({"status": "live"}, "status"),
        ({"category": 999999}, "category"),
        ({"category": "abc"}, "category"),
        ({"team": 999999}, "team"),
        ({"slug_hack": "x"}, "slug_hack"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(fields, field):
    manager = author()
    values = {"title": "Pump", "body_html": "<p>Text</p>", **fields}

    with pytest.raises(ValidationError) as error:
        services.article_create(actor=manager, **values)

    assert field in error.value.message_dict
    assert Article.objects.count() == 0
    assert ArticleVersion.objects.count() == 0


def test_an_inactive_category_cannot_be_chosen():
    manager = author()
    old = make_category("Old", is_active=False)

    with pytest.raises(ValidationError) as error:
        make_article(manager, category=old)

    assert error.value.message_dict == {"category": ["This category is no longer in use."]}


def test_text_changes_make_versions_other_changes_do_not():
    manager = author()
    article = make_article(manager, body_html="<p>One</p>")

    article = services.article_update(
        actor=manager, article=article, version=article.version, body_html="<p>Two</p>", note="typo"
    )
    article = services.article_update(
        actor=manager, article=article, version=article.version, status="archived"
    )

    assert article.current_version == 2
    assert article.version == 3
    assert list(article.versions.values_list("number", "body_html", "note")) == [
        (2, "<p>Two</p>", "typo"),
        (1, "<p>One</p>", ""),
    ]
    change = AuditEntry.objects.filter(object_id=article.pk, action="change").order_by("id")[0]
    assert change.changes == {"body_html": ["version 1", "version 2"]}


def test_restore_brings_back_an_old_text_as_a_new_version():
    manager = author()
    article = make_article(manager, title="First", body_html="<p>Old</p>")
    article = services.article_update(
        actor=manager,
        article=article,
        version=article.version,
        title="Second",
        body_html="<p>New</p>",
    )

    article = services.article_restore_version(
        actor=manager, article=article, number=1, version=article.version
    )

    assert (article.title, article.body_html, article.current_version) == ("First", "<p>Old</p>", 3)
    assert article.versions.get(number=3).note == "Restored from version 1"


def test_restore_refuses_missing_and_current_versions():
    manager = author()
    article = make_article(manager)

    with pytest.raises(ValidationError) as missing:
        services.article_restore_version(actor=manager, article=article, number=9, version=1)
    with pytest.raises(ValidationError) as current:
        services.article_restore_version(actor=manager, article=article, number=1, version=1)

    assert missing.value.message_dict == {"number": ["This version does not exist."]}
    assert current.value.message_dict == {"number": ["This is already the current version."]}


def test_a_stale_edit_is_refused_and_writes_nothing():
    manager = author()
    article = make_article(manager, body_html="<p>One</p>")
    services.article_update(actor=manager, article=article, version=1, title="Changed")

    with pytest.raises(ConflictError):
        services.article_update(actor=manager, article=article, version=1, body_html="<p>Lost</p>")

    article.refresh_from_db()
    assert (article.title, article.body_html, article.version) == ("Changed", "<p>One</p>", 2)
    assert article.versions.count() == 2


def test_an_agent_edits_own_articles_only_and_a_field_engineer_writes_none():
    team = Team.objects.create(name="Line 1")
    agent = user_with_role("service_agent", team=team)
    colleague = user_with_role("service_agent", team=team)
    engineer = user_with_role("field_engineer")
    article = make_article(colleague, body_html="<p>Theirs</p>")

    with pytest.raises(PermissionDenied):
        services.article_update(actor=agent, article=article, version=1, body_html="<p>Mine</p>")
    with pytest.raises(PermissionDenied):
        make_article(engineer)

    article.refresh_from_db()
    assert article.body_html == "<p>Theirs</p>"
    assert Article.objects.count() == 1


def test_an_agent_cannot_give_an_article_away():
    agent = user_with_role("service_agent")
    other = user_with_role("service_agent")
    article = make_article(agent)

    with pytest.raises(ValidationError) as error:
        services.article_update(actor=agent, article=article, version=1, owner=other.pk)

    assert "owner" in error.value.message_dict
    article.refresh_from_db()
    assert article.owner == agent


def test_feedback_once_per_user_counts_and_ratio():
    manager = author()
    agent = user_with_role("service_agent")
    article = make_article(manager)

    services.feedback_submit(actor=agent, article=article, is_helpful=True, comment="Worked")
    services.feedback_submit(actor=manager, article=article, is_helpful=False)
    with pytest.raises(ValidationError) as again:
        services.feedback_submit(actor=agent, article=article, is_helpful=False)

    article.refresh_from_db()
    assert again.value.message_dict == {"is_helpful": ["You have already rated this article."]}
    assert (article.helpful_count, article.unhelpful_count, article.helpful_percent) == (1, 1, 50)
    assert ArticleFeedback.objects.count() == 2


def test_anonymous_feedback_once_per_session_and_only_on_public_articles():
    from django.contrib.auth.models import AnonymousUser

    public = make_article(visibility="public")
    internal = make_article(visibility="internal")
    visitor = AnonymousUser()

    services.feedback_submit(actor=visitor, article=public, is_helpful=True, session_key="s1")
    services.feedback_submit(actor=visitor, article=public, is_helpful=False, session_key="s2")
    with pytest.raises(ValidationError):
        services.feedback_submit(actor=visitor, article=public, is_helpful=True, session_key="s1")
    with pytest.raises(PermissionDenied):
        services.feedback_submit(actor=visitor, article=internal, is_helpful=True, session_key="s1")

    public.refresh_from_db()
    assert (public.helpful_count, public.unhelpful_count) == (1, 1)
    assert ArticleFeedback.objects.filter(article=internal).count() == 0


def test_feedback_comment_too_long_is_refused():
    article = make_article()
    agent = user_with_role("service_agent")

    with pytest.raises(ValidationError) as error:
        services.feedback_submit(actor=agent, article=article, is_helpful=True, comment="x" * 2001)

    assert list(error.value.message_dict) == ["comment"]
    assert ArticleFeedback.objects.count() == 0


def test_link_and_unlink_a_solution():
    team = Team.objects.create(name="Line 1")
    agent = user_with_role("service_agent", team=team)
    article = make_article()
    case = make_case(subject="Boiler does not start", team=team, owner=agent)

    solution = services.solution_link(actor=agent, case=case, article=article)
    article.refresh_from_db()
    assert (solution.version_number, solution.linked_by, article.solved_count) == (1, agent, 1)
    with pytest.raises(ValidationError):
        services.solution_link(actor=agent, case=case, article=article)

    services.solution_unlink(actor=agent, case=case, article=article)
    article.refresh_from_db()
    assert article.solved_count == 0
    assert CaseSolution.objects.count() == 0
    entries = AuditEntry.objects.filter(object_type="case", object_id=case.pk).order_by("id")
    assert [e.changes["solution"] for e in entries] == [
        [None, "Boiler does not start (v1)"],
        ["Boiler does not start", None],
    ]
    assert {e.related_id for e in entries} == {article.pk}


def test_linking_needs_the_right_to_work_the_case_and_a_published_article():
    team = Team.objects.create(name="Line 1")
    outsider = user_with_role("service_agent")  # not in the case's team
    agent = user_with_role("service_agent", team=team)
    case = make_case(subject="Boiler", team=team)
    draft = make_article(status="draft")

    with pytest.raises(PermissionDenied):
        services.solution_link(actor=outsider, case=case, article=make_article())
    with pytest.raises(ValidationError) as error:
        services.solution_link(actor=agent, case=case, article=draft)

    assert error.value.message_dict == {"article": ["Only a published article can be a solution."]}
    assert CaseSolution.objects.count() == 0
    assert Article.objects.filter(solved_count__gt=0).count() == 0


def test_categories_are_for_administrators_and_the_head_of_service():
    agent = user_with_role("service_agent")
    head = user_with_role("service_manager")

    with pytest.raises(PermissionDenied):
        services.category_create(actor=agent, name="Boilers")
    category = services.category_create(actor=head, name=" Boilers ", name_ru="Котлы")
    with pytest.raises(ValidationError) as duplicate:
        services.category_create(actor=head, name="boilers")
    category = services.category_update(
        actor=head, category=category, version=category.version, name_fr="Chaudières"
    )
    with pytest.raises(ConflictError):
        services.category_update(actor=head, category=category, version=1, name_de="Kessel")

    assert duplicate.value.message_dict == {"name": ["A category with this name already exists."]}
    assert list(
        KbCategory.objects.values_list("name", "name_ru", "name_fr", "name_de", "version")
    ) == [("Boilers", "Котлы", "Chaudières", "", 2)]


def test_demo_seeds_four_languages_with_versions_once():
    from accord.kb import demo

    author()
    user_with_role("service_agent")

    counts = demo.seed_demo()
    again = demo.seed_demo()

    assert counts["articles"] == len(demo.ARTICLES) == 30
    assert counts["categories"] == 5
    assert again == {}
    assert set(Article.objects.values_list("language", flat=True)) == {"ru", "fr", "en", "de"}
    assert Article.objects.get(title__startswith="Air handling unit").current_version == 3
    assert Article.objects.filter(visibility="public", status="published").count() == 13


def test_a_signed_in_user_without_knowledge_base_rights_votes_only_on_public_articles():
    sales = user_with_role("sales_manager")
    public = make_article(visibility="public")
    internal = make_article(visibility="internal")

    services.feedback_submit(actor=sales, article=public, is_helpful=True)
    with pytest.raises(PermissionDenied):
        services.feedback_submit(actor=sales, article=internal, is_helpful=True)

    assert list(ArticleFeedback.objects.values_list("article", "user")) == [(public.pk, sales.pk)]
