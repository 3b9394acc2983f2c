"""The config database: engines and sessions, the tables, and the migrations that own the schema.

Shared by the config service (`api`) and the action handlers (`activities`, for the delivery
log), so neither imports the other. Knows nothing of HTTP or Temporal.
"""
