"""Kaizen's validation plugin for pytest (a package only so that it is installed with Kaizen)."""
