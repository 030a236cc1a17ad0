"""Stemmed search in four languages, on whichever database the suite runs (SQLite FTS5 or
PostgreSQL tsvector): the same selectors, each backend's SQL."""

import pytest
from django.db import connection

from accord.core.models import Role, RoleGrant
from accord.core.permissions import Scope
from accord.core.testing import UserFactory, user_with_role
from accord.kb import search, selectors
from accord.kb.models import Article
from accord.kb.tests.factories import author, make_article, make_category

pytestmark = pytest.mark.django_db


def titles(page):
    return [article.title for article, _snippet in page.results]


@pytest.mark.parametrize(
    ("language", "title", "body", "query"),
    [
        (
            "ru",
            "Заявка на ремонт котла",
            "<p>Котёл не запускается после отключения света.</p>",
            "заявки",
        ),
        (
            "ru",
            "Замена фильтра",
            "<p>Фильтры вентиляционных установок меняют раз в квартал.</p>",
            "фильтров",
        ),
        ("fr", "Chaudière en panne", "<p>La chaudière affiche le code F28.</p>", "chaudières"),
        ("de", "Heizung fällt aus", "<p>Die Heizung zeigt Störung F28.</p>", "Heizungen"),
        ("en", "Installation of the air handling unit", "<p>Steps for the unit.</p>", "installing"),
    ],
)
def test_a_word_form_finds_the_other_forms_of_the_same_word(language, title, body, query):
    manager = author()
    make_article(manager, title=title, body_html=body, language=language)
    make_article(manager, title="Unrelated", body_html="<p>Nothing about it here.</p>")

    page = selectors.search_articles(manager, query)

    assert titles(page) == [title]
    assert page.total == 1


def test_snowball_keeps_unaccented_french_apart_and_says_so():
    """What Snowball really does: "chaudiere" typed without the accent stems differently."""
    assert search.stem("chaudières", "fr") == search.stem("chaudière", "fr") == "chaudi"
    assert search.stem("chaudiere", "fr") == "chaudier"
    assert search.stem("installing", "en") == search.stem("installation", "en") == "instal"
    assert search.stem("Heizungen", "de") == "heizung"
    assert search.stem("заявки", "ru") == search.stem("заявка", "ru") == "заявк"


def test_search_is_by_word_not_by_substring():
    manager = author()
    make_article(manager, title="Заявка на ремонт котла", body_html="<p>Текст.</p>", language="ru")

    assert titles(selectors.search_articles(manager, "заяв")) == []
    assert titles(selectors.search_articles(manager, "ремонта")) == ["Заявка на ремонт котла"]


def test_every_word_of_the_query_must_match():
    manager = author()
    make_article(manager, title="Boiler pressure drops", body_html="<p>Refill the circuit.</p>")
    make_article(manager, title="Boiler noise", body_html="<p>Bleed the radiators.</p>")

    assert titles(selectors.search_articles(manager, "boiler pressure")) == [
        "Boiler pressure drops"
    ]
    assert sorted(titles(selectors.search_articles(manager, "boilers"))) == [
        "Boiler noise",
        "Boiler pressure drops",
    ]


def test_a_title_match_ranks_above_a_text_match():
    manager = author()
    make_article(
        manager,
        title="Radiator maintenance",
        body_html="<p>Check the valve of every radiator and the valve of the boiler.</p>",
    )
    make_article(manager, title="Valve replacement", body_html="<p>Turn off the water first.</p>")

    assert titles(selectors.search_articles(manager, "valves")) == [
        "Valve replacement",
        "Radiator maintenance",
    ]


def test_keywords_are_searched_like_the_title():
    manager = author()
    make_article(manager, title="Error F28", body_html="<p>No flame.</p>", keywords="ignition, gas")

    assert titles(selectors.search_articles(manager, "ignition")) == ["Error F28"]


def test_filters_category_visibility_language_and_status():
    manager = author()
    boilers = make_category("Boilers")
    make_article(manager, title="Boiler A", category=boilers, visibility="public")
    make_article(manager, title="Boiler B", language="de", body_html="<p>Boiler Kessel.</p>")
    make_article(manager, title="Boiler C", status=Article.Status.DRAFT)

    def found(**filters):
        return sorted(titles(selectors.search_articles(manager, "boiler", **filters)))

    assert found() == ["Boiler A", "Boiler B", "Boiler C"]
    assert found(category_id=boilers.pk) == ["Boiler A"]
    assert found(visibility="public") == ["Boiler A"]
    assert found(language="de") == ["Boiler B"]
    assert found(statuses=("draft",)) == ["Boiler C"]


def test_search_honours_the_record_rule():
    """A role that sees only its own articles finds only its own, and a role without the
    grant finds nothing."""
    role = Role.objects.create(code="kb_own", name="Own articles")
    RoleGrant.objects.create(role=role, object_type="kb_article", action="view", scope=Scope.OWN)
    writer = UserFactory(roles="kb_own")
    manager = author()
    make_article(manager, title="Boiler of the manager")
    mine = make_article(manager, title="Boiler of the writer", owner=writer)
    nobody = user_with_role("sales_manager")

    assert titles(selectors.search_articles(writer, "boiler")) == [mine.title]
    assert titles(selectors.search_articles(nobody, "boiler")) == []


