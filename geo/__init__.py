"""Geoprocessing for Corridor Atlas: reading, validating and measuring layers (no map or UI code)."""
