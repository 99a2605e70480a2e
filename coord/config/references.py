"""Checks that span fields (groups, dependencies, cycles, duplicates), and names against Octopus."""

from __future__ import annotations

import graphlib
from collections.abc import Sequence
from typing import Protocol, TypeVar

from coord.config.models import CoordConfig, Group
from coord.config.problems import ConfigProblem, did_you_mean, format_path


def reference_problems(config: CoordConfig) -> list[ConfigProblem]:
    """Problems that no single field shows: unknown groups, bad dependencies, cycles, duplicates."""
    problems: list[ConfigProblem] = []
    for name, group in config.groups.items():
        problems += _group_problems(format_path(["groups", name]), group)

    first: dict[str, int] = {}
    for index, promotion in enumerate(config.promotions):
        path = f"promotions[{index}]"
        problems += _group_exists(config, f"{path}.group", promotion.group)
        if promotion.name in first:
            message = f"{promotion.name!r} is already the name of promotions[{first[promotion.name]}]"
            problems.append(ConfigProblem(f"{path}.name", message))
        first.setdefault(promotion.name, index)
        if promotion.source.casefold() == promotion.target.casefold():
            problems.append(ConfigProblem(f"{path}.to", f"must differ from 'from' ({promotion.source!r})"))

    if config.notify is not None:
        for index, rule in enumerate(config.notify.all_deployed):
            problems += _group_exists(config, f"notify.all_deployed[{index}].group", rule.group)

    sends_mail = config.report is not None or (
        config.notify is not None and (config.notify.all_deployed or config.notify.promotions is not None)
    )
    if sends_mail and config.mail is None:
        message = "is required when notify or report is set (mail.from: the sender address)"
        problems.append(ConfigProblem("mail", message))
    return problems


def _group_exists(config: CoordConfig, path: str, group: str) -> list[ConfigProblem]:
    if group in config.groups:
        return []
    known = ", ".join(config.groups) or "none are defined"
    return [ConfigProblem(path, f"group {group!r} does not exist (groups: {known})")]


def _group_problems(path: str, group: Group) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    first: dict[str, int] = {}
    for index, project in enumerate(group.projects):
        key = project.casefold()
        if key in first:
            message = f"{project!r} is listed twice (also projects[{first[key]}])"
            problems.append(ConfigProblem(f"{path}.projects[{index}]", message))
        first.setdefault(key, index)

    def not_in_group(name: str) -> str:
        hint = did_you_mean(name, group.projects) or f" (projects: {', '.join(group.projects)})"
        return f"{name!r} is not a project of this group{hint}"

    for name, needs in group.depends_on.items():
        entry = f"{path}.{format_path(['depends_on', name])}"
        if group.canonical(name) is None:
            problems.append(ConfigProblem(entry, not_in_group(name)))
        for index, need in enumerate(needs):
            if group.canonical(need.project) is None:
                problems.append(ConfigProblem(f"{entry}[{index}]", not_in_group(need.project)))
    if problems:
        return problems

    graph = {project: [need.project for need in needs] for project, needs in group.dependencies().items()}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        # graphlib lists each node before the one that needs it; reversed, the chain reads "needs".
        # Start it at the project written first under depends_on, so the message is stable.
        cycle = list(reversed(exc.args[1]))[:-1]
        order = [group.canonical(name) for name in group.depends_on]
        start = min(range(len(cycle)), key=lambda index: order.index(cycle[index]))
        cycle = cycle[start:] + cycle[:start] + [cycle[start]]
        problems.append(ConfigProblem(f"{path}.depends_on", "dependency cycle: " + " -> ".join(cycle)))
    return problems


class Named(Protocol):
    """A project or environment as the Octopus client returns it (Octopus's own field names)."""

    @property
    def Id(self) -> str: ...

    @property
    def Name(self) -> str: ...


N = TypeVar("N", bound=Named)


def lookup(reference: str, items: Sequence[N]) -> N | None:
    """The item whose id, name or slug is `reference`, case-insensitively (interface.md, coord.yaml)."""
    wanted = reference.strip().casefold()
    for item in items:
        slug = getattr(item, "Slug", None) or ""
        if wanted in (item.Id.casefold(), item.Name.casefold(), slug.casefold()):
            return item
    return None


def resolve_names(
    config: CoordConfig, projects: Sequence[Named], environments: Sequence[Named]
) -> list[ConfigProblem]:
    """Every project and environment the configuration names that the space does not have."""
    problems: list[ConfigProblem] = []

    def check(path: str, reference: str, items: Sequence[Named], kind: str) -> None:
        if lookup(reference, items) is None:
            hint = did_you_mean(reference, [item.Name for item in items])
            problems.append(ConfigProblem(path, f"{kind} {reference!r} does not exist in the space{hint}"))

    for name, group in config.groups.items():
        for index, project in enumerate(group.projects):
            check(format_path(["groups", name, "projects", index]), project, projects, "project")
    for index, promotion in enumerate(config.promotions):
        check(f"promotions[{index}].from", promotion.source, environments, "environment")
        check(f"promotions[{index}].to", promotion.target, environments, "environment")
    if config.notify is not None:
        for index, rule in enumerate(config.notify.all_deployed):
            for position, environment in enumerate(rule.environments):
                path = f"notify.all_deployed[{index}].environments[{position}]"
                check(path, environment, environments, "environment")
    return problems
