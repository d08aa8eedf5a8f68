"""Structure rules (KZ7xx): the shape of the code, in every language (long or complex functions, duplicate blocks)."""
