{{/* The namespace of every namespaced object: namespaceOverride, else the release's. */}}
{{- define "egts.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/*
Prefix of the cluster-scoped objects and of the Roles that are not the controller's own (release name,
then the chart's name unless the release name has it), as Envoy Gateway's chart names them.
*/}}
{{- define "egts.fullname" -}}
{{- $name := "gateway-helm" -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end }}

{{/*
Selector labels of the controller, as Envoy Gateway's chart sets them (`kubectl get pods -n envoy-gateway-system
-l control-plane=envoy-gateway` finds it); app.kubernetes.io/name is gateway-helm, Envoy Gateway's chart name.
*/}}
{{- define "egts.selectorLabels" -}}
control-plane: envoy-gateway
app.kubernetes.io/name: gateway-helm
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of every object of the chart: the selector labels without control-plane, version, commonLabels. */}}
{{- define "egts.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: gateway-helm
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The controller image, with Envoy Gateway's precedence: deployment.envoyGateway.image.repository (+ tag, default
appVersion; global.imageRegistry replaces its registry), else global.images.envoyGateway.image (global.imageRegistry
replaces its registry), else the image `npm run image` builds, <Chart annotation egts.io/image-repository>:<appVersion>.
*/}}
{{- define "egts.image" -}}
{{- $eg := .Values.deployment.envoyGateway.image -}}
{{- $global := .Values.global -}}
{{- if $eg.repository -}}
{{- $repository := $eg.repository -}}
{{- if $global.imageRegistry -}}
{{- $repository = printf "%s/%s" $global.imageRegistry (splitn "/" 2 $eg.repository)._1 -}}
{{- end -}}
{{- printf "%s:%s" $repository ($eg.tag | default .Chart.AppVersion) -}}
{{- else if $global.images.envoyGateway.image -}}
{{- include "egts.withRegistry" (list $global.images.envoyGateway.image $global.imageRegistry) -}}
{{- else -}}
{{- $repository := index .Chart.Annotations "egts.io/image-repository" -}}
{{- if $global.imageRegistry -}}
{{- $repository = printf "%s/%s" $global.imageRegistry (splitn "/" 2 $repository)._1 -}}
{{- end -}}
{{- printf "%s:%s" $repository .Chart.AppVersion -}}
{{- end -}}
{{- end }}

{{/* A full image (list: image, registry): the registry, when non-empty, replaces the image's first path element. */}}
{{- define "egts.withRegistry" -}}
{{- $image := index . 0 -}}
{{- $registry := index . 1 -}}
{{- if $registry -}}
{{- printf "%s/%s" $registry (splitn "/" 2 $image)._1 -}}
{{- else -}}
{{- $image -}}
{{- end -}}
{{- end }}

{{/* The controller's pull policy: global.images.envoyGateway.pullPolicy, else deployment.envoyGateway.imagePullPolicy, else IfNotPresent. */}}
{{- define "egts.pullPolicy" -}}
{{- .Values.global.images.envoyGateway.pullPolicy | default .Values.deployment.envoyGateway.imagePullPolicy | default "IfNotPresent" -}}
{{- end }}

{{/*
The controller's (and certgen's) imagePullSecrets as YAML (empty for none), with Envoy Gateway's precedence:
global.imagePullSecrets, else deployment.envoyGateway.imagePullSecrets, else global.images.envoyGateway.pullSecrets.
*/}}
{{- define "egts.pullSecrets" -}}
{{- with .Values.global.imagePullSecrets | default .Values.deployment.envoyGateway.imagePullSecrets | default .Values.global.images.envoyGateway.pullSecrets -}}
{{- toYaml . -}}
{{- end -}}
{{- end }}

{{/* The GatewayClass controller name: config.envoyGateway.gateway.controllerName, else Envoy Gateway's default. */}}
{{- define "egts.controllerName" -}}
{{- $gateway := .Values.config.envoyGateway.gateway | default dict -}}
{{- $gateway.controllerName | default "gateway.envoyproxy.io/gatewayclass-controller" -}}
{{- end }}

{{/* config.envoyGateway.provider.kubernetes, or an empty dict. */}}
{{- define "egts.kubernetesProvider" -}}
{{- $provider := .Values.config.envoyGateway.provider | default dict -}}
{{- toYaml ($provider.kubernetes | default dict) -}}
{{- end }}

{{/*
The namespaces the controller reads namespaced kinds from, comma-separated, empty for all:
config.envoyGateway.provider.kubernetes.watch.namespaces (type Namespaces) and the release namespace (the
controller always watches its own, as Envoy Gateway). A namespaceSelector needs cluster-wide reads (empty).
*/}}
{{- define "egts.watchedNamespaces" -}}
{{- $kube := include "egts.kubernetesProvider" . | fromYaml -}}
{{- $watch := $kube.watch | default dict -}}
{{- if eq ($watch.type | default "") "Namespaces" -}}
{{- with $watch.namespaces -}}
{{- append . (include "egts.namespace" $) | uniq | join "," -}}
{{- end -}}
{{- end -}}
{{- end }}

{{/* The xDS Service's DNS name, with kubernetesClusterDomain. */}}
{{- define "egts.serviceHost" -}}
{{- printf "envoy-gateway.%s.svc.%s" (include "egts.namespace" .) .Values.kubernetesClusterDomain -}}
{{- end }}

{{/* The container port of the deployment.ports entry named (list: root, name), or the default (third element). */}}
{{- define "egts.containerPort" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $port := index . 2 -}}
{{- range $root.Values.deployment.ports -}}
{{- if eq .name $name -}}{{- $port = .targetPort | default .port -}}{{- end -}}
{{- end -}}
{{- $port -}}
{{- end }}

{{/* Selector labels of the rate limit service's pods. */}}
{{- define "egts.rateLimitSelectorLabels" -}}
app.kubernetes.io/name: envoy-ratelimit
app.kubernetes.io/component: ratelimit
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
