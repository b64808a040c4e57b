// Turns a failed call into words for the user, and field errors into a map.
import { ApiError } from './api';
import { t, type MessageKey } from './i18n.svelte';
import { esMX } from './i18n/es-MX';

export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    switch (e.status) {
      case 0:
        return t('common.networkError');
      case 403:
        return t('common.forbidden');
      case 404:
        return t('common.notFound');
      case 409:
        return t('common.conflict', { detail: e.detail || e.title });
      case 422:
        return t('common.invalid');
      default:
        return t('common.error', { detail: e.detail || e.title || String(e.status) });
    }
  }
  return t('common.error', { detail: e instanceof Error ? e.message : String(e) });
}

/** Field errors by field, in the user's language (by the server's stable code). */
export function fieldErrors(e: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (e instanceof ApiError)
    for (const f of e.errors) {
      const key = `fieldError.${f.code ?? 'invalid'}` as MessageKey;
      out[f.field] = key in esMX ? t(key) : f.message;
    }
  return out;
}
