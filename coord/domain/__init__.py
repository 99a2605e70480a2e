"""The vocabulary every capability shares, all pure: release versions as Octopus orders them, cron
schedules in a time zone, the space's names, and deployment records with the matrix cells they fill."""
