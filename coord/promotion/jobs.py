"""The promotion work of each tick: start the runs whose schedule slot is due, advance active runs.

A slot is claimed (insert-only, in the `slots` table the report also reads) before its run is
started, so any number of ticks or instances start it once. Slots missed by less than an hour
run once; older ones, and slots that fall in a deny window or find a run already active, are
recorded as skipped and listed in the next daily report.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from coord.octopus import OctopusError
from coord.promotion.errors import PromotionError, RunConflict
from coord.promotion.events import advance_promptly
from coord.promotion.runner import runs
from coord.promotion.start import StartCommand, start_run
from coord.promotion.store import ORPHAN_AFTER
from coord.schedules.cron import MISSED_SLOT_GRACE, Slot, classify_missed, due_slots, in_deny_window
from coord.schedules.slots import SLOTS_TABLE, record_skipped_slots
from coord.store import AlreadyExists, Entity, StaleState, Table, claim, read_claim

if TYPE_CHECKING:
    from coord.bootstrap import Services
    from coord.config.models import Promotion

log = logging.getLogger(__name__)
_CHECKED = "checked"
_PENDING = "pending-promotion"  # slots claimed whose run has not started yet


def run_due_promotions(
    services: Services, *, data_fresh: bool = True, failures: list[str] | None = None
) -> list[str]:
    """Start the run of each promotion whose schedule slot is due now; one note per thing done.

    A due slot is claimed once and kept pending until its run starts. It waits while this
    tick's poll could not vouch for fresh data (`data_fresh`) or Octopus cannot be reached,
    and is retried on later ticks until it is an hour old; then it is recorded as skipped.
    """
    now = services.clock.now()
    notes: list[str] = []
    table = services.store.table(SLOTS_TABLE)
    for promotion in services.config.promotions:
        if promotion.schedule is None:
            continue
        row = table.get(_CHECKED, f"promotion:{promotion.name}")
        # First run: look back one grace period, so a slot just before coord started still runs.
        last = row["At"] if row is not None else now - MISSED_SLOT_GRACE
        if last >= now:
            continue
        slots = due_slots(
            promotion.schedule, services.config.zone, last, now, kind="promotion", name=promotion.name
        )
        due, missed = classify_missed(slots, now)
        for slot in due:
            if claim(table, slot.key, data={"Promotion": promotion.name}):
                table.upsert(
                    {
                        "PartitionKey": _PENDING,
                        "RowKey": slot.key,
                        "Promotion": promotion.name,
                        "Local": slot.local_time.isoformat(),
                        "Utc": slot.utc_time.astimezone(UTC),
                    }
                )
        late = [slot for slot in missed if read_claim(table, slot.key) is None]
        if record_skipped_slots(table, late, now):
            notes.append(f"promotion {promotion.name}: {len(late)} missed slot(s) recorded as skipped")
        _save_checked(table, row, promotion.name, now)
    notes += _start_pending(services, table, now, data_fresh=data_fresh, failures=failures)
    return notes


def _start_pending(
    services: Services, table: Table, now: datetime, *, data_fresh: bool, failures: list[str] | None
) -> list[str]:
    notes: list[str] = []
    promotions = {p.name: p for p in services.config.promotions}
    for row in table.partition(_PENDING):
        slot = Slot(str(row["RowKey"]), datetime.fromisoformat(str(row["Local"])), row["Utc"])
        promotion = promotions.get(str(row["Promotion"]))
        if promotion is None or now - slot.utc_time >= MISSED_SLOT_GRACE:
            record_skipped_slots(table, [slot], now)
            table.delete(_PENDING, slot.key)
            notes.append(f"promotion {row['Promotion']}: slot {slot.key} not started within an hour; skipped")
            continue
        if not data_fresh:
            notes.append(f"promotion {promotion.name}: slot {slot.key} waits until a poll succeeds")
            continue
        note, done = _run_slot(services, promotion, slot)
        notes.append(note)
        if not done and failures is not None:
            failures.append(note)
        if done:
            table.delete(_PENDING, slot.key)
    return notes


def _run_slot(services: Services, promotion: Promotion, slot: Slot) -> tuple[str, bool]:
    """Start the slot's run (its claim is already held); a note, and whether the slot is settled.

    A slot in a deny window or behind a still-active run is recorded as skipped; one that failed
    to start because Octopus did not answer stays pending for the next tick.
    """
    table = services.store.table(SLOTS_TABLE)
    windows = promotion.windows
    denied = in_deny_window(windows, services.config.zone, slot.utc_time)
    if denied is not None:
        record_skipped_slots(table, [slot], services.clock.now())
        until = denied.ends.isoformat()
        return f"promotion {promotion.name}: slot {slot.key} skipped (deny window until {until})", True
    command = StartCommand(
        group=promotion.group,
        source=promotion.source,
        target=promotion.target,
        trigger=f"schedule {slot.key}",
        promotion=promotion.name,
    )
    try:
        started = start_run(services, command, poll=False, fresh=True)
    except RunConflict as exc:
        record_skipped_slots(table, [slot], services.clock.now())
        return f"promotion {promotion.name}: slot skipped, run {exc.active_run_id} is still active", True
    except OctopusError as exc:
        log.warning("promotion %s: slot %s could not start yet: %s", promotion.name, slot.key, exc)
        return f"promotion {promotion.name}: slot {slot.key} waits for Octopus ({exc})", False
    except PromotionError as exc:
        # A configuration the plan cannot start (an unknown name, say): retrying will not help.
        record_skipped_slots(table, [slot], services.clock.now())
        log.warning("promotion %s: slot %s could not start: %s", promotion.name, slot.key, exc)
        return f"promotion {promotion.name}: slot skipped, could not start ({exc})", True
    run = started.run
    assert run is not None
    return f"promotion {promotion.name}: run {run.id} started ({run.phase})", True


def _save_checked(table: Table, row: Entity | None, name: str, now: datetime) -> None:
    entity = {"PartitionKey": _CHECKED, "RowKey": f"promotion:{name}", "At": now.astimezone(UTC)}
    try:
        if row is None:
            table.insert(entity)
        elif row["At"] < now:
            table.replace(entity, etag=row.etag)
    except (AlreadyExists, StaleState):
        log.debug("promotion slot check time was moved by another tick")


def advance_active_runs(
    services: Services, *, fresh: bool = False, failures: list[str] | None = None
) -> list[str]:
    """Advance every active run once; one note per run that changed phase or ended.

    `fresh`: this tick's poll has caught up, so decisions may read the stored matrix. A run that
    could not reach Octopus is noted, and added to `failures` when given.
    """
    store = runs(services)
    notes: list[str] = []
    now = services.clock.now()
    for key, run_id in store.active():
        before = store.load(run_id)
        if before is None:
            created = store.index_created(key)
            if created is None or now - created > ORPHAN_AFTER:
                store.drop_index(key, run_id)
            continue
        try:
            # Promptly: news a webhook leaves while this advance holds the lease is taken up too.
            after = advance_promptly(services, run_id, fresh=fresh).run
        except OctopusError as exc:
            notes.append(f"run {run_id}: waiting for Octopus ({exc})")
            if failures is not None:
                failures.append(f"run {run_id}: Octopus: {exc}")
            continue
        if after is not None and after.phase != before.run.phase:
            notes.append(f"run {run_id}: {after.phase}" + (f" ({after.outcome})" if after.outcome else ""))
    return notes
