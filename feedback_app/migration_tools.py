"""What more than one migration needs (``migrations/versions``): kept here, not copied into each.

Changing a CHECK constraint: PostgreSQL drops and adds it. SQLite cannot alter one, and a batch copy of
``feedback`` would drop the published-search triggers (0009) and the expression index of 0005/0008,
and rewrite a million rows; a constraint that only accepts a value more, which every stored row
already satisfies, is edited in the schema as SQLite documents for removing a CHECK constraint
(https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema Changes")."""
from __future__ import annotations

from alembic import op


def change_check(table: str, constraint: str, old: str, new: str) -> None:
    """Replace the CHECK constraint ``constraint`` of ``table``, whose condition is ``old``, by ``new``."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}, ADD CONSTRAINT {constraint} CHECK ({new})")
        return
    if bind.dialect.name != "sqlite":
        raise NotImplementedError(bind.dialect.name)
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar_one()
    if sql.count(old) != 1:
        raise RuntimeError(f"{constraint}: expected ({old}) once in the table's definition")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                             (sql.replace(old, new), table))
        bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")  # every connection reads the schema again
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = bind.exec_driver_sql("PRAGMA quick_check").scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"the database after changing {constraint}: {problems}")
