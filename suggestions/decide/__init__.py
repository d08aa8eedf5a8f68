"""Decide: which suggestions may apply themselves (pure policy)."""
