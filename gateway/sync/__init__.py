"""The sync engine: the only way data enters the canonical store."""
