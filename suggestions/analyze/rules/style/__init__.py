"""Style rules (KZ6xx): small things readers trip on (semicolons, redundant `pass`...)."""
