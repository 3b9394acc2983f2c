"""Reads and writes of the configuration, one module per resource: `milestone_types`,
`business_hours`, `processes` (and their versions), `api_keys`, and `cases` (what a case pins from
the configuration when it starts). Every function takes a session and keyword-only arguments,
commits its own writes, and raises `SlaError`s that say what to fix; none knows about HTTP or
Temporal.
"""
