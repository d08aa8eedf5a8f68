"""Resources rules (KZ3xx): files, temporary names and other resources handled safely."""
