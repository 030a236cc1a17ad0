"""Substring search that stays fast at a million rows, on both databases (D2).

PostgreSQL: pg_trgm GIN indexes on ``search_text`` serve ``LIKE '%…%'``.
SQLite: FTS5 external-content tables with the trigram tokenizer, kept in step by triggers.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE parties_company_fts USING fts5(
        search_text, content='parties_company', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER parties_company_fts_ai AFTER INSERT ON parties_company BEGIN
        INSERT INTO parties_company_fts(rowid, search_text) VALUES (new.id, new.search_text); END""",
    """CREATE TRIGGER parties_company_fts_ad AFTER DELETE ON parties_company BEGIN
        INSERT INTO parties_company_fts(parties_company_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text); END""",
    """CREATE TRIGGER parties_company_fts_au AFTER UPDATE OF search_text ON parties_company BEGIN
        INSERT INTO parties_company_fts(parties_company_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO parties_company_fts(rowid, search_text) VALUES (new.id, new.search_text); END""",
    """CREATE VIRTUAL TABLE parties_contact_fts USING fts5(
        search_text, content='parties_contact', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER parties_contact_fts_ai AFTER INSERT ON parties_contact BEGIN
        INSERT INTO parties_contact_fts(rowid, search_text) VALUES (new.id, new.search_text); END""",
    """CREATE TRIGGER parties_contact_fts_ad AFTER DELETE ON parties_contact BEGIN
        INSERT INTO parties_contact_fts(parties_contact_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text); END""",
    """CREATE TRIGGER parties_contact_fts_au AFTER UPDATE OF search_text ON parties_contact BEGIN
        INSERT INTO parties_contact_fts(parties_contact_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO parties_contact_fts(rowid, search_text) VALUES (new.id, new.search_text); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS parties_company_fts_ai", "DROP TRIGGER IF EXISTS parties_company_fts_ad",
    "DROP TRIGGER IF EXISTS parties_company_fts_au", "DROP TABLE IF EXISTS parties_company_fts",
    "DROP TRIGGER IF EXISTS parties_contact_fts_ai", "DROP TRIGGER IF EXISTS parties_contact_fts_ad",
    "DROP TRIGGER IF EXISTS parties_contact_fts_au", "DROP TABLE IF EXISTS parties_contact_fts",
]
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX parties_company_search_trgm ON parties_company USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX parties_contact_search_trgm ON parties_contact USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX parties_company_custom_gin ON parties_company USING gin (custom jsonb_path_ops)",
    "CREATE INDEX parties_contact_custom_gin ON parties_contact USING gin (custom jsonb_path_ops)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS parties_company_search_trgm", "DROP INDEX IF EXISTS parties_contact_search_trgm",
    "DROP INDEX IF EXISTS parties_company_custom_gin", "DROP INDEX IF EXISTS parties_contact_custom_gin",
]


def forward(apps, schema_editor):
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("parties", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
