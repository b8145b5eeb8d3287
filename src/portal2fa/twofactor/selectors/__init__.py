"""Reads: what pages and the CLI show. No writes here."""
