"""What the `sla` CLI (cli.py) and the demo (demo.py) share: the HTTP client of the SLA API
(`terminal.client`) and the human rendering of its answers with rich (`terminal.render`); and, for
the CLI only, what its commands share (`terminal.options`) and its admin commands, `keys`,
`types`, `processes` and `records` (`terminal.admin`)."""
