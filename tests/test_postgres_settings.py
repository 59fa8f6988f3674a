"""What pakn asks of each PostgreSQL connection (feedback_app/postgres.py): no JIT compilation, which
cost the reports more than it saved, unless POSTGRES_JIT says otherwise."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from feedback_app import create_app
from feedback_app.extensions import db
from feedback_app.postgres import engine_options


def test_a_postgresql_url_gets_jit_off_after_the_deployments_own_options_and_nothing_else_is_touched():
    assert engine_options("postgresql+psycopg://u@h/d", {}, jit=False) == {"connect_args": {"options": "-c jit=off"}}
    given = {"pool_size": 5, "connect_args": {"options": "-c statement_timeout=5000", "connect_timeout": 3}}
    assert engine_options("postgresql+psycopg://u@h/d", given, jit=False) == {
        "pool_size": 5, "connect_args": {"options": "-c statement_timeout=5000 -c jit=off", "connect_timeout": 3}}
    assert given["connect_args"]["options"] == "-c statement_timeout=5000"  # the configuration is not changed
    assert engine_options("postgresql+psycopg://u@h/d", given, jit=True) is given
    assert engine_options("sqlite:////tmp/x.sqlite3", given, jit=False) is given


@pytest.mark.postgres_only
@pytest.mark.parametrize("jit, expected", [(False, "off"), (True, "on")])
def test_the_apps_connections_to_postgresql_have_jit_as_configured(app, tmp_path, jit, expected):
    other = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       UPLOAD_DIR=str(tmp_path / "uploads"), POSTGRES_JIT=jit)
    with other.app_context():
        try:
            assert db.session.execute(text("SHOW jit")).scalar_one() == expected
        finally:
            db.session.remove()
            db.engine.dispose()
