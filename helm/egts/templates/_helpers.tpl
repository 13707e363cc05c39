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
