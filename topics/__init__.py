"""The public contract: topic catalog, Avro schemas and the Confluent wire format. Importable without Kafka."""