def test_public_search_sees_only_published_public_articles():
    manager = author()
    make_article(manager, title="Boiler public", visibility="public")
    make_article(manager, title="Boiler internal", visibility="internal")
    make_article(manager, title="Boiler public draft", visibility="public", status="draft")

    assert titles(selectors.search_public("boiler")) == ["Boiler public"]


def test_the_index_follows_edits_and_deletes():
    from accord.kb import services

    manager = author()
    article = make_article(manager, title="Boiler", body_html="<p>Old words.</p>")
    services.article_update(
        actor=manager, article=article, version=article.version, body_html="<p>Chimney draught.</p>"
    )
    assert titles(selectors.search_articles(manager, "chimney")) == ["Boiler"]
    assert titles(selectors.search_articles(manager, "old")) == []

    article.refresh_from_db()
    services.article_delete(actor=manager, article=article, version=article.version)
    assert titles(selectors.search_articles(manager, "chimney")) == []


def test_snippet_highlights_matches_and_escapes_the_rest():
    text = "Attention <b>: the boilers' pressure & the boiler valve."
    html = search.snippet(text, search.parse_query("boiler").stems, "en")

    assert str(html) == (
        "Attention &lt;b&gt;: the <mark>boilers</mark>&#x27; pressure &amp; the "
        "<mark>boiler</mark> valve."
    )


def test_search_input_cannot_inject_query_syntax():
    manager = author()
    make_article(manager, title="Boiler", body_html="<p>Text.</p>")

    for text in ['boiler" OR "x', "boiler*", "NEAR(boiler)", "boiler' | 'x", "-boiler", "a:b"]:
        selectors.search_articles(manager, text)  # no database error

    assert titles(selectors.search_articles(manager, 'boiler"')) == ["Boiler"]


def test_query_strings_for_both_backends():
    query = search.parse_query("Заявки boilers")

    assert query.groups[0][:2] == ("заявк", "заявки")  # Russian stem, then the others
    assert query.groups[1] == ("boilers", "boiler", "boil")  # ru, fr/en, de
    ru, en = (" OR ".join(f'"{s}"' for s in group) for group in query.groups)
    assert query.fts5() == f"({ru}) AND ({en})"
    ru, en = (" | ".join(f"'{s}'" for s in group) for group in query.groups)
    assert query.tsquery() == f"({ru}) & ({en})"
    assert search.suggestion_query("Boiler", "the boiler and the pump", limit=5).groups == (
        tuple(search.query_stems("boiler")),
        tuple(search.query_stems("pump")),
    )


def test_the_backend_in_use_has_its_index():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'kb_article_fts'")
        else:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE indexname = 'kb_article_search_gin'"
            )
        assert cursor.fetchone() is not None


def _bulk(manager, specs):
    """Many articles at once, prepared like the services do (the index follows by itself)."""
    from accord.kb import services

    rows = []
    for title, body, status in specs:
        article = Article(title=title, body_html=body, status=status, owner=manager)
        services._refresh_derived(article)
        rows.append(article)
    Article.objects.bulk_create(rows)


def test_filtered_pages_are_exact_whether_or_not_the_best_matches_pass_the_filters():
    """The best-ranked matches are drafts (title matches); the published ones rank below the
    first hundred candidates, so the filtered search must look past them."""
    manager = author()
    _bulk(manager, [(f"Boiler {n}", "<p>Title match.</p>", "draft") for n in range(120)])
    _bulk(
        manager, [(f"Published {n}", "<p>A boiler in the text.</p>", "published") for n in range(5)]
    )

    published = selectors.search_articles(manager, "boiler", statuses=("published",))
    drafts_1 = selectors.search_articles(manager, "boiler", statuses=("draft",), page=1)
    drafts_6 = selectors.search_articles(manager, "boiler", statuses=("draft",), page=6)

    assert sorted(titles(published)) == [f"Published {n}" for n in range(5)]
    assert published.total == 5
    assert len(titles(drafts_1)) == 20
    assert all(t.startswith("Boiler ") for t in titles(drafts_1))
    assert len(titles(drafts_6)) == 20
    assert not set(titles(drafts_1)) & set(titles(drafts_6))
    everything = selectors.search_articles(manager, "boiler", page=7)
    assert sorted(titles(everything)) == [f"Published {n}" for n in range(5)]


def test_when_no_article_has_every_word_those_with_some_are_shown_and_marked():
    manager = author()
    make_article(manager, title="Boiler pressure drops", body_html="<p>Refill.</p>")
    make_article(manager, title="Chimney draught", body_html="<p>Sweep it.</p>")
    make_article(manager, title="Fan noise", body_html="<p>Balance it.</p>")

    strict = selectors.search_articles(manager, "boiler pressure")
    relaxed = selectors.search_articles(manager, "boiler chimney")
    public = selectors.search_public("boiler chimney")

    assert (titles(strict), strict.relaxed) == (["Boiler pressure drops"], False)
    assert sorted(titles(relaxed)) == ["Boiler pressure drops", "Chimney draught"]
    assert relaxed.relaxed is True
    assert titles(public) == []  # nothing public at all
