{{/* Chart name. */}}
{{- define "partwarden.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart, at most 63 characters. */}}
{{- define "partwarden.fullname" -}}
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

{{- define "partwarden.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "partwarden.selectorLabels" -}}
app.kubernetes.io/name: {{ include "partwarden.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "partwarden.labels" -}}
helm.sh/chart: {{ include "partwarden.chart" . }}
{{ include "partwarden.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "partwarden.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "partwarden.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "partwarden.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Name of the ConfigMap with the policy files. */}}
{{- define "partwarden.policiesConfigMap" -}}
{{- default (printf "%s-policies" (include "partwarden.fullname" .)) .Values.policies.existingConfigMap }}
{{- end }}

{{/* Environment variable that carries a database URL (from its Secret). */}}
{{- define "partwarden.dbEnv" -}}
{{- printf "PARTWARDEN_DB_%s_URL" (. | upper | replace "-" "_") }}
{{- end }}

{{/* partwarden.yaml, rendered from values; URLs are ${VAR} references filled from Secrets. */}}
{{- define "partwarden.config" -}}
databases:
{{- range $name, $db := .Values.databases }}
  {{ $name }}:
    url: ${{ printf "{%s}" (include "partwarden.dbEnv" $name) }}
    {{- range $k := list "lockTimeout" "statementTimeout" "lockRetries" "retryDelay" "actionPause" }}
    {{- if hasKey $db $k }}
    {{ $k }}: {{ index $db $k | toJson }}
    {{- end }}
    {{- end }}
{{- end }}
{{- with .Values.storage }}
{{- if .url }}
storage:
  url: {{ .url | toJson }}
  {{- range $k := list "endpoint" "region" "forcePathStyle" "sse" "kmsKeyId" "storageClass" "checksumAlgorithm" }}
  {{- if hasKey $.Values.storage $k }}
  {{ $k }}: {{ index $.Values.storage $k | toJson }}
  {{- end }}
  {{- end }}
{{- end }}
{{- end }}
policies: /etc/partwarden/policies
schedule: {{ .Values.schedule | toJson }}
scheduleJitter: {{ .Values.scheduleJitter | toJson }}
clockSkewTolerance: {{ .Values.clockSkewTolerance | toJson }}
stateSchema: {{ .Values.stateSchema | toJson }}
server:
  listen: 0.0.0.0:{{ .Values.service.port }}
{{- if and (eq .Values.mode "deployment") (eq .Values.leaderElection.mode "lease") }}
leaderElection:
  mode: lease
  lease:
    name: {{ include "partwarden.fullname" . | toJson }}
    duration: {{ .Values.leaderElection.leaseDuration | toJson }}
    renewDeadline: {{ .Values.leaderElection.renewDeadline | toJson }}
    retryPeriod: {{ .Values.leaderElection.retryPeriod | toJson }}
{{- end }}
{{- end }}

{{/* The partwarden container: the same in the Deployment, the CronJob and the sidecar snippet. */}}
{{- define "partwarden.container" -}}
{{- $root := .root -}}
name: partwarden
image: {{ include "partwarden.image" $root }}
imagePullPolicy: {{ $root.Values.image.pullPolicy }}
args: {{ .args | toJson }}
env:
  - name: PARTWARDEN_CONFIG
    value: /etc/partwarden/config/partwarden.yaml
  - name: PARTWARDEN_LOG_LEVEL
    value: {{ $root.Values.logLevel | quote }}
  # the replica's name in logs and in the Lease (leaderElection.mode=lease), and the Lease's namespace
  - name: POD_NAME
    valueFrom:
      fieldRef:
        fieldPath: metadata.name
  - name: POD_NAMESPACE
    valueFrom:
      fieldRef:
        fieldPath: metadata.namespace
{{- range $name, $db := $root.Values.databases }}
  - name: {{ include "partwarden.dbEnv" $name }}
    valueFrom:
      secretKeyRef:
        name: {{ $db.urlSecret.name }}
        key: {{ $db.urlSecret.key }}
{{- end }}
{{- with $root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- if and $root.Values.storage $root.Values.storage.credentialsSecret }}
envFrom:
  - secretRef:
      name: {{ $root.Values.storage.credentialsSecret }}
{{- end }}
{{- if .ports }}
{{- $port := default "http" .portName }}
ports:
  - name: {{ $port }}
    containerPort: {{ $root.Values.service.port }}
    protocol: TCP
readinessProbe:
  httpGet:
    path: /readyz
    port: {{ $port }}
  periodSeconds: 10
  failureThreshold: 3
livenessProbe:
  httpGet:
    path: /healthz
    port: {{ $port }}
  periodSeconds: 20
  failureThreshold: 3
{{- end }}
securityContext:
  {{- toYaml $root.Values.securityContext | nindent 2 }}
resources:
  {{- toYaml $root.Values.resources | nindent 2 }}
volumeMounts:
  - name: config
    mountPath: /etc/partwarden/config
    readOnly: true
  - name: policies
    mountPath: /etc/partwarden/policies
    readOnly: true
{{- end }}

{{/* The volumes the container mounts: ConfigMaps, mounted as directories so updates propagate (no subPath). */}}
{{- define "partwarden.volumes" -}}
- name: config
  configMap:
    name: {{ include "partwarden.fullname" . }}-config
- name: policies
  configMap:
    name: {{ include "partwarden.policiesConfigMap" . }}
{{- end }}

{{- define "partwarden.podSpecCommon" -}}
serviceAccountName: {{ include "partwarden.serviceAccountName" . }}
automountServiceAccountToken: {{ include "partwarden.automountToken" . }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
A monitoring object needs its kind served by the cluster (the Prometheus operator's CRDs): without
it the install stops here with the value to turn off, instead of Helm's "no matches for kind".
`helm template` sees no cluster: pass --api-versions monitoring.coreos.com/v1/<Kind>.
Call with (dict "root" . "kind" "ServiceMonitor" "value" "serviceMonitor.enabled").
*/}}
{{- define "partwarden.requireMonitoringKind" -}}
{{- if not (.root.Capabilities.APIVersions.Has (printf "monitoring.coreos.com/v1/%s" .kind)) }}
{{- fail (printf "\n\n%s=true, but this cluster has no %s (monitoring.coreos.com/v1): the Prometheus operator's CRDs are not installed.\nInstall the operator (or just its CRDs) first, or set %s=false.\n(helm template knows no cluster: add --api-versions monitoring.coreos.com/v1/%s)" .value .kind .value .kind) }}
{{- end }}
{{- end }}

{{/* Lease leader election: the ServiceAccount token is mounted (the daemon calls the API server), else the value decides. */}}
{{- define "partwarden.automountToken" -}}
{{- if and (eq .Values.mode "deployment") (eq .Values.leaderElection.mode "lease") }}true{{ else }}{{ .Values.serviceAccount.automountServiceAccountToken }}{{ end }}
{{- end }}
