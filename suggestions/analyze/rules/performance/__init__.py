"""Performance rules (KZ2xx): the same result with less work (membership in a list, string concatenation in a loop...)."""
