"""Metering: from raw meter readings to checked 15-minute energy intervals and rollups."""
