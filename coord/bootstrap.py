"""The composition root: settings and configuration in, ready adapters out.

Adapters are created on first use, so a command or function pays only for what it
touches (a status request never builds the mail transport), and the Functions host
reuses one set across invocations on the same instance.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from coord.clock import Clock, SystemClock
from coord.config import CoordConfig, load_config
from coord.domain.links import Links
from coord.settings import Settings, load_settings

if TYPE_CHECKING:
    from coord.domain.catalogue import Catalogue
    from coord.feed.names import NameCatalogue
    from coord.feed.poller import Poller
    from coord.feed.repository import DeploymentRepository
    from coord.mail import MailTransport, Outbox
    from coord.octopus import OctopusClient
    from coord.store import TableStore


# Each Octopus request of a webhook's fetch: a deployment, its task and its release, so the reply
# stays inside Octopus's 10 s subscription timeout (octopus-api-checked.md §7).
QUICK_OCTOPUS_SECONDS = 2.0


@dataclass
class Services:
    """Everything the application functions use, built lazily from settings and configuration."""

    settings: Settings
    config: CoordConfig
    clock: Clock = field(default_factory=SystemClock)
    octopus_client: OctopusClient | None = None
    # How waiting work (a lock request with wait_seconds, promote --wait) pauses; tests pass a fake.
    sleep: Callable[[float], None] = time.sleep

    @cached_property
    def store(self) -> TableStore:
        from coord.store import TableStore  # noqa: PLC0415 (Azure SDK loads on first use)

        return TableStore.connect(self.settings.require_storage(), self.settings.table_prefix)

    @cached_property
    def octopus(self) -> OctopusClient:
        if self.octopus_client is not None:
            return self.octopus_client
        from coord.octopus import OctopusClient  # noqa: PLC0415

        octo = self.settings.require_octopus()
        return OctopusClient(octo.server_url, octo.api_key.get_secret_value(), octo.space)

    @cached_property
    def repo(self) -> DeploymentRepository:
        from coord.feed.repository import DeploymentRepository  # noqa: PLC0415

        return DeploymentRepository(self.store)

    @cached_property
    def names(self) -> NameCatalogue:
        from coord.feed.names import NameCatalogue  # noqa: PLC0415

        return NameCatalogue(self.store)

    @cached_property
    def mail_transport(self) -> MailTransport | None:
        """How mail leaves (settings decide), or None when no transport is configured."""
        from coord.mail import transport_from_settings  # noqa: PLC0415

        return transport_from_settings(self.settings)

    @cached_property
    def outbox(self) -> Outbox:
        """The mail outbox; with no transport configured, messages wait in it until one is."""
        from coord.mail import Outbox  # noqa: PLC0415

        return Outbox(self.store.table("outbox"), self.mail_transport or _NoTransport(), self.clock)

    @cached_property
    def poller(self) -> Poller:
        from datetime import timedelta  # noqa: PLC0415

        from coord.feed.poller import Poller, PollOptions  # noqa: PLC0415

        options = PollOptions(backfill=timedelta(days=self.settings.backfill_days))
        return Poller(self.octopus, self.repo, self.names, options)

    @cached_property
    def quick_poller(self) -> Poller:
        """A poller whose Octopus requests are tried once with a short timeout (the webhook's)."""
        from coord.feed.poller import Poller  # noqa: PLC0415

        return Poller(self._quick_octopus, self.repo, self.names)

    @cached_property
    def _quick_octopus(self) -> OctopusClient:
        if self.octopus_client is not None:
            return self.octopus_client
        import httpx  # noqa: PLC0415

        from coord.octopus import OctopusClient, RetryPolicy  # noqa: PLC0415

        octo = self.settings.require_octopus()
        return OctopusClient(
            octo.server_url,
            octo.api_key.get_secret_value(),
            octo.space,
            retry=RetryPolicy(attempts=1, timeout=QUICK_OCTOPUS_SECONDS),
            timeout=httpx.Timeout(QUICK_OCTOPUS_SECONDS),
        )

    def links(self, catalogue: Catalogue | None = None) -> Links:
        """Where readers click: Octopus's web app in this space, and coord's public URL."""
        space_id = (catalogue or self.names.load()).space_id
        return Links(self.settings.octopus_server_url, space_id, self.settings.public_url)

    def close(self) -> None:
        """Close network clients that were opened."""
        if "octopus" in self.__dict__:
            self.octopus.close()
        if "_quick_octopus" in self.__dict__:
            self._quick_octopus.close()
        if "store" in self.__dict__:
            self.store.close()


class _NoTransport:
    """Stands in while mail is not configured: every send is a temporary failure, so nothing is lost."""

    def send(self, message: object) -> None:
        from coord.mail import MailTemporaryError  # noqa: PLC0415

        msg = "mail is not configured: set COORD_MAIL_DIR, ACS_EMAIL_ENDPOINT or SMTP_HOST"
        raise MailTemporaryError(msg)


_shared: Services | None = None
_shared_lock = threading.Lock()


def shared_services() -> Services:
    """One Services per Functions worker process, built on first use from the app settings."""
    global _shared  # noqa: PLW0603 (the worker keeps module globals between invocations)
    with _shared_lock:
        if _shared is None:
            settings = load_settings()
            _shared = Services(settings=settings, config=load_config(settings.config_path))
        return _shared


def reset_shared_services() -> None:
    """Forget the shared Services, so the next use reads settings and coord.yaml again."""
    global _shared  # noqa: PLW0603
    with _shared_lock:
        if _shared is not None:
            _shared.close()
        _shared = None
