"""How every part of the system reaches Temporal: the connection (`client`: settings, a client
with the contract's data converter, search-attribute registration) and, for development and
tests, a local Temporal server (`dev_server`)."""
