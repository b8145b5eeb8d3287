"""Writes. One use case per function, one transaction each, audit event included."""
