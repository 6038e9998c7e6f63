{{/* TLS and authentication of every service (docs/security.md, "The chart"). */}}

{{/* tls.server.name: the one name every service certificate carries. */}}
{{- define "tributary.tls.serverName" -}}
{{- .Values.tls.serverName | default (printf "%s.%s.svc" (include "tributary.fullname" .) .Release.Namespace) }}
{{- end }}

{{/* The Secret holding a component's certificate: cert-manager's per component, or the given one. */}}
{{- define "tributary.tls.secretName" -}}
{{- if .root.Values.tls.certManager.enabled }}
{{- printf "%s-%s-tls" (include "tributary.fullname" .root) .component }}
{{- else }}
{{- required "tls.enabled needs tls.certManager.enabled or tls.existingSecret" .root.Values.tls.existingSecret }}
{{- end }}
{{- end }}

{{/* The principal the ACL bootstrap Job and the helm test act as (a super user). */}}
{{- define "tributary.auth.chartPrincipal" -}}
User:{{ include "tributary.fullname" . }}-admin
{{- end }}

{{/* Environment of TLS and auth for a service (call with the root context). */}}
{{- define "tributary.securityEnv" -}}
{{- if .Values.tls.enabled }}
- name: TRIBUTARY_TLS_CERT_FILE
  value: /etc/tributary/tls/tls.crt
- name: TRIBUTARY_TLS_KEY_FILE
  value: /etc/tributary/tls/tls.key
- name: TRIBUTARY_TLS_CA_FILE
  value: /etc/tributary/tls/ca.crt
- name: TRIBUTARY_TLS_CLIENT_AUTH
  value: {{ .Values.tls.clientAuth | quote }}
- name: TRIBUTARY_TLS_SERVER_NAME
  value: {{ include "tributary.tls.serverName" . | quote }}
- name: TRIBUTARY_HEALTH_PORT
  value: {{ .Values.tls.healthPort | quote }}
{{- if .Values.etcd.enabled }}
- name: TRIBUTARY_ETCD_TLS_CA_FILE
  value: /etc/tributary/tls/ca.crt
- name: TRIBUTARY_ETCD_TLS_CERT_FILE
  value: /etc/tributary/tls/tls.crt
- name: TRIBUTARY_ETCD_TLS_KEY_FILE
  value: /etc/tributary/tls/tls.key
{{- end }}
{{- end }}
{{- if ne .Values.auth.mode "off" }}
- name: TRIBUTARY_AUTH_MODE
  value: {{ .Values.auth.mode | quote }}
- name: TRIBUTARY_AUTH_TOKEN_KEY_FILE
  value: /etc/tributary/auth/{{ .Values.auth.tokenKeySecretKey }}
- name: TRIBUTARY_AUTH_SUPER_USERS
  value: {{ join "," (concat (list "User:broker" "User:controller" "User:group-coordinator" (include "tributary.auth.chartPrincipal" .)) .Values.auth.superUsers) | quote }}
{{- end }}
{{- end }}

{{/* Volume mounts of TLS and auth (call with dict "root" $). */}}
{{- define "tributary.securityMounts" -}}
{{- if .root.Values.tls.enabled }}
- name: tls
  mountPath: /etc/tributary/tls
  readOnly: true
{{- end }}
{{- if ne .root.Values.auth.mode "off" }}
- name: token-key
  mountPath: /etc/tributary/auth
  readOnly: true
{{- end }}
{{- end }}

{{/* Volumes of TLS and auth (call with dict "root" $ "component" "broker"). */}}
{{- define "tributary.securityVolumes" -}}
{{- if .root.Values.tls.enabled }}
- name: tls
  secret:
    secretName: {{ include "tributary.tls.secretName" . }}
{{- end }}
{{- if ne .root.Values.auth.mode "off" }}
- name: token-key
  secret:
    secretName: {{ required "auth.mode needs auth.tokenKeySecret: a Secret holding the token key" .root.Values.auth.tokenKeySecret }}
    items:
      - key: {{ .root.Values.auth.tokenKeySecretKey }}
        path: {{ .root.Values.auth.tokenKeySecretKey }}
{{- end }}
{{- end }}

{{/* gRPC probe target: the plaintext health port with TLS on, else the service port. */}}
{{- define "tributary.probePort" -}}
{{- if .root.Values.tls.enabled }}{{ .root.Values.tls.healthPort }}{{ else }}{{ .port }}{{ end }}
{{- end }}

{{/*
The CLI's environment in the chart's own pods (helm test, ACL bootstrap): the client certificate
and CA with TLS on, and a token minted from the key as the chart's principal with auth on (the
script runs `eval "$(tributary_env)"`).
*/}}
{{- define "tributary.cliEnv" -}}
{{- if .Values.tls.enabled }}
- name: TRIBUTARY_TLS_CA_FILE
  value: /etc/tributary/tls/ca.crt
- name: TRIBUTARY_TLS_CERT_FILE
  value: /etc/tributary/tls/tls.crt
- name: TRIBUTARY_TLS_KEY_FILE
  value: /etc/tributary/tls/tls.key
- name: TRIBUTARY_TLS_SERVER_NAME
  value: {{ include "tributary.tls.serverName" . | quote }}
{{- end }}
{{- end }}

{{/* Shell that exports TRIBUTARY_TOKEN for the chart's principal (auth on), for the CLI pods. */}}
{{- define "tributary.cliToken" -}}
{{- if ne .Values.auth.mode "off" -}}
export TRIBUTARY_TOKEN="$(node /app/docker/entrypoint.mjs tributary auth token create --principal {{ include "tributary.auth.chartPrincipal" . }} --ttl 1h --key-file /etc/tributary/auth/{{ .Values.auth.tokenKeySecretKey }})"
{{- end }}
{{- end }}
