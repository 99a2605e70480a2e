"""Names follow Octopus: coord stores ids, and a rename shows at the next poll, history and all."""

from __future__ import annotations

from coord.feed import service as feed_service


def test_a_renamed_project_shows_under_its_new_name_at_the_next_poll(coord) -> None:
    services, sim = coord.services, coord.octosim.sim
    feed_service.poll(services)  # the first poll reads the names (and reconciles)
    projects_read = sim.observations.route_count("GET /projects/all")
    sim.clock.advance(60)
    sim.rename_project("Identity", "Identity Service")
    sim.rename_environment("Production", "Live")
    report = feed_service.poll(services)
    assert report is not None and report.names_refreshed
    assert sim.observations.route_count("GET /projects/all") == projects_read + 1
    view = feed_service.status(services, all_projects=True)
    renamed = next(row for row in view.rows if row.project == "Identity Service")
    assert "Live" in view.environments
    assert renamed.cells["Live"][0].version == "1.0.0"  # the history kept its project and environment
    sim.clock.advance(60)
    again = feed_service.poll(services)  # the rename is inside the overlap: not read twice
    assert again is not None and not again.names_refreshed
    assert sim.observations.route_count("GET /projects/all") == projects_read + 1
