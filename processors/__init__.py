"""Pure domain logic: no Kafka, Redis, clock or randomness. Functions take state and facts, return new state and decisions."""
