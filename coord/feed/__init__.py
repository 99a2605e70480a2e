"""The feed and the matrix: Octopus's events read incrementally into deployment records, the
current matrix, the webhook receiver's parsing, and the status view."""
