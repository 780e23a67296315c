"""The worker's stages, by owned state: intake (validate, dead-letter, re-key), inventory (SKU owner)."""
