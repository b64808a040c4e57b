// Cached reference data: statuses, categories, groups, staff, and user names
// for the timeline and the queues. Loaded once per session, refreshed after
// admin edits.
import { api } from './api';
import { session, isStaff } from './session.svelte';
import {
  STATUSES,
  type Category,
  type Group,
  type Organisation,
  type Status,
  type StatusCategory,
  type StatusInfo,
  type User,
} from './types';

export const dir = $state<{
  statuses: StatusInfo[];
  categories: Category[];
  groups: Group[];
  staff: User[];
  organisations: Organisation[];
  names: Record<number, string>;
}>({ statuses: [], categories: [], groups: [], staff: [], organisations: [], names: {} });

const pending = new Set<number>();
let loaded: Promise<void> | null = null;

export function resetDirectory(): void {
  dir.statuses = [];
  dir.categories = [];
  dir.groups = [];
  dir.staff = [];
  dir.organisations = [];
  dir.names = {};
  pending.clear();
  loaded = null;
}

/** Loads what the signed-in user may see; safe to call many times. */
export function loadDirectory(): Promise<void> {
  loaded ??= (async () => {
    const jobs: Promise<unknown>[] = [reloadStatuses(), reloadCategories()];
    if (isStaff()) jobs.push(reloadGroups(), reloadStaff(), reloadOrganisations());
    await Promise.allSettled(jobs);
  })();
  return loaded;
}

async function reloadStatuses(): Promise<void> {
  dir.statuses = (await api.statuses()).items;
}

/** Every status in the server's lifecycle order (the type's order until it answers). */
export function statusNames(): readonly Status[] {
  return dir.statuses.length ? dir.statuses.map((s) => s.name) : STATUSES;
}

// The categories the server documents as open, used only until /statuses answers.
const DOCUMENTED_OPEN: readonly StatusCategory[] = ['new', 'open', 'waiting'];

/** Whether a ticket is open: its status category is one the server calls open. */
export function isOpenTicket(t: { status_category: StatusCategory }): boolean {
  const open = dir.statuses.length
    ? dir.statuses.filter((s) => s.open).map((s) => s.category)
    : DOCUMENTED_OPEN;
  return open.includes(t.status_category);
}

export async function reloadCategories(): Promise<void> {
  dir.categories = (await api.categories()).items;
}

export async function reloadGroups(): Promise<void> {
  dir.groups = (await api.groups()).items;
}

export async function reloadStaff(): Promise<void> {
  const roles = ['agent', 'supervisor', 'admin'];
  const pages = await Promise.all(roles.map((role) => api.users({ role, limit: 200 })));
  const staff = pages.flatMap((p) => p.items).filter((u) => u.active);
  staff.sort((a, b) => a.name.localeCompare(b.name));
  dir.staff = staff;
  for (const u of staff) dir.names[u.id] = u.name;
}

export async function reloadOrganisations(): Promise<void> {
  dir.organisations = (await api.organisations()).items;
}

/** An organisation's name (staff), or its number until the list has it. */
export function organisationName(id: number | null | undefined): string {
  if (id === null || id === undefined) return '';
  return dir.organisations.find((o) => o.id === id)?.name ?? `#${id}`;
}

export function remember(u: User): void {
  dir.names[u.id] = u.name;
}

/** The name of a user, fetched once when staff may look it up. */
export function userName(id: number | null | undefined): string | null {
  if (id === null || id === undefined) return null;
  const me = session.user;
  if (me && id === me.id) return me.name;
  const known = dir.names[id];
  if (known !== undefined) return known;
  if (isStaff() && !pending.has(id)) {
    pending.add(id);
    api.user(id).then(
      (u) => (dir.names[u.id] = u.name),
      () => (dir.names[id] = `#${id}`),
    );
  }
  return null;
}

export function groupName(id: number | null | undefined): string | null {
  if (id === null || id === undefined) return null;
  return dir.groups.find((g) => g.id === id)?.name ?? `#${id}`;
}

export function categoryPath(id: number | null | undefined): string | null {
  if (id === null || id === undefined) return null;
  const parts: string[] = [];
  let c = dir.categories.find((x) => x.id === id);
  let guard = 0;
  while (c && guard++ < 20) {
    parts.unshift(c.name);
    c = c.parent_id === null ? undefined : dir.categories.find((x) => x.id === c!.parent_id);
  }
  return parts.length ? parts.join(' › ') : `#${id}`;
}

/** Categories in tree order with their depth, for indented selects. */
export function categoryTree(categories: Category[] = dir.categories): { c: Category; depth: number }[] {
  const out: { c: Category; depth: number }[] = [];
  const children = new Map<number | null, Category[]>();
  const ids = new Set(categories.map((c) => c.id));
  for (const c of categories) {
    const parent = c.parent_id !== null && ids.has(c.parent_id) ? c.parent_id : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent)!.push(c);
  }
  for (const list of children.values()) list.sort((a, b) => a.name.localeCompare(b.name));
  const seen = new Set<number>();
  const walk = (parent: number | null, depth: number) => {
    for (const c of children.get(parent) ?? []) {
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      out.push({ c, depth });
      walk(c.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** The groups the signed-in user belongs to (from /auth/me, else from the groups list). */
export function myGroupIds(): number[] {
  const me = session.user;
  if (!me) return [];
  if (me.group_ids) return me.group_ids;
  return dir.groups.filter((g) => g.member_ids.includes(me.id)).map((g) => g.id);
}
