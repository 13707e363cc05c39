/** The HTTP methods {@link KubeClient} sends (the names `@kubernetes/client-node`'s enum had, as plain strings). */
export const HttpMethod = {
  GET: "GET",
  POST: "POST",
  PUT: "PUT",
  PATCH: "PATCH",
  DELETE: "DELETE",
} as const;

/** One of {@link HttpMethod}'s values. */
export type HttpMethod = (typeof HttpMethod)[keyof typeof HttpMethod];
