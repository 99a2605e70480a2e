"""coord.yaml: validated models, loading with field-path errors, and name checks against Octopus (pure).

Reading happens in two passes: pydantic checks each field (types, unknown keys, cron, zone,
durations, versions), then `reference_problems` checks what spans fields (groups that exist,
dependencies inside their group, cycles, duplicate names). Project and environment names are
resolved against Octopus separately, by `resolve_names`, because that needs the server.
"""

from coord.config.fields import DependencySpec, format_duration, parse_dependency, parse_duration
from coord.config.loading import load_config, parse_config, problems_from_validation
from coord.config.models import (
    AllDeployedRule,
    CoordConfig,
    DenyWindow,
    Group,
    MailConfig,
    Notify,
    Promotion,
    PromotionNotice,
    ReportConfig,
)
from coord.config.problems import ConfigError, ConfigProblem, format_path
from coord.config.references import Named, lookup, reference_problems, resolve_names

__all__ = [
    "AllDeployedRule",
    "ConfigError",
    "ConfigProblem",
    "CoordConfig",
    "DenyWindow",
    "DependencySpec",
    "Group",
    "MailConfig",
    "Named",
    "Notify",
    "Promotion",
    "PromotionNotice",
    "ReportConfig",
    "format_duration",
    "format_path",
    "load_config",
    "lookup",
    "parse_config",
    "parse_dependency",
    "parse_duration",
    "problems_from_validation",
    "reference_problems",
    "resolve_names",
]
