"""Mockoon."""


def looks_like(data):
    return isinstance(data, dict) and "routes" in data and "lastMigration" in data
