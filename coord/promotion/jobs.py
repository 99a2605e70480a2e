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
from coord.promotion.runner import advance_run, runs
from coord.promotion.start import StartCommand, start_run
from coord.promotion.store import ORPHAN_AFTER
from coord.report.sources import SLOTS_TABLE, record_skipped_slots
from coord.schedule import MISSED_SLOT_GRACE, Slot, classify_missed, due_slots, in_deny_window
from coord.store import AlreadyExists, Entity, StaleState, Table, claim, read_claim

if TYPE_CHECKING:
    from coord.bootstrap import Services
    from coord.config.models import Promotion

log = logging.getLogger(__name__)
_CHECKED = "checked"


def run_due_promotions(services: Services) -> list[str]:
    """Start the run of each promotion whose schedule slot is due now; one note per thing done."""
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
                notes.append(_run_slot(services, promotion, slot))
        late = [slot for slot in missed if read_claim(table, slot.key) is None]
        if record_skipped_slots(table, late, now):
            notes.append(f"promotion {promotion.name}: {len(late)} missed slot(s) recorded as skipped")
        _save_checked(table, row, promotion.name, now)
    return notes


def _run_slot(services: Services, promotion: Promotion, slot: Slot) -> str:
    """Start the slot's run (its claim is already held); a slot that cannot run is recorded as skipped."""
    table = services.store.table(SLOTS_TABLE)
    windows = promotion.windows
    denied = in_deny_window(windows, services.config.zone, slot.utc_time)
    if denied is not None:
        record_skipped_slots(table, [slot], services.clock.now())
        until = denied.ends.isoformat()
        return f"promotion {promotion.name}: slot {slot.key} skipped (deny window until {until})"
    command = StartCommand(
        group=promotion.group,
        source=promotion.source,
        target=promotion.target,
        trigger=f"schedule {slot.key}",
        promotion=promotion.name,
    )
    try:
        started = start_run(services, command, poll=False)
    except RunConflict as exc:
        record_skipped_slots(table, [slot], services.clock.now())
        return f"promotion {promotion.name}: slot skipped, run {exc.active_run_id} is still active"
    except (PromotionError, OctopusError) as exc:
        # The claim stays: a slot is tried once, and the failure is visible in the report.
        record_skipped_slots(table, [slot], services.clock.now())
        log.warning("promotion %s: slot %s could not start: %s", promotion.name, slot.key, exc)
        return f"promotion {promotion.name}: slot skipped, could not start ({exc})"
    run = started.run
    assert run is not None
    return f"promotion {promotion.name}: run {run.id} started ({run.phase})"


def _save_checked(table: Table, row: Entity | None, name: str, now: datetime) -> None:
    entity = {"PartitionKey": _CHECKED, "RowKey": f"promotion:{name}", "At": now.astimezone(UTC)}
    try:
        if row is None:
            table.insert(entity)
        elif row["At"] < now:
            table.replace(entity, etag=row.etag)
    except (AlreadyExists, StaleState):
        log.debug("promotion slot check time was moved by another tick")


def advance_active_runs(services: Services) -> list[str]:
    """Advance every active run once; one note per run that changed phase or ended."""
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
            after = advance_run(services, run_id)
        except OctopusError as exc:
            notes.append(f"run {run_id}: waiting for Octopus ({exc})")
            continue
        if after is not None and after.phase != before.run.phase:
            notes.append(f"run {run_id}: {after.phase}" + (f" ({after.outcome})" if after.outcome else ""))
    return notes
