"""Promotion runs in Table Storage: one partition per run, an index of active runs, ETags on every write.

Table `runs`:
- partition `<run id>`: row `run` (the run without its steps), one row `step|<step key>` per
  step, an insert-only row `cancel` once a cancel was asked for (so a cancel never races
  the runner's writes to the run row), and a row `poke` rewritten by each deployment event
  for the run, so a runner holding the lease sees that news arrived while it worked;
- partition `active`: one row per `<group>|<target environment id>` naming the active run,
  claimed insert-only before the run is written, so two starts for the same target get a 409;
- partition `lease`: the per-run leases of `coord.store.leases`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from coord.promotion.errors import RunConflict
from coord.promotion.model import (
    Decision,
    RollbackStatus,
    Run,
    RunPhase,
    Step,
    StepStatus,
    Window,
)
from coord.store import AlreadyExists, BatchOp, StaleState, StoreError, Table, pack_text, unpack_text

log = logging.getLogger(__name__)

RUNS_TABLE = "runs"
ACTIVE = "active"
_RUN_ROW = "run"
_CANCEL_ROW = "cancel"
_POKE_ROW = "poke"
_STEP_PREFIX = "step|"
# An index row whose run was never written (a crash between the two writes) frees itself after this.
ORPHAN_AFTER = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Poke:
    """The latest news of a run: the ETag that changes with every poke, when and whence it came."""

    etag: str
    at: datetime | None
    source: str = ""


@dataclass(slots=True)
class StoredRun:
    """A run as read, with the ETag of each row, so every write is conditional on what was read."""

    run: Run
    etags: dict[str, str] = field(default_factory=dict)


def active_key(group: str, target_id: str) -> str:
    """The index key of the active run of a group towards an environment."""
    return f"{group}|{target_id}"


class RunStore:
    """Reads and conditional writes of promotion runs."""

    def __init__(self, table: Table) -> None:
        self.table = table

    # --- creating -----------------------------------------------------------------------

    def create(self, run: Run) -> None:
        """Claim the active slot of the run's group and target, then write the run; RunConflict if taken."""
        key = active_key(run.group, run.target_id)
        row = {"PartitionKey": ACTIVE, "RowKey": key, "RunId": run.id, "Created": run.created}
        for _ in range(3):
            try:
                self.table.insert(row)
                break
            except AlreadyExists:
                holder = self.table.get(ACTIVE, key)
                if holder is None:
                    continue
                if not self._stale_index(holder, run.created):
                    msg = f"run {holder['RunId']} is already active for {run.group} to {run.target}"
                    raise RunConflict(msg, str(holder["RunId"])) from None
                try:
                    self.table.delete(ACTIVE, key, etag=holder.etag)
                except StaleState:
                    continue
        else:
            msg = f"the active run of {run.group} to {run.target} kept changing; try again"
            raise StoreError(msg)
        ops: list[BatchOp] = [("insert", _run_entity(run), None)]
        ops += [("insert", _step_entity(run.id, step), None) for step in run.steps]
        try:
            self.table.write_batch(ops)
        except StoreError:
            self._release(run)
            raise

    def _stale_index(self, holder: dict[str, Any], now: datetime) -> bool:
        """An index row whose run ended, or was never written, no longer blocks a new run."""
        stored = self.load(str(holder["RunId"]))
        if stored is None:
            created = holder.get("Created")
            return not isinstance(created, datetime) or now - created > ORPHAN_AFTER
        return stored.run.phase.is_terminal

    # --- reading ------------------------------------------------------------------------

    def load(self, run_id: str) -> StoredRun | None:
        """The run with all its steps (one partition query), or None."""
        run_text: str | None = None
        steps: dict[str, Step] = {}
        etags: dict[str, str] = {}
        cancel = False
        for entity in self.table.partition(run_id):
            row = str(entity["RowKey"])
            etags[row] = entity.etag
            if row == _RUN_ROW:
                run_text = unpack_text(entity, "Run")
            elif row == _CANCEL_ROW:
                cancel = True
            elif row.startswith(_STEP_PREFIX):
                step = step_from_json(str(entity["Step"]))
                steps[step.key] = step
        if run_text is None:
            return None
        run = run_from_json(run_text, steps)
        return StoredRun(run.evolve(cancel_requested=run.cancel_requested or cancel), etags)

    def active(self) -> list[tuple[str, str]]:
        """(index key, run id) of every run the index holds as active."""
        return [(str(e["RowKey"]), str(e["RunId"])) for e in self.table.partition(ACTIVE)]

    def runs_between(self, start: datetime, end: datetime) -> list[Run]:
        """Runs created, or finished, in [start, end) (a scan of run rows; runs are few)."""
        rows = self.table.query(
            "RowKey eq @row and ((Created ge @s and Created lt @e) or (Finished ge @s and Finished lt @e))",
            {"row": _RUN_ROW, "s": start.astimezone(UTC), "e": end.astimezone(UTC)},
        )
        found = []
        for row in rows:
            stored = self.load(str(row["PartitionKey"]))
            if stored is not None:
                found.append(stored.run)
        return sorted(found, key=lambda r: r.created)

    # --- writing ------------------------------------------------------------------------

    def save_step(self, stored: StoredRun, step: Step) -> None:
        """Write one step, conditional on the ETag read; StaleState if someone else wrote it."""
        row = _STEP_PREFIX + step.key
        stored.etags[row] = self.table.replace(_step_entity(stored.run.id, step), etag=stored.etags[row])
        stored.run = stored.run.with_step(step)

    def save_run(self, stored: StoredRun, run: Run) -> None:
        """Write the run row (not its steps), conditional on the ETag read."""
        stored.etags[_RUN_ROW] = self.table.replace(_run_entity(run), etag=stored.etags[_RUN_ROW])
        stored.run = run.evolve(steps=stored.run.steps)

    def request_cancel(self, run_id: str, now: datetime) -> None:
        """Record that the run should start nothing further (insert-only; asking twice is harmless)."""
        try:
            self.table.insert({"PartitionKey": run_id, "RowKey": _CANCEL_ROW, "At": now.astimezone(UTC)})
        except AlreadyExists:
            return

    def poke(self, run_id: str, now: datetime, source: str) -> Poke:
        """Record that news of the run arrived (an unconditional write: every poke changes the ETag)."""
        at = now.astimezone(UTC)
        row = {"PartitionKey": run_id, "RowKey": _POKE_ROW, "At": at, "Source": source}
        return Poke(self.table.upsert(row), at, source)

    def read_poke(self, run_id: str) -> Poke | None:
        """The run's latest poke, or None when none came yet."""
        entity = self.table.get(run_id, _POKE_ROW)
        if entity is None:
            return None
        at = entity.get("At")
        return Poke(entity.etag, at if isinstance(at, datetime) else None, str(entity.get("Source", "")))

    def release_active(self, run: Run) -> None:
        """Free the run's group and target for the next run (only if the index still names this run)."""
        self._release(run)

    def _release(self, run: Run) -> None:
        key = active_key(run.group, run.target_id)
        holder = self.table.get(ACTIVE, key)
        if holder is None or holder.get("RunId") != run.id:
            return
        try:
            self.table.delete(ACTIVE, key, etag=holder.etag)
        except StaleState:
            log.info("the active index of %s changed while run %s was ending", key, run.id)

    def drop_index(self, key: str, run_id: str) -> None:
        """Remove an index row that names `run_id` (a run that ended or was never written)."""
        holder = self.table.get(ACTIVE, key)
        if holder is None or holder.get("RunId") != run_id:
            return
        try:
            self.table.delete(ACTIVE, key, etag=holder.etag)
        except StaleState:
            return

    def index_created(self, key: str) -> datetime | None:
        holder = self.table.get(ACTIVE, key)
        created = holder.get("Created") if holder is not None else None
        return created if isinstance(created, datetime) else None


