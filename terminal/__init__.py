"""What the `sla` CLI (cli.py) and the demo (demo.py) share: the HTTP client of the SLA API
(`terminal.client`) and the human rendering of its answers with rich (`terminal.render`)."""
