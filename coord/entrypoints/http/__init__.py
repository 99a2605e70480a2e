"""The HTTP functions: Functions requests to coord's own request and response types, then one module
per capability."""
