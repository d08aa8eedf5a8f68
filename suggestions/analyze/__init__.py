"""Analyze: the rules, the engine that runs them, scans, cross-file duplicates, runtime rules."""
