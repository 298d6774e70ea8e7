/**
 * Retry policy for Qdrant requests: exponential backoff with full jitter, honouring Retry-After.
 * Only failures that leave the server's state unchanged or idempotently re-appliable are retried
 * (the caller marks a request idempotent); everything else fails on the first answer.
 */

export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  /** Base delay of the first retry, in ms. */
  baseMs: number;
  /** Upper bound of one delay, in ms (a Retry-After above it is capped too). */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 250, maxMs: 15_000 };

/** HTTP statuses worth retrying: rate limited, or the server/proxy is temporarily unable to answer. */
export function isRetriableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status <= 599);
}

/**
 * Delay before retry number `attempt` (1 for the first retry). A server-sent Retry-After wins over
 * the computed backoff, because the server knows when it will accept requests again.
 */
export function backoffMs(policy: RetryPolicy, attempt: number, retryAfter?: string | null, random: () => number = Math.random): number {
  const ra = parseRetryAfter(retryAfter);
  if (ra !== undefined) return Math.min(ra, policy.maxMs);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  // Full jitter: spreads retries of concurrent writers so they do not hit the server in lockstep.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110, 10.2.3). */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}
