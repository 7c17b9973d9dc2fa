"""Figures `zhewen logs` reads often, kept current by triggers as rows are written (migration 0010).

Counting a million rows, or looking up fifty thousand answers by id, takes most of a second however
well indexed; so the figures are kept as the rows come:

* `daily_counts`: per UTC day and platform, the questions, the answered ones, those with a latency,
  and the answers per tenth of confidence. `logs stats` and the footers of `recent` and `suspect`
  add up a few hundred of these rows instead of counting the log.
* `signals`: per answer with a sign from its readers (👍/👎, the first 更多 and 原文, how often it was
  asked again in other words), those signs and the answer's own columns the review filters and
  ranks by (ts, platform, found, confidence, top_score), copied in when the sign is written.
  `logs suspect` and the suspect share per day read these few percent of the rows, no lookups.

Triggers keep both current whoever writes: the bots' batches, `zhewen logs migrate`, `logs purge`, a
script's INSERT. The statements are written once (`Rows`): SQLite's triggers run them for each row,
over the row itself; PostgreSQL's once per statement, grouped over the statement's transition table,
so a bulk copy updates the counts in one pass and the writer inserts a batch in one statement
(stores.py). What a write costs more is measured in tests/bench_storage.py; SQLite's writers keep
temporary files in memory (`temp_store`), where a row firing triggers keeps its statement journal.

PostgreSQL keeps a set of counts per server process (`slot`, its pid): replicas committing at the
same moment never update the same row, so one never waits for another's commit. Readers add the
slots up. A sign that reaches the log before its answer's row (written by another replica, not yet
committed) finds no answer to copy; readers take those few answers' columns from `queries` (the
rows with `ts` NULL), so inserting a question need not look for signs waiting for it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.querylog.suspect import LOW_CONFIDENCE

TENTHS = 10
TENTH_COLUMNS: tuple[str, ...] = tuple(f"conf{b}" for b in range(TENTHS))
COUNT_COLUMNS: tuple[str, ...] = ("questions", "answered", "timed", *TENTH_COLUMNS)
ANSWER_COLUMNS: tuple[str, ...] = ("ts", "platform", "found", "confidence", "top_score")
# The tenths below LOW_CONFIDENCE: `logs stats` counts those answers as low-confidence ones.
LOW_TENTHS = round(LOW_CONFIDENCE * TENTHS)
if LOW_TENTHS != LOW_CONFIDENCE * TENTHS:
    raise AssertionError("daily_counts keeps tenths of confidence: LOW_CONFIDENCE must be a tenth")

SQLITE_SLOT = "0"                      # one writer at a time: one set of counts
POSTGRES_SLOT = "pg_backend_pid()"     # one set per server process (see the module docstring)


def in_tenth(confidence: str, b: int) -> str:
    """SQL true when a confidence falls in tenth `b` (0-9) as the histogram counts it: 0.9 and above
    in the last, below 0.1 in the first, never when NULL. Comparisons, not arithmetic: they match
    `confidence < 0.8` exactly and cannot overflow on a strange value."""
    above = f"{confidence} >= {b / TENTHS}" if b > 0 else f"{confidence} IS NOT NULL"
    return f"{above} AND {confidence} < {(b + 1) / TENTHS}" if b < TENTHS - 1 else above


@dataclass(frozen=True)
class Rows:
    """Changed rows as a statement reads them: a relation (PostgreSQL's transition table, or a whole
    table for the backfill), its rows grouped and added up; or SQLite's trigger row (`OLD`, `NEW`),
    one row with nothing to group, which keeps a trigger cheap enough to run on every insert."""

    relation: str = ""
    row: str = ""

    def col(self, name: str) -> str:
        return f"{self.row}.{name}" if self.row else f"r.{name}"

    def total(self, expr: str) -> str:
        return expr if self.row else f"sum({expr})"

    def earliest(self, expr: str) -> str:
        return expr if self.row else f"min({expr})"

    def if_any(self, condition: str, statement: str) -> str:
        """`statement` only when some row meets `condition` (on bare column names): over a relation a
        PL/pgSQL IF, sparing a PostgreSQL trigger the statement's tens of microseconds when no row
        needs it; for a row, the statement as is (its own WHERE tests the row)."""
        if self.row:
            return statement
        return f"IF EXISTS (SELECT 1 FROM {self.relation} WHERE {condition}) THEN {statement}; END IF"

    def source(self, where: str = "true", group: str = "") -> str:
        """What follows a SELECT's columns: FROM, WHERE and GROUP BY for a relation, WHERE for a row."""
        if self.row:
            return f" WHERE {where}"
        return f" FROM {self.relation} AS r WHERE {where}" + (f" GROUP BY {group}" if group else "")


