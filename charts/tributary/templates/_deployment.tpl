{{/* The controller's and the group coordinator's Deployment, Service and PDB: call with
(dict "root" $ "component" "controller" "command" "controller" "values" .Values.controller).
Each runs one active replica and standbys; any replica answers and points at the active one. */}}
{{- define "tributary.standbyDeployment" -}}
{{- $root := .root }}
{{- $v := .values }}
{{- $name := printf "%s-%s" (include "tributary.fullname" $root) .component }}
{{- $ctx := dict "root" $root "component" .component }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "tributary.componentLabels" $ctx | nindent 4 }}
spec:
  replicas: {{ $v.replicas }}
  selector:
    matchLabels:
      {{- include "tributary.selectorLabels" $ctx | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  template:
    metadata:
      labels:
        {{- include "tributary.selectorLabels" $ctx | nindent 8 }}
      {{- $annotations := merge (dict) (fromYaml (include "tributary.scrapeAnnotations" $root)) $v.podAnnotations }}
      {{- with $annotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ include "tributary.serviceAccountName" $root }}
      automountServiceAccountToken: false
      # Service links would inject TRIBUTARY_* variables the services reject as unknown settings.
      enableServiceLinks: false
      {{- include "tributary.imagePullSecrets" $root | nindent 6 }}
      securityContext:
        {{- include "tributary.podSecurityContext" $root | nindent 8 }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm:
                topologyKey: kubernetes.io/hostname
                labelSelector:
                  matchLabels:
                    {{- include "tributary.selectorLabels" $ctx | nindent 20 }}
      containers:
        - name: {{ .component }}
          image: {{ include "tributary.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: [{{ .command | quote }}]
          env:
            {{- include "tributary.commonEnv" $root | nindent 12 }}
            {{- include "tributary.securityEnv" $root | nindent 12 }}
            - name: TRIBUTARY_PORT
              value: {{ $v.port | quote }}
            # No stable DNS name per Deployment pod: it registers its pod IP.
            - name: TRIBUTARY_ADVERTISED_HOST
              value: "$(POD_IP)"
            {{- include "tributary.settingsEnv" $v.config | nindent 12 }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            - name: grpc
              containerPort: {{ $v.port }}
            {{- if $root.Values.tls.enabled }}
            - name: health
              containerPort: {{ $root.Values.tls.healthPort }}
            {{- end }}
            {{- if $root.Values.metrics.enabled }}
            - name: metrics
              containerPort: {{ $root.Values.metrics.port }}
            {{- end }}
          readinessProbe:
            grpc:
              port: {{ include "tributary.probePort" (dict "root" $root "port" $v.port) }}
            periodSeconds: 5
            failureThreshold: 3
          livenessProbe:
            grpc:
              port: {{ include "tributary.probePort" (dict "root" $root "port" $v.port) }}
            initialDelaySeconds: 10
            periodSeconds: 10
            failureThreshold: 6
          {{- with $v.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            {{- include "tributary.containerSecurityContext" $root | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- include "tributary.securityMounts" (dict "root" $root) | nindent 12 }}
      volumes:
        - name: tmp
          emptyDir: {}
        {{- include "tributary.securityVolumes" (dict "root" $root "component" .component) | nindent 8 }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "tributary.componentLabels" $ctx | nindent 4 }}
spec:
  selector:
    {{- include "tributary.selectorLabels" $ctx | nindent 4 }}
  ports:
    - name: grpc
      port: {{ $v.port }}
      targetPort: grpc
{{- /* With one replica, minAvailable 1 would block every node drain: no PDB then. */}}
{{- if gt (int $v.replicas) 1 }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "tributary.componentLabels" $ctx | nindent 4 }}
spec:
  minAvailable: {{ $v.pdb.minAvailable }}
  selector:
    matchLabels:
      {{- include "tributary.selectorLabels" $ctx | nindent 6 }}
{{- end }}
{{- end }}
