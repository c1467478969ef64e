{{/*
The chart's name.
*/}}
{{- define "diffusion-service.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
A fully qualified app name, cut at 63 characters because some Kubernetes name fields are limited to that.
If the release name contains the chart name it is used as the full name.
*/}}
{{- define "diffusion-service.fullname" -}}
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

{{/*
Chart name and version, as used by the chart label.
*/}}
{{- define "diffusion-service.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "diffusion-service.labels" -}}
helm.sh/chart: {{ include "diffusion-service.chart" . }}
{{ include "diffusion-service.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels shared by both roles; each Deployment adds app.kubernetes.io/component.
*/}}
{{- define "diffusion-service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "diffusion-service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The service account's name.
*/}}
{{- define "diffusion-service.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "diffusion-service.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Images: API pods run the CPU image, worker pods the CUDA one.
*/}}
{{- define "diffusion-service.apiImage" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "diffusion-service.workerImage" -}}
{{- printf "%s:%s" .Values.image.repository (default (printf "%s-cuda" .Chart.AppVersion) .Values.image.workerTag) }}
{{- end }}

{{/*
Redis: the Bitnami subchart's primary (named as that chart names it) or the external one.
*/}}
{{- define "diffusion-service.redisFullname" -}}
{{- if contains "redis" .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-redis" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "diffusion-service.redisHost" -}}
{{- if .Values.redis.enabled }}
{{- printf "%s-master" (include "diffusion-service.redisFullname" .) }}
{{- else }}
{{- required "externalRedis.host is required when redis.enabled is false" .Values.externalRedis.host }}
{{- end }}
{{- end }}

{{- define "diffusion-service.redisPort" -}}
{{- if .Values.redis.enabled }}6379{{ else }}{{ .Values.externalRedis.port }}{{ end }}
{{- end }}

{{/*
The Secret and key holding the Redis password; empty when Redis has none.
*/}}
{{- define "diffusion-service.redisSecretName" -}}
{{- if .Values.redis.enabled }}
{{- if .Values.redis.auth.enabled }}{{ include "diffusion-service.redisFullname" . }}{{ end }}
{{- else }}
{{- .Values.externalRedis.existingSecret }}
{{- end }}
{{- end }}

{{- define "diffusion-service.redisSecretKey" -}}
{{- if .Values.redis.enabled }}redis-password{{ else }}{{ .Values.externalRedis.existingSecretPasswordKey }}{{ end }}
{{- end }}

{{/*
Environment of both roles: the queue on Redis. KEDA reads the same variables from the worker Deployment.
*/}}
{{- define "diffusion-service.redisEnv" -}}
- name: DIFFUSION_QUEUE_BACKEND
  value: redis
- name: SPRING_DATA_REDIS_HOST
  value: {{ include "diffusion-service.redisHost" . | quote }}
- name: SPRING_DATA_REDIS_PORT
  value: {{ include "diffusion-service.redisPort" . | quote }}
{{- with include "diffusion-service.redisSecretName" . }}
- name: SPRING_DATA_REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ include "diffusion-service.redisSecretKey" $ }}
{{- end }}
{{- end }}

{{/*
Volumes of both roles: the settings, the models, and writable folders under a read-only root file system
(/tmp for Tomcat and the fused-attention copy of a network while it loads, /app/cache for the native libraries
DJL unpacks).
*/}}
{{- define "diffusion-service.volumes" -}}
- name: config
  configMap:
    name: {{ include "diffusion-service.fullname" . }}
- name: tmp
  emptyDir: {}
- name: cache
  emptyDir: {}
{{- if .Values.models.persistence.enabled }}
- name: models
  persistentVolumeClaim:
    claimName: {{ default (printf "%s-models" (include "diffusion-service.fullname" .)) .Values.models.persistence.existingClaim }}
    readOnly: true
{{- end }}
{{- end }}

{{- define "diffusion-service.volumeMounts" -}}
- name: config
  mountPath: /app/config
  readOnly: true
- name: tmp
  mountPath: /tmp
- name: cache
  mountPath: /app/cache
{{- if .Values.models.persistence.enabled }}
- name: models
  mountPath: /app/models
  readOnly: true
{{- end }}
{{- end }}

{{/* The Secret that holds the API keys: the user's, or the one the chart makes */}}
{{- define "diffusion-service.apiKeysSecret" -}}
{{- .Values.apiKeys.existingSecret | default (printf "%s-api-keys" (include "diffusion-service.fullname" .)) -}}
{{- end }}
