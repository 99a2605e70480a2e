"""Which Octopus space a setting names: an id, a name or a slug, or the server's default."""

from __future__ import annotations

from collections.abc import Sequence

from coord.octopus.errors import OctopusNotFound
from coord.octopus.models import Space


def choose_space(spaces: Sequence[Space], wanted: str | None) -> Space:
    """The space `wanted` names (case-insensitively), or the default one (`IsDefault`) when None."""
    if wanted is None:
        default = next((s for s in spaces if s.IsDefault), None)
        if default is None:
            msg = "the Octopus server has no default space; set OCTOPUS_SPACE to a space name or id"
            raise OctopusNotFound(msg)
        return default
    folded = wanted.casefold()
    # Ids first, so a space named like another's id cannot shadow it.
    for attribute in ("Id", "Name", "Slug"):
        for space in spaces:
            if (getattr(space, attribute) or "").casefold() == folded:
                return space
    known = ", ".join(f"{s.Name} ({s.Id})" for s in spaces) or "none visible to this API key"
    msg = f"no Octopus space named {wanted!r}; spaces: {known}"
    raise OctopusNotFound(msg)
