"""The storefront's availability read model in Redis: one entry per SKU, written by the workers, read by the API."""
