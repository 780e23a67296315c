{{/*
Pod parts shared by the worker, the API and the topics-apply hook Job.
*/}}

{{/*
Volumes: /tmp (the root filesystem is read-only), the sourcing policy file, and the TLS Secrets when configured.
Usage: include "distflow.podVolumes" (dict "root" $ "configName" <ConfigMap holding sourcing-policy.json>)
*/}}
{{- define "distflow.podVolumes" -}}
{{- $values := .root.Values -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ $values.tmpSizeLimit }}
- name: policy
  configMap:
    name: {{ .configName }}
    items:
      - key: sourcing-policy.json
        path: sourcing-policy.json
{{- with $values.kafka.tls.existingSecret }}
- name: kafka-tls
  secret:
    secretName: {{ . }}
    defaultMode: 0440
{{- end }}
{{- with $values.redis.tls.existingSecret }}
- name: redis-tls
  secret:
    secretName: {{ . }}
    defaultMode: 0440
{{- end }}
{{- end }}

{{/* The mounts of the volumes above. Usage: include "distflow.volumeMounts" $ */}}
{{- define "distflow.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: policy
  mountPath: {{ include "distflow.policyDir" . }}
  readOnly: true
{{- if .Values.kafka.tls.existingSecret }}
- name: kafka-tls
  mountPath: {{ include "distflow.kafkaTlsDir" . }}
  readOnly: true
{{- end }}
{{- if .Values.redis.tls.existingSecret }}
- name: redis-tls
  mountPath: {{ include "distflow.redisTlsDir" . }}
  readOnly: true
{{- end }}
{{- end }}
