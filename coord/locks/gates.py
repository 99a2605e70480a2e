"""Gates: is every project of a group current and successful in an environment? (pure)

A step of one project asks the gate before it goes on, so cooperating projects wait for each
other (Octopus's "cooperating projects" approach). The gate reads the same matrix as the
promotions: the latest deployment of each project (per connected tenant) must have succeeded,
at a wanted version when one is given. The answer lists what it is still waiting for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from coord.domain.catalogue import Catalogue, ProjectInfo
from coord.domain.records import MatrixCell
from coord.domain.versions import VersionConstraint, VersionError, parse_version

_OPERATOR_START = ("<", ">", "=", "!")


class WishError(ValueError):
    """A `versions` list that cannot be read."""


@dataclass(frozen=True, slots=True)
class VersionWish:
    """The version a project must be at: exact (`1.2.3`) or a constraint (`>=3.2,<4`)."""

    text: str
    constraint: VersionConstraint

    def allows(self, version: str) -> bool:
        """Whether a deployed release version satisfies the wish (text equality for odd versions)."""
        if version.strip() == self.text.strip():
            return True
        try:
            return self.constraint.allows(parse_version(version))
        except VersionError:
            return False


@dataclass(frozen=True, slots=True)
class Member:
    """A project of the group: its name in coord.yaml, and what Octopus knows of it (None: unknown)."""

    ref: str
    info: ProjectInfo | None


@dataclass(frozen=True, slots=True)
class Waiting:
    """One project (and tenant) the gate still waits for, and why."""

    project: str
    tenant: str | None
    reason: str
    detail: str
    state: str | None = None
    version: str | None = None
    wanted: str | None = None
    deployment: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The entry of `waiting_for`, without the fields that do not apply."""
        doc: dict[str, Any] = {"project": self.project, "tenant": self.tenant, "reason": self.reason}
        for key in ("detail", "state", "version", "wanted", "deployment"):
            value = getattr(self, key)
            if value is not None:
                doc[key] = value
        return doc


@dataclass(frozen=True, slots=True)
class GateAnswer:
    """Open when nothing is waited for."""

    projects: tuple[str, ...]
    waiting_for: tuple[Waiting, ...]

    @property
    def open(self) -> bool:
        return not self.waiting_for


def parse_wishes(text: str) -> list[tuple[str, VersionWish]]:
    """`Checkout:3.2.1,Identity:>=1.4,<2` -> [(project, wish)]; WishError names what is wrong.

    A comma-separated part that starts with a comparison continues the constraint before it, so
    `Identity:>=1.4,<2` is one constraint. The project name is what comes before the last colon.
    """
    wishes: list[tuple[str, list[str]]] = []
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            continue
        if part.startswith(_OPERATOR_START) and wishes:
            wishes[-1][1].append(part)
            continue
        project, colon, spec = part.rpartition(":")
        if not colon or not project.strip() or not spec.strip():
            msg = f"versions: {part!r} is not PROJECT:VERSION (e.g. Checkout:3.2.1 or Checkout:>=3.2)"
            raise WishError(msg)
        wishes.append((project.strip(), [spec.strip()]))
    return [(project, _wish(project, specs)) for project, specs in wishes]


def _wish(project: str, specs: list[str]) -> VersionWish:
    text = ",".join(specs)
    try:
        if specs[0].startswith(_OPERATOR_START):
            return VersionWish(text, VersionConstraint.parse(text))
        if len(specs) > 1:
            msg = f"{text!r} mixes an exact version with comparisons"
            raise VersionError(msg)
        return VersionWish(text, VersionConstraint.parse(f"== {text}"))
    except VersionError as exc:
        raise WishError(f"versions: {project}: {exc}") from None


def check_gate(
    members: Iterable[Member],
    environment_id: str,
    cells: Iterable[MatrixCell],
    catalogue: Catalogue,
    wishes: Mapping[str, VersionWish] | None = None,
) -> GateAnswer:
    """What the gate waits for in `environment_id`; `wishes` are keyed by `Member.ref`."""
    by_key = {(c.project_id, c.environment_id, c.tenant_id): c for c in cells}
    wanted = wishes or {}
    names: list[str] = []
    waiting: list[Waiting] = []
    for member in members:
        info = member.info
        if info is None:
            names.append(member.ref)
            waiting.append(
                Waiting(member.ref, None, "unknown project", "Octopus has no project of this name")
            )
            continue
        names.append(info.name)
        wish = wanted.get(member.ref)
        for tenant_id in catalogue.required_tenants(info, environment_id):
            cell = by_key.get((info.id, environment_id, tenant_id))
            found = _waiting(info.name, catalogue.tenant_name(tenant_id) or None, cell, wish)
            if found is not None:
                waiting.append(found)
    return GateAnswer(tuple(names), tuple(waiting))


def _waiting(
    project: str, tenant: str | None, cell: MatrixCell | None, wish: VersionWish | None
) -> Waiting | None:
    if cell is None:
        return Waiting(project, tenant, "not deployed", "no deployment to this environment yet")
    latest = cell.latest
    common = {
        "state": latest.state.value,
        "version": latest.release_version,
        "deployment": latest.deployment_id,
    }
    wanted = wish.text if wish else None
    if not latest.is_completed:
        detail = f"deployment of {latest.release_version} is {latest.state.value.lower()}"
        return Waiting(project, tenant, "deploying", detail, wanted=wanted, **common)
    if not latest.finished_successfully:
        detail = f"the latest deployment ({latest.release_version}) ended {latest.state.value}"
        return Waiting(project, tenant, "failed", detail, wanted=wanted, **common)
    if wish is not None and not wish.allows(latest.release_version):
        detail = f"{latest.release_version} is deployed; wanted {wish.text}"
        return Waiting(project, tenant, "version", detail, wanted=wanted, **common)
    return None
