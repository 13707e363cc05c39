/** Delta ADS server: public entry point. */
export { XdsServer, StartOptions } from "./server";
export { DeltaStream, AckResult, TypeState, edsServiceName } from "./stream";
export {
  AdsClient,
  AggregatedDiscoveryServiceDefinition,
  ADS_SERVICE,
  DELTA_ADS_PATH,
  SOTW_ADS_PATH,
  deltaRequestCodec,
  deltaResponseCodec,
} from "./service";
export {
  LogLevel,
  XdsLogger,
  XdsServerOptions,
  XdsEvent,
  XdsStats,
  XdsStateSizes,
  TypeStats,
  TypeCounters,
  CounterName,
  shortName,
  jsonLogger,
} from "./types";
export { NODE_IDENTITY_PREFIX, nodeIdentityUri, nodeIdsOfSubjectAltName, isLoopbackListen } from "./identity";
export {
  NodeAuthorizer,
  NodeRefusal,
  ServiceAccountRef,
  TokenReviewStatus,
  serviceAccountTokenAuthorizer,
  judgeTokenReview,
} from "./token-auth";
