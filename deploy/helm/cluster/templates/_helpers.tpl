{{/*
Names. Kubernetes names are lower-case alphanumerics and '-', at most 63 characters, starting and ending with an
alphanumeric: "cluster.sanitize" lower-cases, turns every other run of characters into '-', cuts to 63 and trims
dashes at both ends.
*/}}
{{- define "cluster.sanitize" -}}
{{- regexReplaceAll "[^a-z0-9-]+" (lower (toString .)) "-" | trunc 63 | trimAll "-" -}}
{{- end -}}

{{- define "cluster.name" -}}
{{- include "cluster.sanitize" (default .Chart.Name .Values.nameOverride) -}}
{{- end -}}

{{/* "<release>-<chart>" (or the release name alone when it already holds the chart name), or fullnameOverride. */}}
{{- define "cluster.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- include "cluster.sanitize" .Values.fullnameOverride -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains (lower $name) (lower .Release.Name) -}}
{{- include "cluster.sanitize" .Release.Name -}}
{{- else -}}
{{- include "cluster.sanitize" (printf "%s-%s" .Release.Name $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
"<fullname>-<component>" within 63 characters: the prefix is cut (not the suffix), so components never collide.
Call with (list $ "router").
*/}}
{{- define "cluster.componentName" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- $prefix := include "cluster.fullname" $root | trunc (int (sub 62 (len $component))) | trimAll "-" -}}
{{- printf "%s-%s" $prefix $component -}}
{{- end -}}

{{- define "cluster.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object; call with (list $ "component"). */}}
{{- define "cluster.labels" -}}
{{- $root := index . 0 -}}
helm.sh/chart: {{ include "cluster.chart" $root }}
{{ include "cluster.selectorLabels" . }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | toString | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: {{ include "cluster.name" $root }}
{{- end -}}

{{/* Labels Deployments, Services, PDBs and monitors select by; call with (list $ "component"). */}}
{{- define "cluster.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "cluster.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name | trunc 63 | trimAll "-" }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* The Secret holding the cluster token and API keys (made by the chart unless auth.existingSecret). */}}
{{- define "cluster.authSecretName" -}}
{{- if .Values.auth.existingSecret -}}{{ .Values.auth.existingSecret }}{{- else -}}{{ include "cluster.componentName" (list . "auth") }}{{- end -}}
{{- end -}}

{{/* Keys of the API keys in the auth Secret. */}}
{{- define "cluster.apiKeyKeys" -}}
{{- if .Values.auth.existingSecret -}}
{{- toJson .Values.auth.apiKeyKeys -}}
{{- else -}}
{{- $keys := list -}}
{{- range $i, $_ := .Values.auth.apiKeys -}}{{- $keys = append $keys (printf "api-key-%d" $i) -}}{{- end -}}
{{- toJson $keys -}}
{{- end -}}
{{- end -}}

{{/* True (non-empty) when the hosts get a Redis password. */}}
{{- define "cluster.redisHasPassword" -}}
{{- if or .Values.redis.auth.existingSecret .Values.redis.auth.password -}}true{{- end -}}
{{- end -}}

{{- define "cluster.redisSecretName" -}}
{{- if .Values.redis.auth.existingSecret -}}{{ .Values.redis.auth.existingSecret }}{{- else -}}{{ include "cluster.componentName" (list . "redis") }}{{- end -}}
{{- end -}}

{{- define "cluster.redisAddress" -}}
{{- if eq .Values.redis.mode "external" -}}
{{- required "redis.external.address is required when redis.mode is external (host:port)" .Values.redis.external.address -}}
{{- else -}}
{{- printf "%s:6379" (include "cluster.componentName" (list . "redis")) -}}
{{- end -}}
{{- end -}}

{{/*
The Orleans router tier (ARCHITECTURE §6, "Router tier"): every router pod hosts a silo clustered through the release's
Redis. Each silo advertises its pod IP on fixed ports, so router replicas reach each other, and the cluster id (also the
Orleans service id) is "<release>.<namespace>" unless router.tier.clusterId: two installs sharing one Redis stay two
clusters. Disabled: RouterTier__Enabled=false (each router counts only its own work).
*/}}
{{- define "cluster.routerTierClusterId" -}}
{{- default (printf "%s.%s" .Release.Name .Release.Namespace) .Values.router.tier.clusterId -}}
{{- end -}}

{{/* "true" when the router pods run Orleans' Kubernetes hosting (router.tier.kubernetesHosting), else empty. */}}
{{- define "cluster.routerKubernetesHosting" -}}
{{- $t := .Values.router.tier -}}
{{- $mode := toString $t.kubernetesHosting -}}
{{- if and $t.enabled (or (has $mode (list "on" "true")) (and (has $mode (list "auto" "" "<nil>")) (gt (int .Values.router.replicas) 1))) -}}
{{- $id := include "cluster.routerTierClusterId" . -}}
{{- if gt (len $id) 63 -}}
{{- fail (printf "router Kubernetes hosting labels the pods orleans/clusterId=%s, longer than 63 characters: set router.tier.clusterId" $id) -}}
{{- end -}}
true
{{- end -}}
{{- end -}}

{{- define "cluster.routerTierEnv" -}}
{{- $t := .Values.router.tier -}}
{{- if $t.enabled -}}
{{- $taken := list (int $t.gatewayPort) (int (include "cluster.grpcPort" "router")) (int (include "cluster.httpPort" "router")) -}}
{{- if has (int $t.siloPort) $taken -}}
{{- fail (printf "router.tier.siloPort %d collides with the gateway, gRPC or HTTP port of the router (%v): pick another" (int $t.siloPort) $taken) -}}
{{- end -}}
{{- if has (int $t.gatewayPort) (rest $taken) -}}
{{- fail (printf "router.tier.gatewayPort %d collides with the router's gRPC or HTTP port: pick another" (int $t.gatewayPort)) -}}
{{- end -}}
- name: RouterTier__AdvertisedAddress
  valueFrom:
    fieldRef: {fieldPath: status.podIP}
- name: RouterTier__SiloPort
  value: {{ int $t.siloPort | toString | quote }}
- name: RouterTier__GatewayPort
  value: {{ int $t.gatewayPort | toString | quote }}
- name: RouterTier__ClusterId
  value: {{ include "cluster.routerTierClusterId" . | quote }}
{{- if include "cluster.routerKubernetesHosting" . }}
- name: RouterTier__KubernetesHosting
  value: "On"
- name: POD_NAME
  valueFrom:
    fieldRef: {fieldPath: metadata.name}
- name: POD_NAMESPACE
  valueFrom:
    fieldRef: {fieldPath: metadata.namespace}
- name: POD_IP
  valueFrom:
    fieldRef: {fieldPath: status.podIP}
{{- else }}
- name: RouterTier__KubernetesHosting
  value: "Off"
{{- end }}
{{- else -}}
- name: RouterTier__Enabled
  value: "false"
{{- end -}}
{{- end -}}

{{/*
ClusterState:KeyPrefix of every host: redis.keyPrefix, else "cl:<release>.<namespace>:" (one registry and prefix index
per install, even on a shared Redis). The hosts accept at most 64 characters.
*/}}
{{- define "cluster.redisKeyPrefix" -}}
{{- $prefix := default (printf "cl:%s.%s:" .Release.Name .Release.Namespace) .Values.redis.keyPrefix -}}
{{- if gt (len $prefix) 64 -}}
{{- fail (printf "the Redis key prefix %q is longer than 64 characters (release and namespace names): set redis.keyPrefix" $prefix) -}}
{{- end -}}
{{- $prefix -}}
{{- end -}}

{{/* Where the model directory is inside the containers. */}}
{{- define "cluster.modelDir" -}}
{{- $m := .Values.model -}}
{{- if eq $m.source "synthetic" -}}/models/{{ $m.synthetic.preset }}
{{- else if eq $m.source "pvc" -}}{{ trimSuffix "/" (printf "/models/%s" (default "" $m.pvc.path)) }}
{{- else if eq $m.source "hostPath" -}}/models
{{- else -}}{{ fail (printf "model.source %q is not synthetic, pvc or hostPath" $m.source) }}
{{- end -}}
{{- end -}}

{{/* The model volume of a pod. */}}
{{- define "cluster.modelVolume" -}}
{{- $m := .Values.model -}}
- name: model
{{- if eq $m.source "synthetic" }}
  emptyDir: {}
{{- else if eq $m.source "pvc" }}
  persistentVolumeClaim:
    claimName: {{ required "model.pvc.claimName is required when model.source is pvc" $m.pvc.claimName }}
    readOnly: true
{{- else }}
  hostPath:
    path: {{ required "model.hostPath.path is required when model.source is hostPath" $m.hostPath.path }}
    type: Directory
{{- end }}
- name: tmp
  emptyDir: {}
{{- end -}}

{{/* The init container that writes the synthetic model (worker image: it carries the cluster command). */}}
{{- define "cluster.modelInit" -}}
{{- if eq .Values.model.source "synthetic" -}}
{{- $s := .Values.model.synthetic -}}
- name: make-model
  image: {{ include "cluster.workerImage" (list . "cpu") }}
  imagePullPolicy: {{ .Values.image.worker.pullPolicy }}
  args: ["/app/cluster.dll", "make-model", "--preset", {{ $s.preset | quote }}, "--dtype", {{ $s.dtype | quote }}, "--seed", {{ $s.seed | toString | quote }}, "--out", {{ include "cluster.modelDir" . | quote }}]
  env:
    - name: HOME
      value: /tmp
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
  volumeMounts:
    - name: model
      mountPath: /models
    - name: tmp
      mountPath: /tmp
{{- end -}}
{{- end -}}

{{- define "cluster.workerImage" -}}
{{- $root := index . 0 -}}
{{- $variant := ternary "cuda" "cpu" (hasPrefix "cuda" (index . 1)) -}}
{{- printf "%s:%s-%s" $root.Values.image.worker.repository (default $root.Chart.AppVersion $root.Values.image.worker.tag) $variant -}}
{{- end -}}

{{- define "cluster.routerImage" -}}
{{- printf "%s:%s" .Values.image.router.repository (default .Chart.AppVersion .Values.image.router.tag) -}}
{{- end -}}

{{/*
Section: {Key: value} maps as environment variables Section__Key (nested maps and lists continue the path).
Call with (list "" $map). Whole numbers print without exponent (YAML numbers arrive as floats).
*/}}
{{- define "cluster.configEnv" -}}
{{- $prefix := index . 0 -}}
{{- range $key, $value := index . 1 -}}
{{- $name := printf "%s%s" $prefix $key -}}
{{- if kindIs "map" $value -}}
{{- include "cluster.configEnv" (list (printf "%s__" $name) $value) -}}
{{- else if kindIs "slice" $value -}}
{{- $items := dict -}}
{{- range $i, $item := $value -}}{{- $_ := set $items (toString $i) $item -}}{{- end -}}
{{- include "cluster.configEnv" (list (printf "%s__" $name) $items) -}}
{{- else }}
- name: {{ $name }}
  value: {{ include "cluster.scalar" $value | quote }}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "cluster.scalar" -}}
{{- if and (kindIs "float64" .) (eq . (float64 (int64 .))) -}}{{ int64 . }}{{- else -}}{{ toString . }}{{- end -}}
{{- end -}}

{{/*
Environment of every host; call with (list $ "router" $roleValues). Listening on 0.0.0.0 requires the credentials,
which come from Secrets only.
*/}}
{{- define "cluster.commonEnv" -}}
{{- $root := index . 0 -}}
{{- $role := index . 1 -}}
{{- $values := index . 2 -}}
- name: Hosting__BindAddress
  value: "0.0.0.0"
- name: Hosting__GrpcPort
  value: {{ include "cluster.grpcPort" $role | quote }}
- name: Hosting__HttpPort
  value: {{ include "cluster.httpPort" $role | quote }}
- name: Auth__ClusterToken
  valueFrom:
    secretKeyRef:
      name: {{ include "cluster.authSecretName" $root }}
      key: {{ ternary $root.Values.auth.clusterTokenKey "cluster-token" (ne $root.Values.auth.existingSecret "") }}
- name: ClusterState__RedisConnectionString
  value: {{ include "cluster.redisAddress" $root | quote }}
- name: ClusterState__KeyPrefix
  value: {{ include "cluster.redisKeyPrefix" $root | quote }}
{{- if include "cluster.redisHasPassword" $root }}
- name: ClusterState__RedisPassword
  valueFrom:
    secretKeyRef:
      name: {{ include "cluster.redisSecretName" $root }}
      key: {{ ternary $root.Values.redis.auth.passwordKey "redis-password" (ne $root.Values.redis.auth.existingSecret "") }}
{{- end }}
{{- if and (eq $root.Values.redis.mode "external") $root.Values.redis.external.tls }}
- name: ClusterState__RedisTls
  value: "true"
{{- end }}
{{- include "cluster.configEnv" (list "" (mergeOverwrite (deepCopy (default dict $root.Values.config)) (deepCopy (default dict $values.config)))) }}
{{- end -}}

{{/* extraEnv of every role, then of this role: last in the list, so they override what the chart sets. (list $ $roleValues) */}}
{{- define "cluster.extraEnv" -}}
{{- with (index . 0).Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- with (index . 1).extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Container ports: each role's host defaults (router 50051/8080, prefill 50061/8081, decode 50071/8082, colocated 50081/8083). */}}
{{- define "cluster.grpcPort" -}}
{{- get (dict "router" "50051" "prefill" "50061" "decode" "50071" "colocated" "50081") . -}}
{{- end -}}
{{- define "cluster.httpPort" -}}
{{- get (dict "router" "8080" "prefill" "8081" "decode" "8082" "colocated" "8083") . -}}
{{- end -}}

{{/* Startup (model loading), readiness and liveness probes on the http port. */}}
{{- define "cluster.probes" -}}
{{- $p := .Values.probes -}}
startupProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: {{ $p.startup.periodSeconds }}
  failureThreshold: {{ $p.startup.failureThreshold }}
  timeoutSeconds: {{ $p.startup.timeoutSeconds }}
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: {{ $p.readiness.periodSeconds }}
  failureThreshold: {{ $p.readiness.failureThreshold }}
  timeoutSeconds: {{ $p.readiness.timeoutSeconds }}
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: {{ $p.liveness.periodSeconds }}
  failureThreshold: {{ $p.liveness.failureThreshold }}
  timeoutSeconds: {{ $p.liveness.timeoutSeconds }}
{{- end -}}

{{/*
Pod annotations; call with (list $ $roleValues). checksum/secrets: pods restart when the chart-made Secrets change.
*/}}
{{- define "cluster.podAnnotations" -}}
{{- $root := index . 0 -}}
{{- if not (and $root.Values.auth.existingSecret (or $root.Values.redis.auth.existingSecret (not (include "cluster.redisHasPassword" $root)))) }}
checksum/secrets: {{ include (print $root.Template.BasePath "/secrets.yaml") $root | sha256sum }}
{{- end }}
{{- with (index . 1).podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* A PodDisruptionBudget; call with (list $ "component" $values). */}}
{{- define "cluster.pdb" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- $pdb := (index . 2).pdb -}}
{{- if $pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "cluster.componentName" (list $root $component) }}
  labels:
    {{- include "cluster.labels" (list $root $component) | nindent 4 }}
spec:
  {{- if hasKey $pdb "minAvailable" }}
  minAvailable: {{ $pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $pdb.maxUnavailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "cluster.selectorLabels" (list $root $component) | nindent 6 }}
{{- end }}
{{- end -}}
