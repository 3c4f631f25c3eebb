"""Restore tables from a verified backup, in one transaction, after planning it.

Rows are first loaded into temporary staging tables. The database then computes the plan
(core/plan.py): per table, rows to insert, update, leave and delete, foreign-key problems
and unique conflicts. A dry run stops there and rolls back; a real restore refuses what
its conflict strategy forbids, then does exactly the plan, set-based: deletes children
first, updates and inserts parents first. The database's own foreign keys stay on, so what
it declares (ON DELETE CASCADE, RESTRICT) is honoured, and any error rolls everything back.

When every table restored is empty, the plan can only be "insert every row": a real restore
then loads the rows straight into the tables, without staging (direct_load.py).
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from ..archive.reader import ArchiveReader
from ..errors import BackupError, IncompatibleSchema, InvalidInput
from ..schema.reflect import TableSpec, dependency_order, reflect_tables
from .context import Context, ProgressFn, no_progress
from .convert import ConversionLog
from .create import BackupCreator
from .direct_load import all_empty, can_load_directly, load_directly
from .loading import RowLoader
from .missing_tables import create_tables, drop_tables
from .options import BackupOptions, RestoreOptions
from .plan import Planner, PlanTarget, TablePlan, by_strategy
from .plan_checks import refuse_forbidden, refuse_keyless, summarize
from .schema_match import TableMatch, match_table
from .selection import select_for_restore
from .verify import verified_archive


def staging_name(table: str) -> str:
    return f"_dino_stage_{abs(hash(table)) % 10**8}"


class _PreviewDone(Exception):
    """Raised inside the transaction to roll a dry run back."""


class Restorer:
    def __init__(self, ctx: Context, progress: ProgressFn = no_progress) -> None:
        self.ctx = ctx
        self.dialect = ctx.dialect
        self.progress = progress

    def run(self, options: RestoreOptions) -> dict[str, Any]:
        assert options.backup_id is not None, "resolve --at before restoring"
        started = time.monotonic()
        meta = self.ctx.catalog.load(options.backup_id)
        self._guard_anonymized(meta, options)
        # Each section's SHA-256 and count are checked as it is loaded, inside the
        # transaction: no need to decompress everything twice.
        with verified_archive(self.ctx, meta, sections=False) as reader:
            names = select_for_restore(
                reader.tables,
                self.ctx.groups,
                options.skip_user_data,
                options.skip_sessions,
                options.tables,
            )
            log = ConversionLog()
            specs = self._source_specs(reader, names)
            targets = reflect_tables(self.ctx.engine)
            missing = self._missing(specs, targets, options)
            self._check_schema(reader, specs, targets, options)
            warnings = self._engine_warning(reader)
            warnings += [
                f"table {s.name} is not in the database; it will be created" for s in missing
            ]
            emergency = None
            if not options.dry_run and options.emergency_backup:
                emergency = self._emergency_backup(specs, targets)
            try:
                plans, more = self._run_transaction(reader, specs, targets, missing, log, options)
            except BackupError:
                self._discard(emergency)  # nothing changed: the safety copy is not needed
                raise
            warnings += more + log.warnings()
        return self._result(
            options, reader_counts(meta, plans), plans, warnings, emergency, started
        )

    # -- preparation -------------------------------------------------------------
    def _guard_anonymized(self, meta: dict[str, Any], options: RestoreOptions) -> None:
        production = self.ctx.settings.environment.lower() == "production"
        if meta.get("anonymized") and production and not options.allow_anonymized:
            raise InvalidInput(
                f"backup {meta['id']} is anonymized and this database's environment is "
                "production: pass --allow-anonymized to restore it anyway"
            )

    @staticmethod
    def _source_specs(reader: ArchiveReader, names: list[str]) -> list[TableSpec]:
        specs = [TableSpec.from_json(reader.table_entry(n)["schema"]) for n in names]
        return dependency_order(specs)

    @staticmethod
    def _missing(
        specs: list[TableSpec], targets: dict[str, TableSpec], options: RestoreOptions
    ) -> list[TableSpec]:
        missing = [s for s in specs if s.name not in targets]
        if missing and not options.create_missing:
            names = ", ".join(s.name for s in missing)
            raise IncompatibleSchema(
                f"table(s) not in the database: {names} (pass --create-missing to create them)"
            )
        return missing

    def _check_schema(
        self,
        reader: ArchiveReader,
        specs: list[TableSpec],
        targets: dict[str, TableSpec],
        options: RestoreOptions,
    ) -> None:
        """Refuse schema drift and keyless tables before anything is written (the real
        match, with its warnings, is made again once missing tables exist)."""
        same = reader.manifest.get("sourceDialect") == self.dialect.name
        matches = [
            match_table(s, targets.get(s.name, s), same, ConversionLog(), self.dialect.fitter)
            for s in specs
        ]
        refuse_keyless(matches, options.conflict)

    def _engine_warning(self, reader: ArchiveReader) -> list[str]:
        source = reader.manifest.get("sourceDialect")
        if source == self.dialect.name:
            return []
        return [
            f"backup taken on {source} restored into {self.dialect.name}: values converted "
            "to this database's column types"
        ]

    def _emergency_backup(
        self, specs: list[TableSpec], targets: dict[str, TableSpec]
    ) -> str | None:
        """Back up the tables about to change (the seed's createEmergencyBackup)."""
        affected = {s.name for s in specs if s.name in targets}
        grown = True
        while grown:  # tables a delete can cascade into, at any depth
            children = {
                t.name
                for t in targets.values()
                if any(fk.referred_table in affected for fk in t.foreign_keys)
            }
            grown = not children <= affected
            affected |= children
        if not affected:
            return None
        options = BackupOptions(
            tables=sorted(affected), kind="emergency", encrypt=self.ctx.key is not None
        )
        return str(BackupCreator(self.ctx).run(options)["id"])

    def _discard(self, emergency: str | None) -> None:
        if emergency is None:
            return
        try:
            self.ctx.catalog.remove(self.ctx.catalog.load(emergency))
        except (BackupError, OSError):
            pass  # the restore's own error is the one to report; a copy left is harmless

    # -- the transaction ---------------------------------------------------------
    def _run_transaction(
        self,
        reader: ArchiveReader,
        specs: list[TableSpec],
        targets: dict[str, TableSpec],
        missing: list[TableSpec],
        log: ConversionLog,
        options: RestoreOptions,
    ) -> tuple[dict[str, TablePlan], list[str]]:
        created: list[str] = []
        same = reader.manifest.get("sourceDialect") == self.dialect.name
        try:
            if missing:
                created = create_tables(self.ctx.engine, self.dialect, missing, same, set(targets))
            return self._in_transaction(reader, specs, log, options)
        except BaseException:
            drop_tables(self.ctx.engine, self.dialect, created)
            raise
        finally:
            if options.dry_run and created:
                drop_tables(self.ctx.engine, self.dialect, created)

    def _in_transaction(
        self,
        reader: ArchiveReader,
        specs: list[TableSpec],
        log: ConversionLog,
        options: RestoreOptions,
    ) -> tuple[dict[str, TablePlan], list[str]]:
        targets = reflect_tables(self.ctx.engine)
        same = reader.manifest.get("sourceDialect") == self.dialect.name
        fitter = self.dialect.fitter
        matches = [match_table(s, targets.get(s.name), same, log, fitter) for s in specs]
        warnings = [w for m in matches for w in m.warnings]
        result: dict[str, TablePlan] = {}
        try:
            with self.dialect.write_transaction() as conn:
                loader = RowLoader(self.dialect, reader, self.progress)
                if not options.dry_run and can_load_directly(conn, self.dialect, matches):
                    plans = load_directly(conn, self.dialect, loader, matches, options.conflict)
                    return plans, warnings
                try:
                    for m in matches:
                        self._stage(conn, loader, m)
                    result = self._plan(conn, matches, targets, options.conflict)
                    if not options.dry_run:
                        refuse_forbidden(result, matches, options.conflict)
                        self._apply(conn, matches, result, options.conflict, targets)
                except Exception:
                    self._drop_staging_quietly(conn, matches)
                    raise
                for m in matches:  # a rollback does not drop MySQL's temporary tables
                    self.dialect.drop_staging(conn, staging_name(m.name))
                if options.dry_run:
                    raise _PreviewDone
        except _PreviewDone:
            pass
        except sa.exc.IntegrityError as exc:
            raise IncompatibleSchema(
                f"restore refused by the database, nothing changed: {_first(exc)}"
            ) from None
        except sa.exc.SQLAlchemyError as exc:
            raise BackupError(f"restore failed, nothing changed: {_first(exc)}") from None
        return result, warnings

    def _drop_staging_quietly(self, conn: sa.Connection, matches: list[TableMatch]) -> None:
        """After a failure: the error that stopped the restore is the one to report (an
        aborted PostgreSQL transaction refuses the drops, and drops its tables anyway)."""
        try:
            for m in matches:
                self.dialect.drop_staging(conn, staging_name(m.name))
        except sa.exc.SQLAlchemyError:
            pass

    def _stage(self, conn: sa.Connection, loader: RowLoader, m: TableMatch) -> None:
        staging = staging_name(m.name)
        self.dialect.drop_staging(conn, staging)
        self.dialect.create_staging(conn, m.target, staging, m.columns, m.key)
        loader.load(conn, m, staging)
        self.dialect.index_staging(conn, staging, m.key)

    def _plan(
        self,
        conn: sa.Connection,
        matches: list[TableMatch],
        targets: dict[str, TableSpec],
        strategy: str,
    ) -> dict[str, TablePlan]:
        planner = Planner(conn, self.dialect, strategy)
        pts = {
            m.name: PlanTarget(m.target, staging_name(m.name), m.key, tuple(m.columns))
            for m in matches
        }
        plans = {}
        for m in matches:
            pt = pts[m.name]
            plan = planner.table(pt)
            plan.foreign_key_problems = planner.foreign_keys(pt, pts)
            plan.unique_conflicts = planner.unique_conflicts(pt)
            if strategy == "replace":
                plan.cascades = planner.cascades(pt, _children_outside(targets, m.name, pts))
            plans[m.name] = by_strategy(plan, strategy)
        return plans

    # -- applying ------------------------------------------------------------------
    def _apply(
        self,
        conn: sa.Connection,
        matches: list[TableMatch],
        plans: dict[str, TablePlan],
        strategy: str,
        targets: dict[str, TableSpec],
    ) -> None:
        done = {m.name: {"insert": 0, "update": 0, "delete": 0} for m in matches}
        if strategy == "replace":
            for m in reversed(matches):
                done[m.name]["delete"] = self._delete_missing(conn, m)
        for m in matches:
            if strategy in ("replace", "merge"):
                self._park_unique(conn, m, _referenced(targets, m.name))
                done[m.name]["update"] = self._update_changed(conn, m)
            done[m.name]["insert"] = self._insert_new(conn, m)
            self.dialect.after_restore(conn, m.target)
        for m in matches:
            expected = plans[m.name]
            wanted = {
                "insert": expected.insert,
                "update": expected.update,
                "delete": expected.delete,
            }
            if done[m.name] != wanted:
                raise BackupError(
                    f"restore of {m.name} did {done[m.name]}, its plan said {wanted}; "
                    "rolled back, nothing changed"
                )

    def _key_join(self, m: TableMatch, left: str, right: str) -> str:
        q, same = self.dialect.quote, self.dialect.same_key
        return " AND ".join(same(f"{left}.{q(c)}", f"{right}.{q(c)}", m.spec(c)) for c in m.key)

    def _delete_missing(self, conn: sa.Connection, m: TableMatch) -> int:
        q = self.dialect.quote
        table, staging = q(m.name), q(staging_name(m.name))
        if not m.key:
            return conn.exec_driver_sql(f"DELETE FROM {table}").rowcount
        match = self._key_join(m, "s", table)
        sql = f"DELETE FROM {table} WHERE NOT EXISTS (SELECT 1 FROM {staging} s WHERE {match})"
        return conn.exec_driver_sql(sql).rowcount

    def _park_unique(self, conn: sa.Connection, m: TableMatch, referenced: set[str]) -> None:
        """Unique indexes are checked row by row, so rows exchanging unique values (one
        user takes the email another gives up) would collide half-way through the UPDATE.
        Rows whose values of a unique set change first get NULL in a nullable column of
        it that no foreign key refers to (NULLs never collide); the UPDATE then sets them."""
        q, distinct = self.dialect.quote, self.dialect.is_distinct
        table, staging = q(m.name), q(staging_name(m.name))
        for columns in m.target.unique:
            if not set(columns) <= set(m.columns) or set(m.key) <= set(columns):
                continue  # not restored, or unique through the key already
            park = next((c for c in columns if m.spec(c).nullable and c not in referenced), None)
            if park is None:
                continue
            changes = " OR ".join(
                distinct(f"{table}.{q(c)}", f"s.{q(c)}", m.spec(c)) for c in columns
            )
            sets = f"{self.dialect.assign_target(table, q(park))} = NULL"
            join = self._key_join(m, table, "s")
            conn.exec_driver_sql(self.dialect.update_from(table, staging, join, sets, changes))

    def _update_changed(self, conn: sa.Connection, m: TableMatch) -> int:
        q = self.dialect.quote
        table, staging = q(m.name), q(staging_name(m.name))
        values = [c for c in m.columns if c not in m.key]
        if not m.key or not values:
            return 0
        sets = ", ".join(f"{self.dialect.assign_target(table, q(c))} = s.{q(c)}" for c in values)
        distinct = self.dialect.is_distinct
        differs = " OR ".join(distinct(f"{table}.{q(c)}", f"s.{q(c)}", m.spec(c)) for c in values)
        sql = self.dialect.update_from(table, staging, self._key_join(m, table, "s"), sets, differs)
        return conn.exec_driver_sql(sql).rowcount

    def _insert_new(self, conn: sa.Connection, m: TableMatch) -> int:
        q = self.dialect.quote
        table, staging = q(m.name), q(staging_name(m.name))
        cols = self.dialect.column_list(m.columns)
        src = self.dialect.column_list(m.columns, prefix="s.")
        sql = f"INSERT INTO {table} ({cols}) SELECT {src} FROM {staging} s"
        if all_empty(conn, self.dialect, [m]):  # (replace may have emptied it) all rows are new
            with self.dialect.bulk_load(conn, [m.target]):
                return int(conn.exec_driver_sql(sql).rowcount)
        if m.key:
            match = self._key_join(m, table, "s")
            sql += f" WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {match})"
        return int(conn.exec_driver_sql(sql).rowcount)

    # -- result --------------------------------------------------------------------
    def _result(
        self,
        options: RestoreOptions,
        counts: dict[str, int],
        plans: dict[str, TablePlan],
        warnings: list[str],
        emergency: str | None,
        started: float,
    ) -> dict[str, Any]:
        rows = sum(counts.values())
        verb = "would be restored (dry run; nothing changed)" if options.dry_run else "restored"
        return {
            "success": True,
            "backupId": options.backup_id,
            "dryRun": options.dry_run,
            "conflict": options.conflict,
            "restoredTables": list(plans),
            "recordCounts": counts,
            "plan": summarize(plans),
            "emergencyBackupId": emergency,
            "warnings": warnings,
            "durationMs": int((time.monotonic() - started) * 1000),
            "message": f"{rows} records in {len(plans)} tables {verb} from {options.backup_id}",
        }


def reader_counts(meta: dict[str, Any], plans: dict[str, TablePlan]) -> dict[str, int]:
    return {name: int(meta["recordCounts"][name]) for name in plans}


def _referenced(targets: dict[str, TableSpec], table: str) -> set[str]:
    """Columns of `table` that a foreign key of any table refers to."""
    return {
        c
        for t in targets.values()
        for fk in t.foreign_keys
        if fk.referred_table == table
        for c in fk.referred_columns
    }


def _children_outside(
    targets: dict[str, TableSpec], parent: str, restored: dict[str, PlanTarget]
) -> list[tuple[TableSpec, Any]]:
    return [
        (t, fk)
        for t in targets.values()
        if t.name not in restored
        for fk in t.foreign_keys
        if fk.referred_table == parent
    ]


def _first(exc: sa.exc.SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:200]
