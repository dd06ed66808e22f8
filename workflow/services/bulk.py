"""Many rows in a few statements: for writers that handle thousands of rows at once (the SLA sweep).

On PostgreSQL new rows are streamed with ``COPY`` (ids drawn from the table's sequence first when
the caller needs them), and rows to change travel as one array per column, read with ``unnest``
in one ``UPDATE … FROM``: one statement per table, whatever the number of rows. On SQLite
(in-process, no round trips) rows go through ``executemany``. Values pass through each column's
own bind processing (aware UTC times, JSON), so they are stored as the ORM would store them.
"""

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from operator import itemgetter

from sqlalchemy import JSON, String, Table, any_, bindparam, cast, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement

from workflow.db import db


def on_postgres() -> bool:
    """Return whether the session's database is PostgreSQL."""
    return db.session.get_bind().dialect.name == "postgresql"


def among(column, values: Iterable) -> ColumnElement:
    """Return ``column IN values``; on PostgreSQL as ``= ANY(array)``: one parameter however many values."""
    values = list(values)
    if on_postgres():
        return column == any_(cast(bindparam(None, array_literal(values), type_=String()), ARRAY(column.type)))
    return column.in_(values)


def copy_rows(table: Table, rows: Sequence[dict], with_ids: bool = False) -> None:
    """Insert ``rows`` (dicts with the same keys); with ``with_ids`` give each row its new ``id`` first.

    On PostgreSQL: ids from the table's sequence in one query, then one ``COPY``. On SQLite: the
    driver's ``executemany`` (``INSERT … RETURNING id`` row by row when ids are wanted), past
    SQLAlchemy's per-row parameter handling, which would cost more than the inserts themselves.
    """
    if not rows:
        return
    postgres = on_postgres()
    if with_ids and postgres:
        ids = db.session.execute(text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                                      "FROM generate_series(1, :n)"), {"table": table.name, "n": len(rows)}).scalars()
        for row, new_id in zip(rows, ids, strict=True):
            row["id"] = new_id
    columns = list(rows[0])
    processors = [_processor(table, name) for name in columns]
    values_of = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    prepared = ([value if process is None else process(value)
                 for process, value in zip(processors, values_of(row), strict=True)] for row in rows)
    # The session's own connection, so the rows belong to its transaction.
    driver = db.session.connection().connection.driver_connection
    if postgres:
        with (driver.cursor() as cursor,
              cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy):
            for values in prepared:
                copy.write_row(values)
        return
    # Only our own table and column names are formatted in (bandit B608 below: justified); values are bound.
    insert = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # nosec B608
    if with_ids:
        for row, values in zip(rows, prepared, strict=True):
            row["id"] = driver.execute(insert + " RETURNING id", values).fetchone()[0]
    else:
        driver.executemany(insert, prepared)


def unnest(table: Table, columns: Sequence[str], rows: Sequence[dict], prefix: str = "u") -> tuple[str, dict]:
    """Return SQL ``unnest(CAST(:u_0 AS type[]), …)`` over ``rows``' values of ``columns``, and its parameters.

    PostgreSQL only. Each column's values travel as one array literal, cast to the column's type.
    """
    dialect = db.session.get_bind().dialect
    parts, params = [], {}
    for n, name in enumerate(columns):
        column = table.c[name]
        process = _processor(table, name)
        values = [row[name] for row in rows] if process is None else [process(row[name]) for row in rows]
        sql_type = column.type.compile(dialect=dialect)
        parts.append(f"CAST(:{prefix}_{n} AS {sql_type}[])")
        params[f"{prefix}_{n}"] = array_literal(values)
    return f"unnest({', '.join(parts)})", params


def array_literal(values: Iterable) -> str:
    """Return ``values`` as a PostgreSQL array literal (parsed by the server much faster than bound lists)."""
    return "{" + ",".join(map(_element, values)) + "}"


def _element(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    value = value.isoformat() if isinstance(value, datetime) else str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _processor(table: Table, name: str):
    column_type = table.c[name].type
    if isinstance(column_type, JSON):
        # As SQLAlchemy's JSON type serializes by default; the server parses the text.
        return lambda value: None if value is None else json.dumps(value)
    # The dialect's own form of the type: on SQLite a time becomes the text SQLAlchemy writes and compares.
    dialect = db.session.get_bind().dialect
    return column_type.dialect_impl(dialect).bind_processor(dialect)
