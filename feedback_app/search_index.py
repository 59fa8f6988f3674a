"""The full-text index of the published answers (NĐ 20/2008/NĐ-CP Art 19; QĐ 31/2021/QĐ-TTg Art 46),
one per database, both over ``Feedback.search_text`` (the folded public words, ``text.search_document``).

- SQLite: an FTS5 table ``published_search`` without content of its own (``content=''``) whose rowid is
  ``Feedback.published_seq``, the gap-free publication number. FTS5 walks its matches by rowid, so
  ``ORDER BY rowid DESC LIMIT n`` gives the newest publications first and stops after ``n``, whether a
  word is in one case or in half of them. Triggers on ``feedback`` keep it in step with every write
  (the app's publish, a bulk fill, a deletion). Note for later migrations: a SQLite
  ``batch_alter_table`` on ``feedback`` recreates the table and drops its triggers; run ``SQLITE_CREATE``
  again after one.
- PostgreSQL: a generated column ``feedback.search_vector`` (``to_tsvector('simple', search_text)``,
  stored) and a partial GIN index on it for the published cases. The column's statistics tell the
  planner how common each word is: common words walk ``ix_feedback_published_seq`` newest first and
  stop early, rare ones read the GIN index.

Neither object is in the models (each exists on one database only): migration 0009 creates them, the
listeners below do it for ``create_all`` (tests), and ``migrations/env.py`` leaves them out of
``flask db check``. The DDL here is the same as migration 0009's.
"""
from __future__ import annotations

from sqlalchemy import DDL, event

FTS_TABLE = "published_search"
VECTOR_COLUMN = "search_vector"
VECTOR_INDEX = "ix_feedback_search_vector"

SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(search_text, content='', columnsize=0, "
    "tokenize='unicode61 remove_diacritics 0')",
    # a contentless FTS5 table forgets a row by being told its old text ('delete' command)
    f"""CREATE TRIGGER IF NOT EXISTS feedback_search_insert AFTER INSERT ON feedback
    WHEN new.published_seq IS NOT NULL BEGIN
      INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.published_seq, coalesce(new.search_text, ''));
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS feedback_search_update AFTER UPDATE OF published_seq, search_text ON feedback
    BEGIN
      INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text)
        SELECT 'delete', old.published_seq, coalesce(old.search_text, '') WHERE old.published_seq IS NOT NULL;
      INSERT INTO {FTS_TABLE}(rowid, search_text)
        SELECT new.published_seq, coalesce(new.search_text, '') WHERE new.published_seq IS NOT NULL;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS feedback_search_delete AFTER DELETE ON feedback
    WHEN old.published_seq IS NOT NULL BEGIN
      INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text)
        VALUES ('delete', old.published_seq, coalesce(old.search_text, ''));
    END""",
]
SQLITE_FILL = (f"INSERT INTO {FTS_TABLE}(rowid, search_text) "
               "SELECT published_seq, coalesce(search_text, '') FROM feedback WHERE published_seq IS NOT NULL")
SQLITE_DROP = ["DROP TRIGGER IF EXISTS feedback_search_insert", "DROP TRIGGER IF EXISTS feedback_search_update",
               "DROP TRIGGER IF EXISTS feedback_search_delete", f"DROP TABLE IF EXISTS {FTS_TABLE}"]

POSTGRES_CREATE = [
    f"ALTER TABLE feedback ADD COLUMN IF NOT EXISTS {VECTOR_COLUMN} tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, coalesce(search_text, ''))) STORED",
    f"CREATE INDEX IF NOT EXISTS {VECTOR_INDEX} ON feedback USING gin ({VECTOR_COLUMN}) WHERE state = 'published'",
]
POSTGRES_DROP = [f"DROP INDEX IF EXISTS {VECTOR_INDEX}", f"ALTER TABLE feedback DROP COLUMN IF EXISTS {VECTOR_COLUMN}"]


def attach(table) -> None:
    """Create (and on SQLite drop) the index together with ``table`` in ``create_all``/``drop_all``."""
    for statement in SQLITE_CREATE:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    event.listen(table, "before_drop", DDL(f"DROP TABLE IF EXISTS {FTS_TABLE}").execute_if(dialect="sqlite"))
    for statement in POSTGRES_CREATE:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))
