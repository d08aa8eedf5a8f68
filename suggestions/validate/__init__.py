"""Validate: sandbox copies, confinement, test selection and the validator."""
