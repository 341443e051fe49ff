"""The zero-carbon-factory evaluation: rule sets as data, their evaluation on facts, and the
hourly matching of consumption with carbon-free supply (pure: no database, no web)."""
