"""Llm rules (KZ9xx): what a model is asked to fix; declarations here, targets in ``suggestions/llm/targets.py``."""
