// Turns a failed call into words for the user, and field errors into a map,
// always in the user's language: the server's `detail` and field `message`
// are English for logs and integrations and never reach the screen. What a
// status means for a given action (a 409 on a transition, say) is the
// caller's to say, through `ErrorContext`.
import { ApiError, type FieldError } from './api';
import { locale, t, tn, type MessageKey } from './i18n.svelte';
import { esMX } from './i18n/es-MX';

/** The longest text each field takes (docs/api.md); the server's errors do not say. */
export const TEXT_LIMITS: Record<string, number> = {
  subject: 200,
  description: 100_000,
  body: 100_000,
  reason: 2_000,
  name: 200,
  role: 200,
  email: 254,
  phone: 40,
  office_phone: 40,
  mobile: 40,
};

/** The shortest text some fields take. */
export const TEXT_MINIMUMS: Record<string, number> = { password: 8 };

export interface ErrorContext {
  /** What a 409 means for this action. */
  conflict?: MessageKey;
  /** What a 404 means for this action. */
  notFound?: MessageKey;
  /** What a 403 means for this action. */
  forbidden?: MessageKey;
  /**
   * The form shows no message beside each field (a single text box): say
   * the field errors in the summary instead of "check the marked fields".
   */
  inlineFields?: Record<string, string>;
}

/** Minutes to wait, rounded up, from a Retry-After in seconds. */
export function minutesToWait(seconds: number | null, fallback = 300): number {
  const s = seconds ?? fallback;
  return Math.max(1, Math.ceil(s / 60));
}

export function errorText(e: unknown, ctx: ErrorContext = {}): string {
  if (!(e instanceof ApiError)) return t('error.unexpected');
  switch (e.status) {
    case 0:
      return t('common.networkError');
    case 400:
    case 415:
      return t('error.badRequest');
    case 401:
      return t('login.expired');
    case 403:
      return t(ctx.forbidden ?? 'common.forbidden');
    case 404:
      return t(ctx.notFound ?? 'common.notFound');
    case 409:
      return t(ctx.conflict ?? 'error.conflict');
    case 412:
      return t('error.changedMeanwhile');
    case 413:
      return t('error.tooLarge');
    case 422: {
      if (ctx.inlineFields) {
        const f = fieldErrors(e);
        const parts = Object.entries(f).map(([field, msg]) =>
          ctx.inlineFields![field] ? `${ctx.inlineFields![field]}: ${msg}` : msg,
        );
        if (parts.length) return parts.join(' ');
      }
      return t('common.invalid');
    }
    case 429:
      return tn('error.tooMany', minutesToWait(e.retryAfter));
    case 503:
      return t('error.unavailable');
    default:
      return t('error.server');
  }
}

/** One field error in the user's language, by its stable code. */
export function fieldErrorText(f: FieldError): string {
  const code = f.code ?? 'invalid';
  if (code === 'too_long') {
    const max = TEXT_LIMITS[f.field] ?? Number(/\d+/.exec(f.message)?.[0] ?? NaN);
    return Number.isFinite(max) ? tn('fieldError.tooLongMax', max) : t('fieldError.too_long');
  }
  if (code === 'too_short') {
    const min = TEXT_MINIMUMS[f.field] ?? Number(/\d+/.exec(f.message)?.[0] ?? NaN);
    return Number.isFinite(min) ? tn('fieldError.tooShortMin', min) : t('fieldError.too_short');
  }
  const key = `fieldError.${code}` as MessageKey;
  return key in esMX ? t(key) : t('fieldError.invalid');
}

/** Field errors by field, in the user's language (by the server's stable code). */
export function fieldErrors(e: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (e instanceof ApiError) for (const f of e.errors) out[f.field] ??= fieldErrorText(f);
  return out;
}

/**
 * The checks a form makes before it calls the server (the browser's own
 * bubbles are off: `novalidate`), with the server's messages: required
 * fields that are blank, and texts over their limit. Code points, as the
 * server counts them.
 */
export function checkFields(
  values: Record<string, string>,
  required: string[] = Object.keys(values),
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(values)) {
    if (required.includes(field) && !value.trim()) out[field] = t('fieldError.required');
    else if (TEXT_LIMITS[field] !== undefined && [...value].length > TEXT_LIMITS[field])
      out[field] = tn('fieldError.tooLongHave', TEXT_LIMITS[field], { have: [...value].length.toLocaleString(locale.lang) });
  }
  return out;
}
