"""The vocabulary every capability shares, all pure: release versions as Octopus orders them, the
space's names, and deployment records with the matrix cells they fill."""
