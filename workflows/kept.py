"""A bounded per-process store of things built from a key that names everything they depend on
(the SQL of a user's lists, a rendered menu or filter drawer): the least recently used goes
first when full.

Nothing in it can go stale by construction, because the key is the whole input; what it saves is
the building (issue 13, docs/performance.md). Safe to share between threads: a lost race builds
the same thing twice.
"""

import functools
from collections.abc import Callable, Hashable


class Kept:
    def __init__(self, size: int):
        self.size = size
        self._items: dict = {}

    def get(self, key: Hashable, build: Callable):
        value = self._items.pop(key, None)
        if value is not None:
            self._items[key] = value  # used again: the newest, so the last to go
        else:
            value = build()
            if len(self._items) >= self.size:
                try:
                    self._items.pop(next(iter(self._items)), None)
                except (RuntimeError, StopIteration):  # another thread changed it meanwhile
                    pass
            self._items[key] = value
        return value

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class KeptQuery:
    """A read whose SQL and row reading the ORM works out once per database connection, then run
    again with other values: the approval's reads of one task with its case, people and
    organisations join eight tables, and compiling each cost ~3 ms of CPU (issue 13,
    docs/performance.md).

    ``build(*marks)`` returns the queryset for placeholder values (``marks``: one per argument,
    values no real row or argument has, such as negative ids or a day before the programme);
    each must reach the SQL as a parameter of its own. Dates and moments are adapted for the
    database as a date or datetime field adapts them; other values must be what the field's
    lookup would send (an int for an id). ``rows(*values)`` runs the kept SQL with the values in
    the marks' places and makes the instances exactly as the ORM would (``ModelIterable``: the
    model, its ``select_related`` rows, its annotations). The SQL is built for the connection it runs on
    (one per thread and database), so it is always the ORM's SQL for that database. Only for
    querysets without prefetching or known related objects, whose SQL nothing but the
    arguments changes (no clock, no settings), and whose plan does not depend on the values: on
    PostgreSQL with server-side binding the statement is prepared on the connection, so it is
    planned once there (a generic plan). It reads the database it is given (``using``), with
    no router: the project has one database.
    """

    def __init__(self, build: Callable, *marks):
        self.build = build
        self.marks = marks

    def _compiled(self, alias: str):
        from django.db import connections
        from django.db.models.query import get_related_populators

        connection = connections[alias]
        kept = connection.__dict__.setdefault("_shuangpei_kept_queries", {})
        compiled = kept.get(self)
        if compiled is None:
            queryset = self.build(*self.marks)
            if queryset._prefetch_related_lookups or queryset._known_related_objects:
                raise ValueError("KeptQuery: a queryset without prefetching or known related objects")
            compiler = queryset.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            slots = []
            for mark in self.marks:
                mark = _adapted(connection.ops, mark)
                where = [i for i, param in enumerate(params) if param == mark]
                if not where:
                    raise ValueError(f"KeptQuery: the mark {mark!r} is not a parameter of the SQL")
                slots.append(where)
            klass_info, select = compiler.klass_info, compiler.select
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            fields = [column[0] for column in select[0 : compiler.col_count]]
            if compiler.has_composite_fields(fields):
                raise ValueError("KeptQuery: composite primary keys are not supported")
            compiled = (
                bool(queryset.query.select_for_update),
                compiler,
                compiler.get_converters(fields),
                sql,
                list(params),
                slots,
                klass_info["model"],
                (start, end),
                [column[0].target.attname for column in select[start:end]],
                get_related_populators(klass_info, select, alias),
                list(compiler.annotation_col_map.items()),
            )
            kept[self] = compiled
        return compiled

    def rows(self, *values, using: str = "default") -> list:
        from django.db import connections
        from django.db.transaction import TransactionManagementError

        locks, compiler, converters, sql, params, slots, model, (start, end), init_list, populators, annotations = (
            self._compiled(using)
        )
        connection = connections[using]
        features = connection.features
        if locks and features.has_select_for_update and features.supports_transactions and connection.get_autocommit():
            # The ORM's own check, made at each run and not only when the SQL was compiled.
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = params.copy()
        ops = connections[using].ops
        for value, where in zip(values, slots, strict=True):
            value = _adapted(ops, value)
            for i in where:
                params[i] = value
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and connection.settings_dict["OPTIONS"].get("server_side_binding"):
                # Prepared on this connection at its first run and planned once: its plan does
                # not depend on the values (keys, a day), unlike a list's (project/settings.py).
                driver = connection.connection
                threshold, driver.prepare_threshold = driver.prepare_threshold, 0
                try:
                    cursor.execute(sql, params)
                finally:
                    driver.prepare_threshold = threshold
            else:
                cursor.execute(sql, params)
            fetched = cursor.fetchall()
        found = []
        for row in compiler.apply_converters(fetched, converters) if converters else fetched:
            obj = model.from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations:
                setattr(obj, name, row[position])
            found.append(obj)
        return found


@functools.cache
def _for_ids(build: Callable, n: int, marks: tuple) -> KeptQuery:
    return KeptQuery(build, *marks, *range(-1, -n - 1, -1))


def rows_by_ids(build: Callable, ids: list, *values, marks: tuple = ()) -> list:
    """``build(*values, *ids)``'s rows through a ``KeptQuery`` per number of ids (one compiled
    query per connection and count: a page's rows, the organisations up a tree). ``marks``
    stand for ``values``; the ids' marks are -1 … -n. No ids, no query (an empty ``IN`` has no
    SQL to keep)."""
    if not ids:
        return []
    return _for_ids(build, len(ids), marks).rows(*values, *ids)


def _adapted(ops, value):
    import datetime

    if isinstance(value, datetime.datetime):
        return ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return ops.adapt_datefield_value(value)
    return value
