"""The "all deployed" notification: which groups are complete in an environment (pure), and its
once-only email."""
