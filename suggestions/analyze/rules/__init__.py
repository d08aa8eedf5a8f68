"""One file per rule; the file name is the rule's slug. Discovered by walking this package.

Codes by category: KZ1xx correctness, KZ2xx performance, KZ3xx resources,
KZ4xx simplification, KZ5xx modernization, KZ6xx style, KZ7xx structure (every language),
KZ8xx runtime (from traces), KZ9xx LLM. A published code is never reused.
"""