def sqlite_row(which: str) -> Rows:
    return Rows(row=which)


def relation(name: str) -> Rows:
    return Rows(relation=name)


# --- the statements ---------------------------------------------------------------------------------

def count_questions(rows: Rows, sign: int, slot: str) -> str:
    """Add (`sign` 1) or take away (-1) questions `rows` (columns of queries) in daily_counts."""
    found, confidence = rows.col("found"), rows.col("confidence")
    conditions = [f"{found} = 1", f"{rows.col('latency_ms')} IS NOT NULL",
                  *(f"{found} = 1 AND {in_tenth(confidence, b)}" for b in range(TENTHS))]
    counts = ", ".join(rows.total(f"CASE WHEN {c} THEN {sign} ELSE 0 END") for c in conditions)
    day, platform = f"substr({rows.col('ts')}, 1, 10)", rows.col("platform")
    updates = ", ".join(f"{c} = daily_counts.{c} + excluded.{c}" for c in COUNT_COLUMNS)
    return (f"INSERT INTO daily_counts (day, platform, slot, {', '.join(COUNT_COLUMNS)}) "
            f"SELECT {day}, {platform}, {slot}, {rows.total(str(sign))}, {counts}"
            f"{rows.source(group=f'{day}, {platform}')} "
            f"ON CONFLICT (day, platform, slot) DO UPDATE SET {updates}")


def _add_signs(signs: str, columns: Sequence[str], merge: Sequence[str]) -> str:
    """Upsert per-answer signs (`signs`: query_id and `columns`), copying the answer's columns from
    queries when it is there; `merge` says how an existing row takes them in."""
    copied = ", ".join(f"q.{c}" for c in ANSWER_COLUMNS)
    keep = ", ".join(f"{c} = coalesce(signals.{c}, excluded.{c})" for c in ANSWER_COLUMNS)
    return (f"INSERT INTO signals (query_id, {', '.join(ANSWER_COLUMNS)}, {', '.join(columns)}) "
            f"SELECT s.query_id, {copied}, {', '.join(f's.{c}' for c in columns)} "
            f"FROM ({signs}) AS s LEFT JOIN queries AS q ON q.id = s.query_id WHERE true "
            f"ON CONFLICT (query_id) DO UPDATE SET {', '.join(merge)}, {keep}")


def _take_signs(signs: str, columns: Sequence[str]) -> str:
    """Subtract per-answer counts (`signs`: query_id and `columns`) from the answers that have a row
    (one deleted with its answer needs none)."""
    updates = ", ".join(f"{c} = signals.{c} - s.{c}" for c in columns)
    return f"UPDATE signals SET {updates} FROM ({signs}) AS s WHERE s.query_id = signals.query_id"


def _votes(rows: Rows) -> str:
    query_id, value = rows.col("query_id"), rows.col("value")
    down, up = (rows.total(f"CASE WHEN {value} = {v} THEN 1 ELSE 0 END") for v in (-1, 1))
    return f"SELECT {query_id} AS query_id, {down} AS down, {up} AS up{rows.source(group=query_id)}"


def add_votes(rows: Rows) -> str:
    """Feedback `rows` (query_id, value) added to the answers' 👎 and 👍 counts."""
    return _add_signs(_votes(rows), ("down", "up"),
                      ("down = signals.down + excluded.down", "up = signals.up + excluded.up"))


