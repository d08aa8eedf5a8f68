"""Modernization rules (KZ5xx): the spelling of today's Python for what old code spells the long way."""
