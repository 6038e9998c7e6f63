{{/* Chart name. */}}
{{- define "tributary.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Resource name prefix: the release name, plus the chart name unless it contains it. Kept short
enough that "<fullname>-coordinator-<hash>-<hash>" stays within 63 characters. */}}
{{- define "tributary.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else if contains (include "tributary.name" .) .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "tributary.name" .) | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* Tributary's cluster.name. */}}
{{- define "tributary.clusterName" -}}
{{- default .Release.Name .Values.clusterName }}
{{- end }}

{{- define "tributary.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "tributary.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tributary
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of one component: call with (dict "root" $ "component" "broker"). */}}
{{- define "tributary.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tributary.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "tributary.componentLabels" -}}
{{ include "tributary.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "tributary.image" -}}
{{ printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "tributary.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tributary.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "tributary.brokerHeadless" -}}
{{ include "tributary.fullname" . }}-broker-headless
{{- end }}

{{- define "tributary.etcdHeadless" -}}
{{ include "tributary.fullname" . }}-etcd-headless
{{- end }}

{{- define "tributary.bootstrap" -}}
{{ include "tributary.fullname" . }}-bootstrap
{{- end }}

{{/* etcd client URLs: the release's own members, or externalEtcd.endpoints. */}}
{{- define "tributary.etcdEndpoints" -}}
{{- if .Values.etcd.enabled }}
{{- $urls := list }}
{{- range $i := until (int .Values.etcd.replicas) }}
{{- $urls = append $urls (printf "%s://%s-etcd-%d.%s.%s.svc.%s:2379" (ternary "https" "http" $.Values.tls.enabled) (include "tributary.fullname" $) $i (include "tributary.etcdHeadless" $) $.Release.Namespace $.Values.clusterDomain) }}
{{- end }}
{{- join "," $urls }}
{{- else }}
{{- required "etcd.enabled is false: set externalEtcd.endpoints" (join "," .Values.externalEtcd.endpoints) }}
{{- end }}
{{- end }}

{{/* Bootstrap list for clients inside the cluster. */}}
{{- define "tributary.bootstrapAddress" -}}
{{ include "tributary.bootstrap" . }}.{{ .Release.Namespace }}.svc.{{ .Values.clusterDomain }}:{{ .Values.broker.port }}
{{- end }}

{{/* Pod-level security context: the "restricted" Pod Security Standard. */}}
{{- define "tributary.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.fsGroup }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Container-level security context: no privilege, no capability, read-only root. */}}
{{- define "tributary.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Environment every Tributary service reads: cluster, etcd, bind address, logging, OTEL_*. */}}
{{- define "tributary.commonEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
- name: TRIBUTARY_CLUSTER_NAME
  value: {{ include "tributary.clusterName" . | quote }}
- name: TRIBUTARY_ETCD_ENDPOINTS
  value: {{ include "tributary.etcdEndpoints" . | quote }}
- name: TRIBUTARY_HOST
  value: "0.0.0.0"
- name: TRIBUTARY_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: TRIBUTARY_LEASE_TTL_SECONDS
  value: {{ .Values.leaseTtlSeconds | quote }}
{{- if .Values.metrics.enabled }}
- name: TRIBUTARY_METRICS_PORT
  value: {{ .Values.metrics.port | quote }}
{{- end }}
{{- include "tributary.otelEnv" . }}
{{- end }}

{{- define "tributary.otelEnv" -}}
{{- range $name, $value := .Values.otelEnv }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}

{{/* A service's extra settings (map of setting name to value) as TRIBUTARY_* variables. */}}
{{- define "tributary.settingsEnv" -}}
{{- range $key, $value := . }}
- name: {{ printf "TRIBUTARY_%s" (regexReplaceAll "[.-]" $key "_" | upper) }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/* Prometheus scrape annotations. */}}
{{- define "tributary.scrapeAnnotations" -}}
{{- if .Values.metrics.enabled }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.metrics.port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end }}

{{- define "tributary.imagePullSecrets" -}}
{{- with .Values.image.pullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end }}

{{/* The claim templates of a StatefulSet as a JSON list of {name, accessModes,
storageClassName, storage}. Claim templates are immutable: when the StatefulSet exists, the ones
it has are returned (so `helm upgrade` never tries to change them, whatever the values say); at
install (or in `helm template`, where lookup finds nothing) the values' own. Call with
(dict "root" $ "statefulSet" NAME "persistence" VALUES "accessModes" LIST). */}}
{{- define "tributary.claimTemplates" -}}
{{- $existing := lookup "apps/v1" "StatefulSet" .root.Release.Namespace .statefulSet }}
{{- $claims := list }}
{{- if $existing }}
{{- range $existing.spec.volumeClaimTemplates }}
{{- $claims = append $claims (dict "name" .metadata.name "accessModes" .spec.accessModes "storageClassName" (.spec.storageClassName | default "") "storage" .spec.resources.requests.storage) }}
{{- end }}
{{- else if .persistence.enabled }}
{{- $claims = append $claims (dict "name" "data" "accessModes" .accessModes "storageClassName" .persistence.storageClass "storage" .persistence.size) }}
{{- end }}
{{- toJson $claims }}
{{- end }}

{{/* volumeClaimTemplates from tributary.claimTemplates: (dict "root" $ "claims" LIST "component" NAME). */}}
{{- define "tributary.volumeClaimTemplates" -}}
volumeClaimTemplates:
{{- range .claims }}
  - metadata:
      name: {{ .name }}
      labels:
        {{- include "tributary.selectorLabels" (dict "root" $.root "component" $.component) | nindent 8 }}
    spec:
      accessModes:
        {{- toYaml .accessModes | nindent 8 }}
      {{- if .storageClassName }}
      storageClassName: {{ .storageClassName | quote }}
      {{- end }}
      resources:
        requests:
          storage: {{ .storage | quote }}
{{- end }}
{{- end }}
