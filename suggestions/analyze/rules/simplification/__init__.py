"""Simplification rules (KZ4xx): the same meaning in fewer, plainer words."""
