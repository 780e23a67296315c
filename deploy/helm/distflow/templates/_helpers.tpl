{{/*
Names and labels, computed once here and only included elsewhere.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "distflow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, truncated to 63 characters (DNS label limit).
A release name that already contains the chart name is used as is.
*/}}
{{- define "distflow.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Component names: room is left for the longest suffix ("-worker-headless", 16 characters). */}}
{{- define "distflow.workerName" -}}
{{- printf "%s-worker" (include "distflow.fullname" . | trunc 47 | trimSuffix "-") }}
{{- end }}

{{- define "distflow.workerHeadlessName" -}}
{{- printf "%s-headless" (include "distflow.workerName" .) }}
{{- end }}

{{- define "distflow.apiName" -}}
{{- printf "%s-api" (include "distflow.fullname" . | trunc 47 | trimSuffix "-") }}
{{- end }}

{{- define "distflow.configName" -}}
{{- printf "%s-config" (include "distflow.fullname" . | trunc 47 | trimSuffix "-") }}
{{- end }}

{{- define "distflow.topicsApplyName" -}}
{{- printf "%s-topics-apply" (include "distflow.fullname" . | trunc 47 | trimSuffix "-") }}
{{- end }}

{{- define "distflow.dashboardName" -}}
{{- printf "%s-dashboard" (include "distflow.fullname" . | trunc 47 | trimSuffix "-") }}
{{- end }}

{{/* The Secret holding DISTFLOW_* secret env vars: secrets.existingSecret, or the one this chart creates. */}}
{{- define "distflow.secretName" -}}
{{- default (include "distflow.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "distflow.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "distflow.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* chart label value: name-version */}}
{{- define "distflow.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "distflow.labels" -}}
helm.sh/chart: {{ include "distflow.chart" . }}
{{ include "distflow.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: distflow
{{- end }}

{{/* Selector labels shared by all components; add distflow.componentLabel to tell them apart. */}}
{{- define "distflow.selectorLabels" -}}
app.kubernetes.io/name: {{ include "distflow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Usage: include "distflow.componentLabel" "worker" */}}
{{- define "distflow.componentLabel" -}}
app.kubernetes.io/component: {{ . }}
{{- end }}

{{/* The container image reference. */}}
{{- define "distflow.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
