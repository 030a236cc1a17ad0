"""Stemmed full-text index of knowledge-base articles, on both databases (V6).

The services write the Snowball stems of an article into ``stems_title`` / ``stems_body``
(accord.kb.search); the database keeps its index in step with those two columns in the same
transaction, so no write path can leave the index stale:

- SQLite: the FTS5 external-content table ``kb_article_fts`` (ranked with bm25), updated by
  triggers on the stem columns, like the parties' search index (parties 0002).
- PostgreSQL: a generated ``search_vector`` tsvector column ('simple' configuration over the
  stems, title weighted A, text B) with a GIN index, ranked with ts_rank.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE kb_article_fts USING fts5(
        stems_title, stems_body, content='kb_article', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER kb_article_fts_ai AFTER INSERT ON kb_article BEGIN
        INSERT INTO kb_article_fts(rowid, stems_title, stems_body)
        VALUES (new.id, new.stems_title, new.stems_body); END""",
    """CREATE TRIGGER kb_article_fts_ad AFTER DELETE ON kb_article BEGIN
        INSERT INTO kb_article_fts(kb_article_fts, rowid, stems_title, stems_body)
        VALUES ('delete', old.id, old.stems_title, old.stems_body); END""",
    """CREATE TRIGGER kb_article_fts_au AFTER UPDATE OF stems_title, stems_body ON kb_article
        BEGIN
        INSERT INTO kb_article_fts(kb_article_fts, rowid, stems_title, stems_body)
        VALUES ('delete', old.id, old.stems_title, old.stems_body);
        INSERT INTO kb_article_fts(rowid, stems_title, stems_body)
        VALUES (new.id, new.stems_title, new.stems_body); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS kb_article_fts_ai",
    "DROP TRIGGER IF EXISTS kb_article_fts_ad",
    "DROP TRIGGER IF EXISTS kb_article_fts_au",
    "DROP TABLE IF EXISTS kb_article_fts",
]
POSTGRES_FORWARD = [
    """ALTER TABLE kb_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(stems_title, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, coalesce(stems_body, '')), 'B')
    ) STORED""",
    "CREATE INDEX kb_article_search_gin ON kb_article USING gin (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS kb_article_search_gin",
    "ALTER TABLE kb_article DROP COLUMN IF EXISTS search_vector",
]


def forward(apps, schema_editor):
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}.get(
        schema_editor.connection.vendor, []
    )
    for statement in statements:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}.get(
        schema_editor.connection.vendor, []
    )
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("kb", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
