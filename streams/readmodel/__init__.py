"""The checkout read model in Redis: item master, prices and customer accounts, written by the worker in one
pipeline per batch (newer as-of wins, inside Redis), read by the API. See docs/checkout.md."""
