"""The full-text index of the published answers (NĐ 20/2008/NĐ-CP Art 19; QĐ 31/2021/QĐ-TTg Art 46),
one per database, both over ``Feedback.search_text`` (the folded public words, ``text.search_document``).

- SQLite: an FTS5 table ``published_search`` without content of its own (``content=''``) whose rowid is
  ``Feedback.published_seq``, the gap-free publication number. FTS5 walks its matches by rowid, so
  ``ORDER BY rowid DESC LIMIT n`` gives the newest publications first and stops after ``n``, whether a
  word is in one case or in half of them. Triggers on ``feedback`` keep it in step with every write
  (the app's publish, a bulk fill, a deletion). Note for later migrations: a SQLite
  ``batch_alter_table`` on ``feedback`` recreates the table and drops its triggers; run ``SQLITE_CREATE``
  again after one.
- PostgreSQL: a narrow table ``published_search`` (``seq`` = published_seq, ``document`` = the
  stripped ``to_tsvector('simple', search_text)``) with a GIN index, filled by a trigger on ``feedback``
  and emptied by its foreign key. Rows arrive in the order of publication, so the newest publications
  share the table's last pages: services/published.py reads the newest few thousand first (a common
  word ends there, whatever the planner believes of word frequencies, which it underestimates for
  words that go together) and asks the GIN index only when the words are rare.

Neither table is in the models (each database has its own kind): migration 0009 creates them, the
listeners below do it for ``create_all`` (tests), and ``migrations/env.py`` leaves them out of
``flask db check``. The DDL here is the same as migration 0009's. ``CREATE OR REPLACE TRIGGER``
needs PostgreSQL 14 or later.
"""
from __future__ import annotations

from sqlalchemy import DDL, event

FTS_TABLE = "published_search"
DOCUMENT_INDEX = "ix_published_search_document"

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
    # one narrow row per published case, written in the order of publication: the newest are together
    # on the last pages, so reading the newest few thousand is cheap; the GIN index finds rare words
    f"""CREATE TABLE IF NOT EXISTS {FTS_TABLE} (
      seq integer PRIMARY KEY REFERENCES feedback (published_seq) ON DELETE CASCADE ON UPDATE CASCADE,
      document tsvector NOT NULL)""",
    f"CREATE INDEX IF NOT EXISTS {DOCUMENT_INDEX} ON {FTS_TABLE} USING gin (document)",
    f"""CREATE OR REPLACE FUNCTION feedback_published_search() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' THEN
        DELETE FROM {FTS_TABLE} WHERE seq IN (OLD.published_seq, NEW.published_seq);
      END IF;
      IF NEW.published_seq IS NOT NULL THEN
        INSERT INTO {FTS_TABLE} (seq, document)
          VALUES (NEW.published_seq, strip(to_tsvector('simple'::regconfig, coalesce(NEW.search_text, ''))));
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE OR REPLACE TRIGGER feedback_published_search AFTER INSERT OR UPDATE OF published_seq, search_text
      ON feedback FOR EACH ROW EXECUTE FUNCTION feedback_published_search()""",
]
POSTGRES_FILL = (f"INSERT INTO {FTS_TABLE} (seq, document) SELECT published_seq, "
                 "strip(to_tsvector('simple'::regconfig, coalesce(search_text, ''))) FROM feedback "
                 "WHERE published_seq IS NOT NULL ORDER BY published_seq")
POSTGRES_DROP = ["DROP TRIGGER IF EXISTS feedback_published_search ON feedback",
                 "DROP FUNCTION IF EXISTS feedback_published_search()", f"DROP TABLE IF EXISTS {FTS_TABLE}"]


def attach(table) -> None:
    """Create (and on SQLite drop) the index together with ``table`` in ``create_all``/``drop_all``."""
    for statement in SQLITE_CREATE:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    event.listen(table, "before_drop", DDL(f"DROP TABLE IF EXISTS {FTS_TABLE}"))
    for statement in POSTGRES_CREATE:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))
