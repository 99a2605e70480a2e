"""coord's own records in Table Storage: deployments, the current matrix, the poll cursor."""

from coord.state.deployments import DeploymentRepository
from coord.state.names import NameCatalogue

__all__ = ["DeploymentRepository", "NameCatalogue"]
