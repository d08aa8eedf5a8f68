"""Runtime rules (KZ8xx): what the latest trace shows; declarations here, detection in ``suggestions/analyze/runtime.py``."""
