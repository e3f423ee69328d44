import createClient from "openapi-fetch";
import type { components, paths } from "./generated/openapi";

export type Item = components["schemas"]["Item"];
/** An item in a list: with select=, only the properties asked for (and id). */
export type ListedItem = components["schemas"]["ListedItem"];
export type Problem = components["schemas"]["Problem"];

declare global {
  interface Window {
    /** Set by config.js. */
    FOLIO_API?: string;
  }
}

/**
 * The Folio API this page reads: ?api= on the page's address, else config.js, else the address
 * `make run` listens on. Both can change without a rebuild.
 */
export function apiBase(): string {
  const fromQuery = new URLSearchParams(location.search).get("api");
  return (fromQuery || window.FOLIO_API || "http://localhost:8080").replace(/\/+$/, "");
}

export const client = createClient<paths>({
  baseUrl: apiBase(),
  // Public reads come with Cache-Control: public, max-age=60 and an ETag. With the default cache
  // mode the browser answers a fetch from its cache for that minute, even on a reload (a reload
  // revalidates the page itself, not what its scripts fetch), so an edit would not show. With
  // "no-cache" it asks every time with If-None-Match: unchanged content costs a 304 without a
  // body, changed content arrives at once.
  cache: "no-cache",
});

/** A link to another page of this site that keeps the page's ?api=. */
export function siteURL(page: string, params: Record<string, string | number> = {}): string {
  const q = new URLSearchParams();
  const api = new URLSearchParams(location.search).get("api");
  if (api) q.set("api", api);
  for (const [k, v] of Object.entries(params)) q.set(k, String(v));
  const s = q.toString();
  return s ? `${page}?${s}` : page;
}

/**
 * The body of a successful answer, or an Error that says what went wrong in words for the reader:
 * the server's problem details, or why the server could not be reached at all.
 */
export async function body<T>(
  what: string,
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let answer: { data?: T; error?: unknown; response: Response };
  try {
    answer = await request;
  } catch (err) {
    // A browser reports a refused connection and a CORS refusal alike, as a TypeError.
    throw new Error(
      `Could not reach the Folio API at ${apiBase()} to get ${what} (${String(err)}). ` +
        `Is it running, and was it started with FOLIO_CORS_ORIGINS=${location.origin}?`,
    );
  }
  const { data, error, response } = answer;
  if (response.ok && data !== undefined) return data;
  const p = (typeof error === "object" && error !== null ? error : {}) as Partial<Problem>;
  let msg = `Could not get ${what}: ${response.status} ${p.title ?? response.statusText}`;
  if (p.detail) msg += `: ${p.detail}`;
  if (p.request_id) msg += ` (request id ${p.request_id})`;
  throw new Error(msg);
}

/** Every content type's display name, by key. */
export async function typeNames(): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const page = await body("the content types", client.GET("/api/v1/types", { params: { query: { limit: 100, cursor } } }));
    for (const t of page.data) names.set(t.key, t.name);
    cursor = page.meta.next_cursor ?? undefined;
  } while (cursor);
  return names;
}
