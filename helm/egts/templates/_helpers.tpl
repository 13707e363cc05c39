{{/* Labels of every object of the chart. */}}
{{- define "egts.labels" -}}
app.kubernetes.io/name: egts
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{/* Selector labels of the controller pods. */}}
{{- define "egts.selectorLabels" -}}
app.kubernetes.io/name: egts
app.kubernetes.io/component: controller
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The controller image. */}}
{{- define "egts.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* The GatewayClass controller name: the controllerName override, else config.envoyGateway.gateway.controllerName. */}}
{{- define "egts.controllerName" -}}
{{- $gateway := .Values.config.envoyGateway.gateway | default dict -}}
{{- .Values.controllerName | default $gateway.controllerName | default "gateway.envoyproxy.io/gatewayclass-controller" -}}
{{- end }}

{{/*
The namespaces the controller reads namespaced kinds from, comma-separated, empty for all: the watchNamespaces
override, else config.envoyGateway.provider.kubernetes.watch.namespaces (type Namespaces); with either, the
release namespace too (the controller always watches its own, as Envoy Gateway). A namespaceSelector needs
cluster-wide reads (empty).
*/}}
{{- define "egts.watchedNamespaces" -}}
{{- $provider := .Values.config.envoyGateway.provider | default dict -}}
{{- $kube := $provider.kubernetes | default dict -}}
{{- $watch := $kube.watch | default dict -}}
{{- $list := list -}}
{{- if .Values.watchNamespaces -}}
{{- $list = .Values.watchNamespaces -}}
{{- else if and (not .Values.watchNamespaceSelector) (eq ($watch.type | default "") "Namespaces") -}}
{{- $list = $watch.namespaces | default list -}}
{{- end -}}
{{- if $list -}}
{{- append $list .Release.Namespace | uniq | join "," -}}
{{- end -}}
{{- end }}

{{/* Selector labels of the rate limit service's pods. */}}
{{- define "egts.rateLimitSelectorLabels" -}}
app.kubernetes.io/name: egts
app.kubernetes.io/component: ratelimit
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