# --- entities ------------------------------------------------------------------------------


def _run_entity(run: Run) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "PartitionKey": run.id,
        "RowKey": _RUN_ROW,
        **pack_text("Run", run_to_json(run)),
        "Group": run.group,
        "Phase": run.phase.value,
        "Created": run.created.astimezone(UTC),
    }
    if run.finished is not None:
        entity["Finished"] = run.finished.astimezone(UTC)
    return entity


def _step_entity(run_id: str, step: Step) -> dict[str, Any]:
    return {
        "PartitionKey": run_id,
        "RowKey": _STEP_PREFIX + step.key,
        "Step": step_to_json(step),
        "Status": step.status.value,
    }


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def step_to_json(step: Step) -> str:
    """A step as compact JSON (one property; far below the 64 KiB limit)."""
    return json.dumps({f.name: _encode(getattr(step, f.name)) for f in fields(Step)}, separators=(",", ":"))


def step_from_json(text: str) -> Step:
    data = json.loads(text)
    known = {f.name for f in fields(Step)}
    data = {k: v for k, v in data.items() if k in known}
    data["decision"] = Decision(data["decision"])
    data["status"] = StepStatus(data["status"])
    data["rollback"] = RollbackStatus(data.get("rollback", ""))
    data["needs"] = tuple(data.get("needs", ()))
    for name in ("started", "finished", "release_created", "previous_created", "rollback_started"):
        data[name] = _time(data.get(name))
    return Step(**data)


def run_to_json(run: Run) -> str:
    """The run without its steps (they are rows of their own), plus the order of the step keys."""
    data = {f.name: _encode(getattr(run, f.name)) for f in fields(Run) if f.name != "steps"}
    data["windows"] = [{"schedule": w.schedule, "duration": w.duration.total_seconds()} for w in run.windows]
    data["step_keys"] = [s.key for s in run.steps]
    return json.dumps(data, separators=(",", ":"))


def run_from_json(text: str, steps: dict[str, Step]) -> Run:
    """The run, with its steps (read from their own rows) in the run's order."""
    data = json.loads(text)
    known = {f.name for f in fields(Run)}
    values = {k: v for k, v in data.items() if k in known}
    values["steps"] = tuple(steps[key] for key in data.get("step_keys", ()) if key in steps)
    values["phase"] = RunPhase(values["phase"])
    values["windows"] = tuple(
        Window(w["schedule"], timedelta(seconds=w["duration"])) for w in values.get("windows", ())
    )
    values["group_project_ids"] = tuple(values.get("group_project_ids", ()))
    values["dependencies"] = {k: tuple(v) for k, v in values.get("dependencies", {}).items()}
    values["constraints"] = {k: tuple(tuple(c) for c in v) for k, v in values.get("constraints", {}).items()}
    for name in ("created", "started", "finished", "deadline"):
        values[name] = _time(values.get(name))
    return Run(**values)
