// Translations and display formats. `t()` reads the reactive locale, so every
// string re-renders when the user switches language.
import { esMX, type MessageKey } from './i18n/es-MX';
import { en } from './i18n/en';
import type { Language } from './types';

export type { MessageKey };

const dictionaries: Record<Language, Record<MessageKey, string>> = { 'es-MX': esMX, en };

export const locale = $state<{ lang: Language; timeZone: string }>({
  lang: 'es-MX',
  timeZone: 'America/Mexico_City',
});

export function setLocale(lang: Language, timeZone?: string): void {
  locale.lang = dictionaries[lang] ? lang : 'es-MX';
  if (timeZone) locale.timeZone = validTimeZone(timeZone) ? timeZone : 'UTC';
  document.documentElement.lang = locale.lang;
}

export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = dictionaries[locale.lang][key] ?? esMX[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name: string) =>
    name in params ? String(params[name]) : m,
  );
}

/** The message keys that come in a pair `X.one` / `X.other`: `X`. */
export type PluralKey = MessageKey extends infer K ? (K extends `${infer B}.one` ? B : never) : never;

const pluralRules = new Map<string, Intl.PluralRules>();

/**
 * A count in words: `X.one` or `X.other` by the language's plural rules,
 * with `{n}` the number formatted for the language.
 */
export function tn(key: PluralKey, n: number, params: Record<string, string | number> = {}): string {
  let rules = pluralRules.get(locale.lang);
  if (!rules) {
    rules = new Intl.PluralRules(locale.lang);
    pluralRules.set(locale.lang, rules);
  }
  const form = rules.select(n) === 'one' ? 'one' : 'other';
  return t(`${key}.${form}` as MessageKey, { ...params, n: n.toLocaleString(locale.lang) });
}

/** Translates an enum value by prefix, e.g. tEnum('status', 'new'). */
export function tEnum(prefix: string, value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return t('common.none');
  const key = `${prefix}.${value}` as MessageKey;
  return key in esMX ? t(key) : value;
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A date and time in the user's language and time zone. */
export function formatDate(iso: string | null | undefined, style: 'short' | 'long' = 'short'): string {
  if (!iso) return '';
  const key = `${locale.lang}|${locale.timeZone}|${style}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale.lang, {
      timeZone: locale.timeZone,
      dateStyle: style === 'long' ? 'long' : 'short',
      timeStyle: 'short',
    });
    formatters.set(key, f);
  }
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : f.format(d);
}
