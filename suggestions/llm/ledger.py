"""The LLM's tables in the project store: the response cache and the usage ledger.

Neither holds the API key: the cache is keyed by a hash of the model, endpoint and
prompt, and the ledger records token counts and cost only.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass

from suggestions.store import Store

__all__ = ["Ledger", "Usage", "prompt_key"]

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE llm_cache (
        key TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        reply TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE llm_usage (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        day TEXT NOT NULL,
        base_url TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        cost REAL NOT NULL DEFAULT 0,
        cached INTEGER NOT NULL DEFAULT 0,
        target TEXT NOT NULL DEFAULT '',
        outcome TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX llm_usage_day ON llm_usage(day);
    """,
)


def prompt_key(base_url: str, model: str, messages: list[dict[str, str]], variant: int) -> str:
    """The cache key: the same prompt to the same model (and candidate number) hits."""
    blob = json.dumps([base_url, model, messages, variant], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


def today() -> str:
    return time.strftime("%Y-%m-%d", time.localtime())


@dataclass(frozen=True)
class Usage:
    """Today's use of the LLM, for display."""

    day: str
    requests: int
    cached: int
    prompt_tokens: int
    completion_tokens: int
    cost: float
    budget: int  # 0: no limit
    priced: bool  # False when no price is configured (cost is then 0 and meaningless)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def remaining(self) -> int | None:
        return None if not self.budget else max(0, self.budget - self.total_tokens)

    def describe(self) -> str:
        budget = f" of {self.budget:,}" if self.budget else ""
        cost = f", ${self.cost:.4f}" if self.priced else ""
        return (
            f"LLM today: {self.total_tokens:,}{budget} tokens ({self.prompt_tokens:,} in, "
            f"{self.completion_tokens:,} out){cost}; {self.requests} request(s), {self.cached} from cache"
        )


class Ledger:
    def __init__(self, store: Store, *, budget: int = 0, price_input: float = 0.0,
                 price_output: float = 0.0) -> None:
        self.store = store
        self.budget = budget
        self.price_input = price_input
        self.price_output = price_output
        store.ensure_schema("llm", MIGRATIONS)

    # --- cache ----------------------------------------------------------------------------

    def cached(self, key: str) -> tuple[str, int, int, str] | None:
        rows = self.store.execute(
            "SELECT reply, prompt_tokens, completion_tokens, model FROM llm_cache WHERE key=?", (key,)
        )
        if not rows:
            return None
        r = rows[0]
        return str(r[0]), int(r[1]), int(r[2]), str(r[3])

    def put_cache(self, key: str, model: str, reply: str, prompt_tokens: int, completion_tokens: int) -> None:
        self.store.execute(
            "INSERT OR REPLACE INTO llm_cache(key, model, reply, prompt_tokens, completion_tokens, created_at)"
            " VALUES(?,?,?,?,?,?)",
            (key, model, reply, prompt_tokens, completion_tokens, time.time()),
        )

    # --- usage ----------------------------------------------------------------------------

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.price_input + completion_tokens * self.price_output) / 1_000_000

    def record(self, *, base_url: str, model: str, prompt_tokens: int, completion_tokens: int,
               cached: bool = False, target: str = "", outcome: str = "") -> None:
        cost = 0.0 if cached else self.cost(prompt_tokens, completion_tokens)
        self.store.execute(
            "INSERT INTO llm_usage(at, day, base_url, model, prompt_tokens, completion_tokens, cost, cached,"
            " target, outcome) VALUES(?,?,?,?,?,?,?,?,?,?)",
            (time.time(), today(), base_url, model, 0 if cached else prompt_tokens,
             0 if cached else completion_tokens, cost, int(cached), target, outcome),
        )

    def usage_today(self) -> Usage:
        day = today()
        r = self.store.execute(
            "SELECT COUNT(*), COALESCE(SUM(cached), 0), COALESCE(SUM(prompt_tokens), 0),"
            " COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(cost), 0) FROM llm_usage WHERE day=?",
            (day,),
        )[0]
        return Usage(day, int(r[0]), int(r[1]), int(r[2]), int(r[3]), float(r[4]), self.budget,
                     bool(self.price_input or self.price_output))

    def budget_left(self) -> int | None:
        """Tokens left today, ``None`` when there is no budget."""
        return self.usage_today().remaining
