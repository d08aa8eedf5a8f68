"""Rank: ordering suggestions by worth and the learned prior."""
