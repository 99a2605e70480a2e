"""The feed and the matrix: Octopus's events read incrementally into deployment records and the
current matrix, webhook events recorded at once, and the status view."""
