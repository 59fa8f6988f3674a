"""public search by whole words through a full-text index, newest publication first

- ``feedback.published_seq``: the gap-free publication number (counter "published"), unique; the
  public list's order and the rowid of the SQLite index. Existing published cases are numbered in
  the order they were published (published_at, id).
- ``feedback.search_text`` now holds the folded public words separated by single spaces
  (``feedback_app.text.search_document``); the published cases' text is recomputed.
- SQLite: the FTS5 table ``published_search`` (no content of its own, rowid = published_seq) and the
  triggers that keep it in step with ``feedback``, filled from the published cases.
- PostgreSQL: the table ``published_search`` (seq = published_seq, document = the stripped
  ``to_tsvector('simple', search_text)``), its GIN index ``ix_published_search_document``, the trigger
  that fills it, filled from the published cases in the order of publication; 0006's trigram index is
  no longer used and is dropped (downgrade restores it).

The DDL is written out here as it stands in feedback_app/search_index.py at this revision (a
migration keeps the schema of its time). Measured at a million cases (520,000 published): on SQLite
upgrade 147 s, downgrade 103 s. On PostgreSQL the downgrade took 236 s, but the upgrade was stopped
after its fill of ``published_search`` had run for 12 minutes inside the migration's transaction
(the same statement takes well under a minute in bench/generate.py): a large PostgreSQL database
needs this step looked at before it is upgraded.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS published_search USING fts5(search_text, content='', columnsize=0, "
    "tokenize='unicode61 remove_diacritics 0')",
    """CREATE TRIGGER IF NOT EXISTS feedback_search_insert AFTER INSERT ON feedback
    WHEN new.published_seq IS NOT NULL BEGIN
      INSERT INTO published_search(rowid, search_text) VALUES (new.published_seq, coalesce(new.search_text, ''));
    END""",
    """CREATE TRIGGER IF NOT EXISTS feedback_search_update AFTER UPDATE OF published_seq, search_text ON feedback
    BEGIN
      INSERT INTO published_search(published_search, rowid, search_text)
        SELECT 'delete', old.published_seq, coalesce(old.search_text, '') WHERE old.published_seq IS NOT NULL;
      INSERT INTO published_search(rowid, search_text)
        SELECT new.published_seq, coalesce(new.search_text, '') WHERE new.published_seq IS NOT NULL;
    END""",
    """CREATE TRIGGER IF NOT EXISTS feedback_search_delete AFTER DELETE ON feedback
    WHEN old.published_seq IS NOT NULL BEGIN
      INSERT INTO published_search(published_search, rowid, search_text)
        VALUES ('delete', old.published_seq, coalesce(old.search_text, ''));
    END""",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS feedback_search_insert", "DROP TRIGGER IF EXISTS feedback_search_update",
               "DROP TRIGGER IF EXISTS feedback_search_delete", "DROP TABLE IF EXISTS published_search"]
POSTGRES_CREATE = [
    """CREATE TABLE IF NOT EXISTS published_search (
      seq integer PRIMARY KEY REFERENCES feedback (published_seq) ON DELETE CASCADE ON UPDATE CASCADE,
      document tsvector NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ix_published_search_document ON published_search USING gin (document)",
    """CREATE OR REPLACE FUNCTION feedback_published_search() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' THEN
        DELETE FROM published_search WHERE seq IN (OLD.published_seq, NEW.published_seq);
      END IF;
      IF NEW.published_seq IS NOT NULL THEN
        INSERT INTO published_search (seq, document)
          VALUES (NEW.published_seq, strip(to_tsvector('simple'::regconfig, coalesce(NEW.search_text, ''))));
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE OR REPLACE TRIGGER feedback_published_search AFTER INSERT OR UPDATE OF published_seq, search_text
      ON feedback FOR EACH ROW EXECUTE FUNCTION feedback_published_search()""",
]
POSTGRES_DROP = ["DROP TRIGGER IF EXISTS feedback_published_search ON feedback",
                 "DROP FUNCTION IF EXISTS feedback_published_search()", "DROP TABLE IF EXISTS published_search"]
