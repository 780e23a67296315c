"""The storefront HTTP API: answers from the Redis snapshot only, authenticated, rate-limited, self-describing."""
