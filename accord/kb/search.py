"""Stemmed full-text search of knowledge-base articles in Russian, French, English and German.

An article's words are reduced by the Snowball stemmer of its language ("заявки" and
"заявка" both become "заявк", "Heizungen" "heizung", "installing" and "installation"
"instal") and stored in ``stems_title`` / ``stems_body``; the database indexes those columns
(migration 0002). A query is stemmed in all four languages, because an agent types in
whatever language the client wrote in: each query word matches any of its stems, and all
query words must match (the case panel's suggestions match any word instead).

- SQLite: ``kb_article_fts MATCH '("stem" OR "stem") AND (…)'``, ranked by ``bm25`` with the
  title weighted ten times the text.
- PostgreSQL: ``search_vector @@ to_tsquery('simple', '(stem | stem) & (…)')``, ranked by
  ``ts_rank`` (title is weight A, text B).

Snippets are cut from the article's plain text around the first matching word, with every
word whose stem matches wrapped in ``<mark>`` and everything else escaped.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import snowballstemmer
from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

STEMMER_NAMES = {"ru": "russian", "fr": "french", "en": "english", "de": "german"}
LANGUAGES = tuple(STEMMER_NAMES)
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_WORDS = 12
MAX_RESULTS = 1000  # ranked candidates considered; pages read from them

# Words too common to say anything about a case (the panel's OR-query skips them; an
# AND-query keeps whatever the person typed).
_STOP_WORDS_TEXT = """
a an and are as at be been but by can could did do does for from had has have he her his how
i if in into is it its me my no not of on or our please she so that the their them then
there these they this to was we were what when where which who why will with would you your
hello thanks regards dear и в во не что он на я с со как а то все она так его но да ты к у
же вы за бы по только ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли
если уже или ни быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может
они тут где есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под
будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем
чтобы нее сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над
больше тот через эти нас про всего них какая много разве три эту моя впрочем хорошо свою
этой перед иногда лучше чуть том нельзя такой им более всегда конечно всю между здравствуйте
спасибо пожалуйста уважением добрый день le la les de des du un une et en est pour que qui
dans ce il elle ne pas au aux sur avec se sont par plus nous vous ils elles son sa ses leur
leurs mais ou donc ni car cette ces été être avoir fait bonjour merci cordialement madame
monsieur der die das und ist nicht ein eine einen einem einer zu den von mit sich des auf
für im dem es an auch als wie bei oder aus wir sie ich er hat haben wird werden sind war
nach bitte danke hallo grüßen freundlichen sehr geehrte damen herren
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


@functools.cache
def _stemmer(language: str) -> Any:
    return snowballstemmer.stemmer(STEMMER_NAMES[language])


def words(text: str) -> list[str]:
    """Lower-cased words (letters and digits) of a text, in order."""
    return [w.casefold() for w in _WORD.findall(unicodedata.normalize("NFC", text or ""))]


@functools.lru_cache(maxsize=200_000)
def _cached_stem(word: str, language: str) -> str:
    """Snowball in pure Python costs ~0.2 ms a word; a service desk's vocabulary is small, so
    snippets and queries reuse the stems of words seen before."""
    return str(_stemmer(language).stemWord(word))


def stem(word: str, language: str) -> str:
    return _cached_stem(word.casefold(), language)


def stem_text(text: str, language: str) -> str:
    """The text as the space-separated stems the index stores."""
    if language not in STEMMER_NAMES:
        language = "en"
    stemmer = _stemmer(language)
    return " ".join(stemmer.stemWords(words(text)))


def query_stems(word: str, languages: Sequence[str] = LANGUAGES) -> list[str]:
    """The stems one query word may have in the given languages (deduplicated, in order)."""
    folded = word.casefold()
    return list(dict.fromkeys(stem(folded, language) for language in languages))


@dataclass(frozen=True)
class ParsedQuery:
    """A query as groups of alternative stems: each group is one word of the query."""

    groups: tuple[tuple[str, ...], ...]
    match_all: bool = True

    def __bool__(self) -> bool:
        return bool(self.groups)

    @property
    def stems(self) -> frozenset[str]:
        return frozenset(s for group in self.groups for s in group)

    def fts5(self) -> str:
        """An FTS5 MATCH expression; stems are quoted (FTS5 syntax in input is inert)."""
        joiner = " AND " if self.match_all else " OR "
        return joiner.join(
            "(" + " OR ".join('"' + s.replace('"', '""') + '"' for s in group) + ")"
            for group in self.groups
        )

    def tsquery(self) -> str:
        """A to_tsquery('simple', …) expression; each stem a quoted lexeme."""
        joiner = " & " if self.match_all else " | "
        return joiner.join(
            "("
            + " | ".join("'" + s.replace("'", "''").replace("\\", "") + "'" for s in group)
            + ")"
            for group in self.groups
        )


