"""Product carbon footprints (GB/T 24067-2024, ISO 14067:2018) from the factory's own data."""
