"""Scheduled slots: cron in a time zone with its DST rules and deny windows (pure), and the `slots`
table where each slot is claimed once and missed ones are recorded as skipped."""
