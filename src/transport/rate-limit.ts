import type { RateLimitSpec, ResetFormat } from '../manifest/types.js';
import { header, type Headers } from './headers.js';

/**
 * The one reader of rate-limit headers: how many requests the window has left and when
 * it resets, in whichever form the API writes the reset (epoch seconds, epoch
 * milliseconds, seconds from now, an HTTP date or ISO 8601). Times are epoch ms.
 */
export interface RateLimitReader {
  remaining(headers: Headers): number | undefined;
  resetAt(headers: Headers, now: number): number | undefined;
}

export function compileRateLimit(spec: RateLimitSpec | undefined): RateLimitReader {
  const remainingHeader = spec?.remaining?.toLowerCase();
  const resetHeader = spec?.reset?.toLowerCase();
  const format = spec?.reset_format ?? 'epoch_seconds';
  return {
    remaining(headers) {
      if (!remainingHeader) return undefined;
      const raw = header(headers, remainingHeader);
      const n = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
      return Number.isFinite(n) ? n : undefined;
    },
    resetAt(headers, now) {
      if (!resetHeader) return undefined;
      const raw = header(headers, resetHeader);
      return raw === undefined ? undefined : parseReset(raw, format, now);
    },
  };
}

/** A reset value in the given format, as epoch ms; undefined when it cannot be read. */
export function parseReset(raw: string, format: ResetFormat, now: number): number | undefined {
  const text = raw.trim();
  if (text === '') return undefined;
  const n = Number(text);
  switch (format) {
    case 'epoch_seconds':
      return Number.isFinite(n) && n > 0 ? n * 1000 : undefined;
    case 'epoch_ms':
      return Number.isFinite(n) && n > 0 ? n : undefined;
    case 'delta_seconds':
      return Number.isFinite(n) && n >= 0 ? now + n * 1000 : undefined;
    case 'http_date':
    case 'iso8601': {
      const t = Date.parse(text);
      return Number.isNaN(t) ? undefined : t;
    }
  }
}

/** `Retry-After` (seconds or an HTTP date) as a wait in ms from `now`; undefined when absent. */
export function retryAfterMs(headers: Headers | undefined, now: number): number | undefined {
  const raw = headers && header(headers, 'retry-after');
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t - now;
}
