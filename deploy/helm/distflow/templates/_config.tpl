{{/*
The data of the ConfigMap and the Secret, defined once: the release's ConfigMap/Secret and the copies the
pre-install/pre-upgrade hook Job reads (hooks run before the release's own objects exist) render the same data.
Every key is a DISTFLOW_* variable of streams/settings.py, plus the sourcing-policy.json file that
DISTFLOW_SOURCING_POLICY_FILE points at.
*/}}

{{/* Mount points shared by the env vars below and the pod volumes (_pod.tpl). */}}
{{- define "distflow.policyDir" -}}/etc/distflow/policy{{- end }}
{{- define "distflow.kafkaTlsDir" -}}/etc/distflow/kafka-tls{{- end }}
{{- define "distflow.redisTlsDir" -}}/etc/distflow/redis-tls{{- end }}

{{- define "distflow.configData" -}}
{{- $kafka := .Values.kafka -}}
DISTFLOW_APP_ID: {{ .Values.appId | quote }}
DISTFLOW_LOG_LEVEL: {{ .Values.logging.level | quote }}
DISTFLOW_LOG_FORMAT: {{ .Values.logging.format | quote }}
DISTFLOW_TOPIC_PREFIX: {{ .Values.topics.prefix | quote }}
{{- with .Values.topics.partitions }}
DISTFLOW_TOPIC_PARTITIONS: {{ . | int64 | quote }}
{{- end }}
DISTFLOW_TOPIC_REPLICATION_FACTOR: {{ .Values.topics.replicationFactor | int64 | quote }}
DISTFLOW_KAFKA_BOOTSTRAP_SERVERS: {{ $kafka.bootstrapServers | quote }}
DISTFLOW_KAFKA_SECURITY_PROTOCOL: {{ $kafka.securityProtocol | quote }}
{{- with $kafka.sasl.mechanism }}
DISTFLOW_KAFKA_SASL_MECHANISM: {{ . | quote }}
{{- end }}
{{- with $kafka.sasl.username }}
DISTFLOW_KAFKA_SASL_USERNAME: {{ . | quote }}
{{- end }}
{{- if $kafka.tls.existingSecret }}
{{- with $kafka.tls.caKey }}
DISTFLOW_KAFKA_SSL_CA_LOCATION: {{ printf "%s/%s" (include "distflow.kafkaTlsDir" $) . | quote }}
{{- end }}
{{- with $kafka.tls.certKey }}
DISTFLOW_KAFKA_SSL_CERTIFICATE_LOCATION: {{ printf "%s/%s" (include "distflow.kafkaTlsDir" $) . | quote }}
{{- end }}
{{- with $kafka.tls.keyKey }}
DISTFLOW_KAFKA_SSL_KEY_LOCATION: {{ printf "%s/%s" (include "distflow.kafkaTlsDir" $) . | quote }}
{{- end }}
{{- end }}
DISTFLOW_KAFKA_SESSION_TIMEOUT_MS: {{ $kafka.sessionTimeoutMs | int64 | quote }}
DISTFLOW_KAFKA_HEARTBEAT_INTERVAL_MS: {{ $kafka.heartbeatIntervalMs | int64 | quote }}
DISTFLOW_KAFKA_MAX_POLL_INTERVAL_MS: {{ $kafka.maxPollIntervalMs | int64 | quote }}
DISTFLOW_KAFKA_FETCH_WAIT_MAX_MS: {{ $kafka.fetchWaitMaxMs | int64 | quote }}
DISTFLOW_KAFKA_IDEMPOTENT_PRODUCER: {{ $kafka.idempotentProducer | quote }}
DISTFLOW_EXACTLY_ONCE: {{ $kafka.exactlyOnce | quote }}
{{- with .Values.schemaRegistry.url }}
DISTFLOW_SCHEMA_REGISTRY_URL: {{ . | quote }}
{{- end }}
DISTFLOW_REDIS_KEY_PREFIX: {{ .Values.redis.keyPrefix | quote }}
{{- if .Values.redis.tls.existingSecret }}
DISTFLOW_REDIS_TLS_CA_FILE: {{ printf "%s/%s" (include "distflow.redisTlsDir" .) .Values.redis.tls.caKey | quote }}
{{- end }}
DISTFLOW_STATE_DIR: {{ .Values.worker.stateDir | quote }}
DISTFLOW_WORKER_METRICS_PORT: {{ .Values.worker.port | int64 | quote }}
DISTFLOW_BATCH_MAX_RECORDS: {{ .Values.worker.batchMaxRecords | int64 | quote }}
DISTFLOW_BATCH_MAX_BYTES: {{ .Values.worker.batchMaxBytes | int64 | quote }}
DISTFLOW_BATCH_POLL_TIMEOUT_MS: {{ .Values.worker.batchPollTimeoutMs | int64 | quote }}
DISTFLOW_HANDOFF_IN_PROCESS: {{ .Values.worker.handoffInProcess | quote }}
DISTFLOW_HANDOFF_MAX_PER_BATCH: {{ .Values.worker.handoffMaxPerBatch | int64 | quote }}
DISTFLOW_DEDUPE_WINDOW_MS: {{ .Values.worker.dedupeWindowMs | int64 | quote }}
DISTFLOW_DEDUPE_WINDOW_MAX_IDS: {{ .Values.worker.dedupeWindowMaxIds | int64 | quote }}
DISTFLOW_SNAPSHOT_FLUSH_INTERVAL_MS: {{ .Values.worker.snapshotFlushIntervalMs | int64 | quote }}
DISTFLOW_SNAPSHOT_REDIS_TIMEOUT_MS: {{ .Values.worker.snapshotRedisTimeoutMs | int64 | quote }}
DISTFLOW_SNAPSHOT_HEARTBEAT_INTERVAL_MS: {{ .Values.worker.snapshotHeartbeatIntervalMs | int64 | quote }}
DISTFLOW_API_HOST: "0.0.0.0"
DISTFLOW_API_PORT: {{ .Values.api.port | int64 | quote }}
DISTFLOW_API_RATE_LIMIT_PER_S: {{ .Values.api.rateLimitPerSecond | quote }}
DISTFLOW_API_RATE_LIMIT_BURST: {{ .Values.api.rateLimitBurst | int64 | quote }}
DISTFLOW_API_READ_YOUR_WRITES_WAIT_MS: {{ .Values.api.readYourWritesWaitMs | int64 | quote }}
DISTFLOW_API_CHANNELS: {{ .Values.api.channels | quote }}
DISTFLOW_API_BATCH_MAX_SKUS: {{ .Values.api.batchMaxSkus | int64 | quote }}
DISTFLOW_API_REDIS_TIMEOUT_MS: {{ .Values.api.redisTimeoutMs | int64 | quote }}
DISTFLOW_API_NEAR_CACHE_ENTRIES: {{ .Values.api.nearCacheEntries | int64 | quote }}
DISTFLOW_API_NEAR_CACHE_REFRESH_AHEAD: {{ .Values.api.nearCacheRefreshAhead | quote }}
DISTFLOW_SLA_ORDER_ACCEPTANCE_SECONDS: {{ .Values.sla.orderAcceptanceSeconds | int64 | quote }}
DISTFLOW_SLA_ALLOCATION_SECONDS: {{ .Values.sla.allocationSeconds | int64 | quote }}
DISTFLOW_SLA_SHIPMENT_CONFIRMATION_SECONDS: {{ .Values.sla.shipmentConfirmationSeconds | int64 | quote }}
DISTFLOW_SLA_RETURN_COMPLETION_SECONDS: {{ .Values.sla.returnCompletionSeconds | int64 | quote }}
DISTFLOW_CREDIT_HOLD_TIMEOUT_SECONDS: {{ .Values.sla.creditHoldTimeoutSeconds | int64 | quote }}
DISTFLOW_HELD_FACT_TIMEOUT_SECONDS: {{ .Values.sla.heldFactTimeoutSeconds | int64 | quote }}
DISTFLOW_ERP_RATE_LIMIT_PER_S: {{ .Values.erp.rateLimitPerSecond | quote }}
DISTFLOW_ERP_RATE_LIMIT_BURST: {{ .Values.erp.rateLimitBurst | int64 | quote }}
DISTFLOW_EXCEPTION_ROUTING: {{ .Values.exceptions.routing | quote }}
DISTFLOW_SOURCING_POLICY_FILE: {{ printf "%s/sourcing-policy.json" (include "distflow.policyDir" .) | quote }}
sourcing-policy.json: |
  {{- $policy := .Values.sourcingPolicy }}
  {{- $file := dict
      "location_priority" $policy.locationPriority
      "max_locations_per_line" $policy.maxLocationsPerLine
      "drop_ship_skus" $policy.dropShip.skus
      "drop_ship_suppliers" $policy.dropShip.suppliers
      "lead_time_days_by_location" $policy.leadTimeDays.byLocation
      "lead_time_days_by_supplier" $policy.leadTimeDays.bySupplier }}
  {{- $file | toPrettyJson | nindent 2 }}
{{- end }}

{{/* Secret data: base64 values keyed by DISTFLOW_* name; empty values are left out. */}}
{{- define "distflow.secretData" -}}
{{- $s := .Values.secrets }}
{{- $byEnv := dict
    "DISTFLOW_REDIS_URL" $s.redisUrl
    "DISTFLOW_REDIS_PASSWORD" $s.redisPassword
    "DISTFLOW_KAFKA_SASL_PASSWORD" $s.kafkaSaslPassword
    "DISTFLOW_KAFKA_SSL_KEY_PASSWORD" $s.kafkaSslKeyPassword
    "DISTFLOW_SCHEMA_REGISTRY_BASIC_AUTH" $s.schemaRegistryBasicAuth
    "DISTFLOW_API_KEYS" $s.apiKeys }}
{{- range $name, $value := $byEnv }}
{{- if $value }}
{{ $name }}: {{ $value | b64enc | quote }}
{{- end }}
{{- end }}
{{- end }}
