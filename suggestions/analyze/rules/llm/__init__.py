"""Llm rules (KZ9xx): what a model is asked to fix; declarations here, targets in ``suggestions/llm/targets.py``.

KZ905 (improvement of code picked by hand) is retired: nothing in the product made those
targets, so it was removed. Codes are never reused; the next LLM rule is KZ906.
"""
