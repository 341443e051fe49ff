"""The carbon-asset ledger's rules (pure: no database, no web): kinds of holding, serial
ranges, and the claim-period rules kept as data with their sources."""
