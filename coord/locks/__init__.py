"""Cooperating projects: fair named locks and gates that Octopus deployments ask over HTTP.

The decisions (`fair`, `gates`) are pure and import nothing of Table Storage; the `locks` table
(`table`, `history`) and `service` hold the I/O.
"""
