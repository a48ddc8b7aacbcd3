"""Organisation design: the seeds' org models as data, the stage advisor, org chart lint and
rendering, and structure health from the store (DOMAIN.md §5; docs/org.md)."""