def parse_query(
    text: str, *, languages: Sequence[str] = LANGUAGES, match_all: bool = True
) -> ParsedQuery:
    seen: set[str] = set()
    groups: list[tuple[str, ...]] = []
    for word in words(text):
        if word in seen:
            continue
        seen.add(word)
        groups.append(tuple(query_stems(word, languages)))
        if len(groups) >= MAX_QUERY_WORDS:
            break
    return ParsedQuery(tuple(groups), match_all)


def suggestion_query(
    subject: str, description: str, *, limit: int = MAX_QUERY_WORDS
) -> ParsedQuery:
    """The words that say what a case is about: the subject's, then the description's, without
    stop words, numbers and very short words; any of them may match (ranked by bm25/ts_rank,
    which already favours rare words)."""
    picked: list[str] = []
    for word in words(subject) + words(description[:2000]):
        if len(word) < 4 or word.isdigit() or word in STOP_WORDS or word in picked:
            continue
        picked.append(word)
        if len(picked) >= limit:
            break
    return ParsedQuery(tuple(tuple(query_stems(w)) for w in picked), match_all=False)


# --- the database side --------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Conditions on ``kb_article`` that search honours (all optional)."""

    statuses: tuple[str, ...] = ()
    visibility: str = ""
    language: str = ""
    category_id: int | None = None
    owner_ids: tuple[int, ...] | None = None  # record rule: owner in … (None = no rule)
    team_ids: tuple[int, ...] = ()  # … or team in … (with owner_ids)


def _conditions(filters: Filters) -> tuple[list[str], list[Any]]:
    sql: list[str] = []
    params: list[Any] = []
    if filters.statuses:
        sql.append(f"a.status IN ({', '.join(['%s'] * len(filters.statuses))})")
        params += list(filters.statuses)
    if filters.visibility:
        sql.append("a.visibility = %s")
        params.append(filters.visibility)
    if filters.language:
        sql.append("a.language = %s")
        params.append(filters.language)
    if filters.category_id is not None:
        sql.append("a.category_id = %s")
        params.append(filters.category_id)
    if filters.owner_ids is not None:
        rule = []
        if filters.owner_ids:
            rule.append(f"a.owner_id IN ({', '.join(['%s'] * len(filters.owner_ids))})")
            params += list(filters.owner_ids)
        if filters.team_ids:
            rule.append(f"a.team_id IN ({', '.join(['%s'] * len(filters.team_ids))})")
            params += list(filters.team_ids)
        sql.append("(" + " OR ".join(rule) + ")" if rule else "1 = 0")
    return sql, params


def _base_sql(query: ParsedQuery, filters: Filters) -> tuple[str, str, list[Any]]:
    """FROM … WHERE … of a search, and the rank expression (lower is better)."""
    conditions, params = _conditions(filters)
    if connection.vendor == "sqlite":
        # The full-text match drives the join (CROSS JOIN keeps SQLite from starting at the
        # article table and probing the index once per article); without conditions on the
        # articles, the index alone answers.
        sql = "FROM kb_article_fts "
        if conditions:
            sql += "CROSS JOIN kb_article a ON a.id = kb_article_fts.rowid "
        sql += "WHERE " + " AND ".join(["kb_article_fts MATCH %s", *conditions])
        return sql, "bm25(kb_article_fts, 10.0, 1.0)", [query.fts5(), *params]
    where = ["a.search_vector @@ to_tsquery('simple', %s)", *conditions]
    sql = "FROM kb_article a WHERE " + " AND ".join(where)
    rank = "-ts_rank(a.search_vector, to_tsquery('simple', %s))"
    return sql, rank, [query.tsquery(), query.tsquery(), *params]