def take_votes(rows: Rows) -> str:
    return _take_signs(_votes(rows), ("down", "up"))


def _earliest(column: str) -> str:
    return (f"{column} = CASE WHEN signals.{column} IS NULL OR excluded.{column} < signals.{column} "
            f"THEN excluded.{column} ELSE signals.{column} END")


def add_followups(rows: Rows) -> str:
    """Follow-up `rows` (query_id, kind, ts) taken into the answers' first 更多 and first 原文."""
    query_id, kind, ts = rows.col("query_id"), rows.col("kind"), rows.col("ts")
    firsts = ", ".join(f"{rows.earliest(f'CASE WHEN {kind} = {name!r} THEN {ts} END')} AS {name}_first"
                       for name in ("more", "passage"))
    return _add_signs(f"SELECT {query_id} AS query_id, {firsts}{rows.source(group=query_id)}",
                      ("more_first", "passage_first"), (_earliest("more_first"), _earliest("passage_first")))


def recount_followups(rows: Rows) -> str:
    """The first 更多 and 原文 of the answers of follow-up `rows` read again from followups (after a
    delete: the earliest may be gone)."""
    first = "(SELECT min(f.ts) FROM followups AS f WHERE f.query_id = signals.query_id AND f.kind = '{}')"
    return (f"UPDATE signals SET more_first = {first.format('more')}, "
            f"passage_first = {first.format('passage')} "
            f"WHERE query_id IN (SELECT {rows.col('query_id')}{rows.source()})")


def _reasks(rows: Rows) -> str:
    earlier = rows.col("rephrase_of")
    return (f"SELECT {earlier} AS query_id, {rows.total('1')} AS reasked"
            f"{rows.source(where=f'{earlier} IS NOT NULL', group=earlier)}")


def add_reasks(rows: Rows) -> str:
    """Questions `rows` that ask an earlier one again in other words, counted on the earlier one."""
    return _add_signs(_reasks(rows), ("reasked",), ("reasked = signals.reasked + excluded.reasked",))


def take_reasks(rows: Rows) -> str:
    return _take_signs(_reasks(rows), ("reasked",))


def copy_answers(rows: Rows) -> str:
    """Changed questions `rows` copied into their signs. (A sign that reached the log before its
    answer keeps no copy: the review reads those few from queries.)"""
    columns = ", ".join(f"{c} = {rows.col(c)}" for c in ANSWER_COLUMNS)
    if rows.row:
        return f"UPDATE signals SET {columns} WHERE query_id = {rows.col('id')}"
    return f"UPDATE signals SET {columns} FROM {rows.relation} AS r WHERE r.id = signals.query_id"


def drop_answers(rows: Rows) -> str:
    return f"DELETE FROM signals WHERE query_id IN (SELECT {rows.col('id')}{rows.source()})"


EVENTS: tuple[str, ...] = ("INSERT", "DELETE", "UPDATE")


def on_change(table: str, event: str, old: Rows, new: Rows, slot: str) -> list[str]:
    """The statements of a trigger body that keep the figures current after `event` on `table`, given
    its old and new rows and the backend's slot. An update is the old rows taken away and the new
    ones added, except that an answer keeps its signs."""
    if table == "queries":
        added = [count_questions(new, 1, slot), new.if_any("rephrase_of IS NOT NULL", add_reasks(new))]
        removed = [count_questions(old, -1, slot), old.if_any("rephrase_of IS NOT NULL", take_reasks(old))]
        return {"INSERT": added, "DELETE": [*removed, drop_answers(old)],
                "UPDATE": [*removed, *added, copy_answers(new)]}[event]
    if table == "feedback":
        return {"INSERT": [add_votes(new)], "DELETE": [take_votes(old)],
                "UPDATE": [take_votes(old), add_votes(new)]}[event]
    return {"INSERT": [add_followups(new)], "DELETE": [recount_followups(old)],
            "UPDATE": [add_followups(new), recount_followups(old)]}[event]


