"""A bounded per-process store of things built from a key that names everything they depend on
(the SQL of a user's lists, a rendered menu or filter drawer): the least recently used goes
first when full.

Nothing in it can go stale by construction, because the key is the whole input; what it saves is
the building (issue 13, docs/performance.md). Safe to share between threads: a lost race builds
the same thing twice.
"""

from collections.abc import Callable, Hashable


class Kept:
    def __init__(self, size: int):
        self.size = size
        self._items: dict = {}

    def get(self, key: Hashable, build: Callable):
        value = self._items.pop(key, None)
        if value is not None:
            self._items[key] = value  # used again: the newest, so the last to go
        else:
            value = build()
            if len(self._items) >= self.size:
                try:
                    self._items.pop(next(iter(self._items)), None)
                except (RuntimeError, StopIteration):  # another thread changed it meanwhile
                    pass
            self._items[key] = value
        return value

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