def _sqlite_filtered(
    query: ParsedQuery, conditions: list[str], params: list[Any], limit: int, offset: int
) -> tuple[str, list[Any]]:
    """A filtered page in one statement, usually without joining every match.

    Ranking every match is cheap in the index; joining each to its article to check the
    filters is not (20,000 matches: ~40 ms). So the best ``candidates`` matches are ranked
    first and only they are checked. When enough of them pass, they are exactly the page
    (anything ranked higher that passed would be among them); otherwise, or when the
    candidates were all the matches anyway, the full join answers. Ties are broken by id in
    both, so the order is the same either way."""
    needed = offset + limit
    candidates = max(needed * 4, 100)
    rank = "bm25(kb_article_fts, 10.0, 1.0)"
    where = " AND ".join(conditions)
    statement = (
        "WITH top AS MATERIALIZED ("  # noqa: S608  (conditions are built here, values bound)
        f"SELECT rowid AS id, {rank} AS r FROM kb_article_fts "
        "WHERE kb_article_fts MATCH %s ORDER BY r, rowid LIMIT %s), "
        "hits AS MATERIALIZED (SELECT top.id, top.r FROM top "
        f"CROSS JOIN kb_article a ON a.id = top.id WHERE {where}), "
        "enough AS MATERIALIZED (SELECT ((SELECT COUNT(*) FROM hits) >= %s "
        "OR (SELECT COUNT(*) FROM top) < %s) AS ok) "
        "SELECT id, r FROM hits WHERE (SELECT ok FROM enough) "
        "UNION ALL "
        f"SELECT kb_article_fts.rowid, {rank} FROM kb_article_fts "
        "CROSS JOIN kb_article a ON a.id = kb_article_fts.rowid "
        f"WHERE kb_article_fts MATCH %s AND {where} AND NOT (SELECT ok FROM enough) "
        "ORDER BY 2, 1 LIMIT %s OFFSET %s"
    )
    match = query.fts5()
    values = [match, candidates, *params, needed, candidates, match, *params, limit, offset]
    return statement, values


def search_ids(
    query: ParsedQuery, filters: Filters, *, limit: int, offset: int = 0
) -> list[tuple[int, float]]:
    """(article id, rank) of one page of matches, best first; one query."""
    if not query:
        return []
    sql, rank, params = _base_sql(query, filters)
    conditions, condition_params = _conditions(filters)
    if connection.vendor == "sqlite" and conditions:
        statement, values = _sqlite_filtered(query, conditions, condition_params, limit, offset)
    elif connection.vendor == "sqlite":
        statement = (
            f"SELECT kb_article_fts.rowid, {rank} AS r {sql} "
            "ORDER BY r, kb_article_fts.rowid LIMIT %s OFFSET %s"
        )
        values = [*params, limit, offset]
    else:
        # The rank's tsquery parameter comes first in the SELECT list.
        statement = f"SELECT a.id, {rank} AS r {sql} ORDER BY r, a.id LIMIT %s OFFSET %s"
        values = [params[1], params[0], *params[2:], limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(statement, values)
        return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]


def search_count(query: ParsedQuery, filters: Filters, *, cap: int = MAX_RESULTS) -> int:
    """How many articles match (counted up to ``cap``: a page count, not a statistic)."""
    if not query:
        return 0
    sql, _rank, params = _base_sql(query, filters)
    if connection.vendor != "sqlite":
        params = [params[0], *params[2:]]
    statement = f"SELECT COUNT(*) FROM (SELECT 1 {sql} LIMIT %s) AS matches"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, cap])
        return int(cursor.fetchone()[0])


# --- snippets -----------------------------------------------------------------------------

_TOKEN = re.compile(r"(\w+)", re.UNICODE)
SNIPPET_SCAN_CHARS = 20_000  # a match further into a long article shows its beginning


def _separator(text: str) -> str:
    """What stands between two words of a snippet: a line break (a new paragraph or list
    item in the article) becomes a middle dot."""
    if "\n" in text and not text.strip():
        return " · "
    return escape(re.sub(r"\s+", " ", text))


def snippet(text: str, stems: Iterable[str], language: str, *, size: int = 28) -> SafeString:
    """About ``size`` words of ``text`` around the first match, matches in ``<mark>``."""
    wanted = frozenset(stems)
    if language not in STEMMER_NAMES:
        language = "en"
    parts = _TOKEN.split((text or "")[:SNIPPET_SCAN_CHARS])
    # parts alternate: separator, word, separator, word, … separator
    word_positions = list(range(1, len(parts), 2))
    matches = [stem(parts[p], language) in wanted for p in word_positions]
    first = matches.index(True) if True in matches else 0
    start = max(0, first - size // 3)
    end = min(len(word_positions), start + size)
    if not word_positions:
        return mark_safe("")
    out: list[str] = ["… " if start > 0 else escape(parts[0].lstrip())]
    for index in range(start, end):
        position = word_positions[index]
        word = parts[position]
        if matches[index]:
            out.append("<mark>" + escape(word) + "</mark>")
        else:
            out.append(escape(word))
        if index < end - 1:
            out.append(_separator(parts[position + 1]))
    if end < len(word_positions):
        out.append(" …")
    else:
        out.append(escape(parts[-1].rstrip()))
    return mark_safe("".join(out))
