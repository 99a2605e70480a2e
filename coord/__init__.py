"""coord: coordinates many Octopus Deploy projects from Azure Functions."""

__version__ = "0.1.0"
