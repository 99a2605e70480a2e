"""What people read: the Jinja2 templates of coord's emails and pages, CSS inlined for email clients,
and the words and colours every view uses for a task state."""
