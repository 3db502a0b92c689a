"""Postman."""


def looks_like(data):
    return isinstance(data, dict) and "info" in data and "item" in data
