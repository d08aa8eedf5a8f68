"""LLM suggestions through any OpenAI-compatible endpoint, validated like everything else."""

from suggestions.llm.engine import LLMEngine, LLMProgress, best_validated, keep_best
from suggestions.llm.ledger import Usage
from suggestions.llm.provider import Endpoint, LLMError, resolve_endpoint
from suggestions.llm.replies import ReplyRejected, make_patch, parse_reply
from suggestions.llm.secrets import Redactor, is_secret_file, redact
from suggestions.llm.targets import Target

__all__ = [
    "Endpoint",
    "LLMEngine",
    "LLMError",
    "LLMProgress",
    "Redactor",
    "ReplyRejected",
    "Target",
    "Usage",
    "best_validated",
    "is_secret_file",
    "keep_best",
    "make_patch",
    "parse_reply",
    "redact",
    "resolve_endpoint",
]
