"""What every command gets besides its arguments: the time, settings, configuration and the console."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from coord.clock import Clock, FixedClock, SystemClock
from coord.config import CoordConfig, load_config
from coord.entrypoints.cli.output import Console
from coord.settings import Settings, load_settings


@dataclass
class CliContext:
    """Settings and configuration load on first use, so a command pays only for what it reads."""

    console: Console
    now_override: datetime | None = None
    config_override: Path | None = None
    debug: bool = False
    environ: dict[str, str] | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _config: CoordConfig | None = field(default=None, repr=False)

    @property
    def clock(self) -> Clock:
        """`--now` as a clock that stands still, else the real clock."""
        return FixedClock(self.now_override) if self.now_override else SystemClock()

    @property
    def now(self) -> datetime:
        """The time coord believes it is (aware, UTC)."""
        return self.clock.now()

    def settings(self) -> Settings:
        """The settings from the environment (raises SettingsError)."""
        if self._settings is None:
            self._settings = load_settings(self.environ)
        return self._settings

    @property
    def config_path(self) -> Path:
        """`--config`, else COORD_CONFIG, else coord.yaml beside function_app.py."""
        return self.config_override or self.settings().config_path

    def config(self) -> CoordConfig:
        """The validated coord.yaml (raises ConfigError)."""
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config
