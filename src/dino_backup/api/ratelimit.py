"""Rate limits per user and client address, with the `limits` package.

Buckets: `read` (generous), `mutation`, `restore` (strictest). Storage is in memory unless
RATE_LIMIT_STORAGE_URL names a Redis server, which several API instances then share.
"""

from __future__ import annotations

import math
import time
from typing import cast

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool

from .errors import RateLimited, Unavailable


def make_storage(url: str, prefix: str) -> Storage:
    if url.startswith(("redis://", "rediss://", "redis+")):
        return cast(Storage, storage_from_string(url, key_prefix=prefix, wrap_exceptions=True))
    return cast(Storage, storage_from_string(url))


class RateLimits:
    def __init__(self, limits: dict[str, str], storage: Storage) -> None:
        self.items: dict[str, RateLimitItem] = {b: parse(v) for b, v in limits.items()}
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)

    def _hit(self, bucket: str, *who: str) -> int | None:
        """None when within the limit, else seconds until a request is allowed again."""
        item = self.items[bucket]
        if self.limiter.hit(item, bucket, *who):
            return None
        reset_at = self.limiter.get_window_stats(item, bucket, *who).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    async def check(self, bucket: str, user_id: str, client: str) -> None:
        try:
            retry_after = await run_in_threadpool(self._hit, bucket, user_id, client)
        except StorageError:
            # Fail closed: without its budget store the API cannot tell abuse from use.
            raise Unavailable("Rate limit storage unreachable; try again later") from None
        if retry_after is not None:
            raise RateLimited(
                f"Rate limit exceeded for {bucket} requests ({self.items[bucket]}); "
                f"retry in {retry_after} s",
                headers={"Retry-After": str(retry_after)},
            )
