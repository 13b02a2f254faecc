import type { FastifyInstance } from 'fastify';

/** The admin API refused a call the console made: shown to the user with its code and message. */
export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type ApiBody = { json: unknown } | { bytes: string | Buffer; contentType: string };
/** A call of the admin API as the signed-in user: a path with its query, and a body for changes. */
export type ApiCall = <T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: ApiBody) => Promise<T>;

/** A path with the query parameters that are set. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * The console's way to the admin API: every read and change is a request to the API itself (in
 * process, with `inject`), made with the user's session and its CSRF token, so it meets the same
 * checks, tenant limits and audit as any other client's.
 */
export function apiCall(app: FastifyInstance, session: { cookie: string; id: string; csrf: string }): ApiCall {
  return async <T>(method: string, path: string, body?: ApiBody): Promise<T> => {
    const headers: Record<string, string> = { cookie: `${session.cookie}=${session.id}`, 'x-csrf-token': session.csrf };
    let payload: string | Buffer | undefined;
    if (body && 'json' in body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body) {
      headers['content-type'] = body.contentType;
      payload = body.bytes;
    }
    const response = await app.inject({ method: method as 'GET', url: path, headers, ...(payload === undefined ? {} : { payload }) });
    if (response.statusCode >= 400) {
      const failure = (() => {
        try {
          return response.json() as { code?: string; message?: string };
        } catch {
          return {};
        }
      })();
      throw new ApiRefusal(response.statusCode, failure.code ?? 'internal_error', failure.message ?? response.body);
    }
    return (response.statusCode === 204 ? undefined : response.json()) as T;
  };
}
