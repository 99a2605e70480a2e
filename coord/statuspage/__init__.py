"""The live status page: each group by environment, runs in progress, held locks and the age of the data."""