# The columns each table's statements read; SQLite's UPDATE triggers fire only when one changes.
READ_COLUMNS: dict[str, tuple[str, ...]] = {
    "queries": ("id", "ts", "platform", "found", "confidence", "top_score", "latency_ms", "rephrase_of"),
    "feedback": ("query_id", "value"),
    "followups": ("query_id", "kind", "ts"),
}


def sqlite_triggers() -> list[str]:
    triggers = []
    for table, event in ((t, e) for t in READ_COLUMNS for e in EVENTS):
        body = on_change(table, event, sqlite_row("OLD"), sqlite_row("NEW"), SQLITE_SLOT)
        columns = READ_COLUMNS[table][1:] if table == "queries" else READ_COLUMNS[table]
        on = f"UPDATE OF {', '.join(columns)}" if event == "UPDATE" else event
        triggers.append(f"CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()}_rollups AFTER {on} ON {table} "
                        f"BEGIN {'; '.join(body)}; END")
    return triggers


def postgres_triggers() -> list[str]:
    """A function and a statement-level trigger per change, over the statement's transition tables."""
    out = []
    for table, event in ((t, e) for t in READ_COLUMNS for e in EVENTS):
        name = f"{table}_{event.lower()}_rollups"
        body = on_change(table, event, relation("old_rows"), relation("new_rows"), POSTGRES_SLOT)
        tables = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
                  "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}[event]
        # use_column: a column named `found` means the column, not PL/pgSQL's FOUND variable.
        out += [f"CREATE OR REPLACE FUNCTION zhewen_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "#variable_conflict use_column\n BEGIN "
                f"{'; '.join(body)}; RETURN NULL; END $$",
                f"DROP TRIGGER IF EXISTS {name} ON {table}",
                f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {tables} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION zhewen_{name}()"]
    return out


def backfill(slot: str) -> list[str]:
    """The figures of the rows already logged: the statements above over whole tables."""
    return [count_questions(relation("queries"), 1, slot), add_votes(relation("feedback")),
            add_followups(relation("followups")), add_reasks(relation("queries"))]


def _tables(text: str, key: str, real: str, keyed: str = "") -> list[str]:
    """The two tables; counts are 32-bit on PostgreSQL too, so their sums come back as integers.
    `keyed`: SQLite's WITHOUT ROWID, so a day's counts are found and updated in one b-tree."""
    counts = ", ".join(f"{c} INTEGER NOT NULL DEFAULT 0" for c in COUNT_COLUMNS)
    signs = ", ".join(f"{c} INTEGER NOT NULL DEFAULT 0" for c in ("down", "up", "reasked"))
    return [
        f"CREATE TABLE daily_counts (day {text} NOT NULL, platform {text} NOT NULL, slot INTEGER NOT NULL, "
        f"{counts}, PRIMARY KEY (day, platform, slot)){keyed}",
        f"CREATE TABLE signals (query_id {key} PRIMARY KEY, ts {text}, platform {text}, found INTEGER, "
        f"confidence {real}, top_score {real}, {signs}, more_first {text}, passage_first {text})",
    ]


# Triggers first: on PostgreSQL creating them locks the tables against writers until the migration
# commits, so no row is written between the backfill's reading and the triggers' start.
SQLITE_STATEMENTS: list[str] = [*_tables("TEXT", "INTEGER", "REAL", " WITHOUT ROWID"), *sqlite_triggers(),
                                *backfill(SQLITE_SLOT)]
# PostgreSQL then gathers the new tables' statistics, so its first plans over them are good ones,
# and drops what 0008 added for the figures now kept here: the id index holding the columns the
# suspect figures looked up for each answer with a sign (one index less for every insert to keep),
# and the statistics that let `logs stats` group every row by day and platform.
POSTGRES_STATEMENTS: list[str] = [*_tables('TEXT COLLATE "C"', "BIGINT", "DOUBLE PRECISION"),
                                  *postgres_triggers(), *backfill(POSTGRES_SLOT),
                                  "ANALYZE daily_counts, signals", "DROP INDEX IF EXISTS queries_id_review",
                                  "DROP STATISTICS IF EXISTS queries_day_platform"]