BATCH = 5000


def _refold(as_words: bool) -> None:
    """Recompute ``search_text`` of the published cases: as words (upgrade) or as 0006's folded text."""
    from feedback_app.text import fold, search_document

    bind = op.get_bind()
    feedback = sa.table("feedback", sa.column("id", sa.Integer), sa.column("code", sa.String),
                        sa.column("state", sa.String), sa.column("public_title", sa.String),
                        sa.column("public_question", sa.Text), sa.column("public_answer", sa.Text),
                        sa.column("search_text", sa.Text))
    last = 0
    while True:
        rows = bind.execute(sa.select(feedback.c.id, feedback.c.code, feedback.c.public_title,
                                      feedback.c.public_question, feedback.c.public_answer)
                            .where(feedback.c.state == "published", feedback.c.id > last)
                            .order_by(feedback.c.id).limit(BATCH)).all()
        if not rows:
            return
        bind.execute(feedback.update().where(feedback.c.id == sa.bindparam("row_id"))
                     .values(search_text=sa.bindparam("text")),
                     [{"row_id": r.id, "text": search_document(r.code, r.public_title, r.public_question,
                                                              r.public_answer) if as_words else
                       fold(" ".join(t or "" for t in (r.code, r.public_title, r.public_question, r.public_answer)))}
                      for r in rows])
        last = rows[-1].id


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # first: every row rewritten below would otherwise also rewrite its trigram index entries
        op.execute("DROP INDEX IF EXISTS ix_feedback_search_trgm")
    op.add_column("feedback", sa.Column("published_seq", sa.Integer(), nullable=True))
    op.execute("UPDATE feedback SET published_seq = numbered.n FROM "
               "(SELECT id, row_number() OVER (ORDER BY published_at, id) AS n FROM feedback "
               " WHERE state = 'published') AS numbered WHERE feedback.id = numbered.id")
    op.execute("INSERT INTO counters (name, value) SELECT 'published', max(published_seq) FROM feedback "
               "WHERE published_seq IS NOT NULL HAVING count(*) > 0")
    op.create_index("ix_feedback_published_seq", "feedback", ["published_seq"], unique=True)
    _refold(as_words=True)
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_CREATE:
            op.execute(statement)
        op.execute("INSERT INTO published_search(rowid, search_text) "
                   "SELECT published_seq, coalesce(search_text, '') FROM feedback WHERE published_seq IS NOT NULL")
    elif bind.dialect.name == "postgresql":
        table, index, *trigger = POSTGRES_CREATE
        # the foreign key is checked once over the filled table: checked row by row while filling, with the
        # planner's statistics of feedback still from before this migration, it took minutes per 100,000 rows
        op.execute(table.replace(" REFERENCES feedback (published_seq) ON DELETE CASCADE ON UPDATE CASCADE", ""))
        op.execute("INSERT INTO published_search (seq, document) SELECT published_seq, "
                   "strip(to_tsvector('simple'::regconfig, coalesce(search_text, ''))) FROM feedback "
                   "WHERE published_seq IS NOT NULL ORDER BY published_seq")
        op.execute("ALTER TABLE published_search ADD CONSTRAINT published_search_seq_fkey FOREIGN KEY (seq) "
                   "REFERENCES feedback (published_seq) ON DELETE CASCADE ON UPDATE CASCADE")
        op.execute(index)  # built once over the filled table: compact, and faster than row by row
        for statement in trigger:
            op.execute(statement)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        for statement in POSTGRES_DROP:
            op.execute(statement)
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX IF NOT EXISTS ix_feedback_search_trgm ON feedback "
                   "USING gin (search_text gin_trgm_ops) WHERE state = 'published'")
    _refold(as_words=False)
    op.execute("DELETE FROM counters WHERE name = 'published'")
    op.drop_index("ix_feedback_published_seq", table_name="feedback")
    # SQLite 3.35+ drops a column in place; a batch (copy of the table) would lose 0008's expression index
    op.execute("ALTER TABLE feedback DROP COLUMN published_seq")
