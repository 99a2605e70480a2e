"""The daily deployment report: its model (pure), its rendering, and the job that sends it."""
