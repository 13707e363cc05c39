/**
 * AdmissionControlIr → the upstream HTTP filters of a policy variant (HttpProtocolOptions.http_filters), as
 * Envoy Gateway v1.9 writes them: Envoy's admission_control filter (enabled; each value the policy sets as the
 * default of its runtime setting), then the upstream_codec filter that must end every upstream filter chain.
 * Envoy's admission_control takes no per-route config, so Envoy Gateway puts it on the cluster, where it tracks
 * the success rate of the variant's requests.
 */
import type { HttpFilter } from "../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type * as AdmissionControlProto from "../../../../proto/gen/envoy/extensions/filters/http/admission_control/v3/admission_control";
import type { AdmissionControl } from "../../../../proto/gen/envoy/extensions/filters/http/admission_control/v3/admission_control";
import type { UpstreamCodec } from "../../../../proto/gen/envoy/extensions/filters/http/upstream_codec/v3/upstream_codec";
import { pack, packPartial, registerLazyType } from "../../../../proto/any";
import { protoModule } from "../../../../proto/lazy";
import type { ClusterPolicyIr } from "../../ir/backend-traffic-ir";
import type { AdmissionControlIr } from "../../ir/backend-traffic-cluster-ir";
import { duration } from "./route-filters";

/** AdmissionControl, registered for Any packing. */
export const AdmissionControlType = registerLazyType<AdmissionControl>(
  "envoy/extensions/filters/http/admission_control/v3/admission_control",
  "AdmissionControl",
);
/** UpstreamCodec, registered for Any packing. */
export const UpstreamCodecType = registerLazyType<UpstreamCodec>(
  "envoy/extensions/filters/http/upstream_codec/v3/upstream_codec",
  "UpstreamCodec",
);
const admissionControlProto = protoModule<typeof AdmissionControlProto>(
  "envoy/extensions/filters/http/admission_control/v3/admission_control",
);

/** Envoy's name of the admission control filter. */
export const ADMISSION_CONTROL_FILTER = "envoy.filters.http.admission_control";
/** The name Envoy Gateway gives the terminal upstream codec filter. */
const UPSTREAM_CODEC_FILTER = "envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec";

/** The variant's upstream HTTP filters; empty when its policy asks for none. */
export function clusterPolicyHttpFilters(p: ClusterPolicyIr | undefined): HttpFilter[] {
  if (!p?.admissionControl) return [];
  return [
    { name: ADMISSION_CONTROL_FILTER, typedConfig: pack(AdmissionControlType, admissionControl(p.admissionControl)) },
    { name: UPSTREAM_CODEC_FILTER, typedConfig: packPartial(UpstreamCodecType, {}) },
  ] as HttpFilter[];
}

function admissionControl(a: AdmissionControlIr): AdmissionControl {
  return admissionControlProto().AdmissionControl.fromPartial({
    enabled: { defaultValue: true },
    ...(a.samplingWindowMs !== undefined ? { samplingWindow: duration(a.samplingWindowMs) } : {}),
    ...(a.minSuccessRate !== undefined ? { srThreshold: { defaultValue: { value: a.minSuccessRate } } } : {}),
    ...(a.rejectionAggression !== undefined ? { aggression: { defaultValue: a.rejectionAggression } } : {}),
    ...(a.minRequestRate !== undefined ? { rpsThreshold: { defaultValue: a.minRequestRate } } : {}),
    ...(a.maxRejectionPercent !== undefined
      ? { maxRejectionProbability: { defaultValue: { value: a.maxRejectionPercent } } }
      : {}),
    // Envoy Gateway always sets the success criteria (the config's required oneof), empty when none is given.
    successCriteria: {
      ...(a.httpSuccessStatuses
        ? { httpCriteria: { httpSuccessStatus: a.httpSuccessStatuses.map((c) => ({ start: c, end: c + 1 })) } }
        : {}),
      ...(a.grpcSuccessStatuses ? { grpcCriteria: { grpcSuccessStatus: [...a.grpcSuccessStatuses] } } : {}),
    },
  });
}
