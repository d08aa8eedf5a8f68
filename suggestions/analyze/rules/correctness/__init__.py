"""Correctness rules (KZ1xx): code that does not do what it says (bare except, mutable defaults, `is` with literals...)."""
