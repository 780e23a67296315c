import uuid


def unique(prefix: str) -> str:
    """A fresh id, so tests sharing one broker or Redis never collide."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
