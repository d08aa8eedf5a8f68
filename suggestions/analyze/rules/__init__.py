"""One file per rule, ``<folder>/<slug>.py``: the file name is the rule's slug, the folder its
category. Discovered by walking this package and its folders; the ``_*.py`` modules here are
helpers shared by several rules.

Codes by folder: KZ1xx ``correctness/``, KZ2xx ``performance/``, KZ3xx ``resources/``,
KZ4xx ``simplification/``, KZ5xx ``modernization/``, KZ6xx ``style/``, KZ7xx ``structure/``
(every language), KZ8xx ``runtime/`` (from traces), KZ9xx ``llm/`` (a model's fixes).
A published code is never reused.
"""
