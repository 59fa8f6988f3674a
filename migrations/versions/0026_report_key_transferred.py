"""The report's column for cases transferred to another agency is called ``transferred`` (it was
``forwarded``, which in pakn means HCTH's handing a case to one of the department's units): the stored
figures of closed periods (``report_snapshots.figures``, the report's JSON) are renamed with it, so that
a closed report keeps its number in that column.

Revision ID: 0026
Revises: 0025
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

SNAPSHOTS = sa.table("report_snapshots", sa.column("id", sa.Integer), sa.column("figures", sa.Text))


def _rename(old: str, new: str) -> None:
    def renamed(values: dict) -> dict:
        return {(new if k == old else k): v for k, v in values.items()}

    conn = op.get_bind()
    for id_, figures in conn.execute(sa.select(SNAPSHOTS.c.id, SNAPSHOTS.c.figures)).all():
        data = json.loads(figures)
        data["columns"] = [new if c == old else c for c in data.get("columns", [])]
        data["units"] = [renamed(u) for u in data.get("units", [])]
        data["total"] = renamed(data.get("total", {}))
        conn.execute(SNAPSHOTS.update().where(SNAPSHOTS.c.id == id_)
                     .values(figures=json.dumps(data, ensure_ascii=False)))


def upgrade():
    _rename("forwarded", "transferred")


def downgrade():
    _rename("transferred", "forwarded")
