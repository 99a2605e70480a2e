"""Promotion runs: the run model, the runner state machine, its storage, the tick jobs and the routes."""
