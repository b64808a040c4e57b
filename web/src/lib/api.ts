// The one door to the REST API: JSON in and out, the session cookie, the CSRF
// header on every call that changes something, and the 401 -> sign-in rule.
import type {
  Article,
  ArticleFields,
  ArticleSuggestion,
  ArticleSummary,
  ArticleVersion,
  ArticleVotes,
  DeskSettings,
  KnowledgeReport,
  SearchItem,
  TicketSolution,
  Attachment,
  InboundMail,
  Mailbox,
  Upload,
  AutoClosePolicy,
  Calendar,
  Category,
  Contract,
  SlaReport,
  EscalationRule,
  Notification,
  OutboxMessage,
  SlaPolicy,
  EscalationContact,
  Group,
  JobPage,
  Job,
  Organisation,
  Page,
  PriorityMatrix,
  QueueCounts,
  StatusInfo,
  RoutingPolicy,
  Ticket,
  TicketEvent,
  TokenPolicy,
  ApiToken,
  NewApiToken,
  User,
} from './types';

const CSRF_KEY = 'sd.csrf';
let csrf: string | null = sessionStorage.getItem(CSRF_KEY);
let onUnauthorized: () => void = () => {};

export function setCsrf(token: string | null): void {
  csrf = token;
  if (token) sessionStorage.setItem(CSRF_KEY, token);
  else sessionStorage.removeItem(CSRF_KEY);
}

export function hasCsrf(): boolean {
  return csrf !== null;
}

/** Called whenever the server answers 401 (session gone): the app shows sign-in. */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

export interface FieldError {
  field: string;
  message: string; // English, for logs and integrations
  code?: string; // stable, for translation (see fieldErrors)
}

/**
 * An answer other than 2xx, carrying the problem+json body when there is one.
 * `detail` is the server's English, for logs only: the screens say what
 * happened from `status`, `code` and the field codes (see errors.ts).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
    readonly retryAfter: number | null = null,
    /** The problem's code, the last part of its `type` (`conflict`, `precondition_failed`, ...). */
    readonly code: string = '',
    /** For a conflict: the record that is already there (a duplicate caller, a taken email). */
    readonly existingId: number | null = null,
    /** What kind of conflict it is, when the server says (`already_taken`, `address_taken`, ...). */
    readonly reason: string = '',
  ) {
    super(detail || title || `HTTP ${status}`);
  }
}

/** A body and the entity tag that came with it (a ticket's version). */
export interface Versioned<T> {
  data: T;
  etag: string | null;
}

type Query = Record<string, string | number | boolean | null | undefined>;

export function queryString(q: Query): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

async function requestVersioned<T>(
  method: string,
  path: string,
  body?: unknown,
  opts: { quiet401?: boolean; ifMatch?: string | null } = {},
): Promise<Versioned<T>> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  if (opts.ifMatch) headers['If-Match'] = opts.ifMatch;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
  }
  if (res.status === 204) return { data: undefined as T, etag: null };
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const p = (data ?? {}) as {
      type?: string;
      title?: string;
      detail?: string;
      errors?: FieldError[];
      existing_id?: number;
      reason?: string;
    };
    const retry = Number(res.headers.get('Retry-After'));
    const err = new ApiError(
      res.status,
      p.title ?? res.statusText,
      p.detail ?? '',
      Array.isArray(p.errors) ? p.errors : [],
      Number.isFinite(retry) && retry > 0 ? retry : null,
      typeof p.type === 'string' ? (p.type.split('/').pop() ?? '') : '',
      typeof p.existing_id === 'number' && p.existing_id > 0 ? p.existing_id : null,
      typeof p.reason === 'string' ? p.reason : '',
    );
    if (res.status === 401 && !opts.quiet401) onUnauthorized();
    throw err;
  }
  return { data: data as T, etag: res.headers.get('ETag') };
}

async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  opts: { quiet401?: boolean } = {},
): Promise<T> {
  return (await requestVersioned<T>(method, path, body, opts)).data;
}

const get = <T>(path: string, q: Query = {}) => request<T>('GET', path + queryString(q));
const post = <T>(path: string, body: unknown) => request<T>('POST', path, body);
const patch = <T>(path: string, body: unknown) => request<T>('PATCH', path, body);
const put = <T>(path: string, body: unknown) => request<T>('PUT', path, body);
const del = (path: string) => request<void>('DELETE', path);

export interface TicketQuery extends Query {
  status?: string;
  type?: string;
  priority?: string;
  support_level?: string;
  assignee_id?: string;
  group_id?: string;
  requester_id?: string;
  category_id?: string;
  q?: string;
  sla?: string; // breached | soon | at_risk
  sort?: string;
  limit?: number;
  cursor?: string;
}

export interface SlaReportQuery extends Query {
  from?: string;
  to?: string;
  group_by?: string;
}

/** The address of a report as CSV (a plain GET with the session cookie). */
export function slaReportCsv(q: SlaReportQuery): string {
  return '/api/v1/reports/sla' + queryString({ ...q, format: 'csv' });
}

export interface ArticleQuery extends Query {
  q?: string;
  language?: string;
  visibility?: string;
  status?: string;
  category_id?: string | number;
  tag?: string;
  limit?: number;
  cursor?: string;
}

export interface SearchQuery extends Query {
  q: string;
  kind?: string; // ticket | article; both when left out
  type?: string;
  status?: string;
  category_id?: string | number;
  from?: string;
  to?: string;
  language?: string;
  limit?: number;
  cursor?: string;
}

/** An article's version as the entity tag If-Match names. */
const articleTag = (version: number) => `"${version}"`;

export interface NewTicket {
  type: string;
  subject: string;
  description: string;
  impact: string;
  criticality: string;
  channel?: string;
  requester_id?: number;
  category_id?: number;
  follow_up_of?: number;
  attachment_ids?: number[]; // the caller's own uploads (api.upload)
}

/** The body of a comment, with the caller's uploads when there are any. */
function commentBody(body: string, internal: boolean, attachmentIds: number[] = []) {
  return attachmentIds.length ? { body, internal, attachment_ids: attachmentIds } : { body, internal };
}

export interface UploadHandle {
  /** The stored upload, or an ApiError (status 0 when the network failed or it was aborted). */
  done: Promise<Upload>;
  abort: () => void;
}

/**
 * Uploads one file (POST /uploads, multipart, part "file") with its progress,
 * 0..1; XMLHttpRequest, since fetch does not report an upload's progress.
 */
export function upload(file: File, onProgress: (fraction: number) => void = () => {}): UploadHandle {
  const xhr = new XMLHttpRequest();
  const done = new Promise<Upload>((resolve, reject) => {
    xhr.open('POST', '/api/v1/uploads');
    xhr.setRequestHeader('Accept', 'application/json');
    if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let data: unknown = undefined;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        data = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        const item = (data as { items?: Upload[] } | undefined)?.items?.[0];
        if (item) {
          onProgress(1);
          resolve(item);
        } else reject(new ApiError(xhr.status, 'bad response', 'no upload in the answer'));
        return;
      }
      const p = (data ?? {}) as { type?: string; title?: string; detail?: string; errors?: FieldError[] };
      if (xhr.status === 401) onUnauthorized();
      reject(
        new ApiError(
          xhr.status,
          p.title ?? xhr.statusText,
          p.detail ?? '',
          Array.isArray(p.errors) ? p.errors : [],
          null,
          typeof p.type === 'string' ? (p.type.split('/').pop() ?? '') : '',
        ),
      );
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'upload failed'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'upload aborted'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

/** Where a received message is downloaded as it came (.eml; a plain GET with the session cookie). */
export function inboundRawUrl(id: number): string {
  return `/api/v1/admin/inbound-mail/${id}/raw`;
}

export const api = {
  login: (email: string, password: string) =>
    request<{ user: User; csrf_token: string }>(
      'POST',
      '/auth/login',
      { email, password },
      { quiet401: true },
    ),
  logout: () => request<void>('POST', '/auth/logout', undefined, { quiet401: true }),
  me: () => request<User>('GET', '/auth/me', undefined, { quiet401: true }),

  tickets: (q: TicketQuery) => get<Page<Ticket>>('/tickets', q),
  ticket: (id: number) => get<Ticket>(`/tickets/${id}`),
  counts: () => get<QueueCounts>('/tickets/counts'),
  createTicket: (t: NewTicket) => post<Ticket>('/tickets', t),
  updateTicket: (id: number, fields: Record<string, unknown>) =>
    patch<Ticket>(`/tickets/${id}`, fields),
  transition: (id: number, to: string) => post<Ticket>(`/tickets/${id}/transitions`, { to }),
  comment: (id: number, body: string, internal: boolean, attachmentIds: number[] = []) =>
    post<TicketEvent>(`/tickets/${id}/comments`, commentBody(body, internal, attachmentIds)),
  escalate: (id: number, to_level: number, reason: string) =>
    post<TicketEvent>(`/tickets/${id}/escalations`, { to_level, reason }),
  events: (id: number) => get<{ items: TicketEvent[] }>(`/tickets/${id}/events`),

  // The agent's ticket view: each change names the version it was made on
  // (If-Match); a 412 means someone changed the ticket meanwhile.
  versioned: {
    ticket: (id: number) => requestVersioned<Ticket>('GET', `/tickets/${id}`),
    update: (id: number, fields: Record<string, unknown>, etag: string | null) =>
      requestVersioned<Ticket>('PATCH', `/tickets/${id}`, fields, { ifMatch: etag }),
    transition: (id: number, to: string, etag: string | null) =>
      requestVersioned<Ticket>('POST', `/tickets/${id}/transitions`, { to }, { ifMatch: etag }),
    comment: (id: number, body: string, internal: boolean, etag: string | null, attachmentIds: number[] = []) =>
      requestVersioned<TicketEvent>('POST', `/tickets/${id}/comments`, commentBody(body, internal, attachmentIds), {
        ifMatch: etag,
      }),
    escalate: (id: number, to_level: number, reason: string, etag: string | null) =>
      requestVersioned<TicketEvent>('POST', `/tickets/${id}/escalations`, { to_level, reason }, { ifMatch: etag }),
  },
  statuses: () => get<{ items: StatusInfo[] }>('/statuses'),

  users: (q: Query) => get<Page<User>>('/users', q),
  user: (id: number) => get<User>(`/users/${id}`),
  createUser: (u: Record<string, unknown>) => post<User>('/users', u),
  updateUser: (id: number, u: Record<string, unknown>) => patch<User>(`/users/${id}`, u),

  organisations: () => get<{ items: Organisation[] }>('/organisations'),
  createOrganisation: (o: Record<string, unknown>) => post<Organisation>('/organisations', o),
  updateOrganisation: (id: number, o: Record<string, unknown>) =>
    patch<Organisation>(`/organisations/${id}`, o),

  groups: () => get<{ items: Group[] }>('/groups'),
  createGroup: (g: Record<string, unknown>) => post<Group>('/groups', g),
  updateGroup: (id: number, g: Record<string, unknown>) => patch<Group>(`/groups/${id}`, g),

  categories: () => get<{ items: Category[] }>('/categories'),
  createCategory: (c: Record<string, unknown>) => post<Category>('/categories', c),
  updateCategory: (id: number, c: Record<string, unknown>) =>
    patch<Category>(`/categories/${id}`, c),

  priorityMatrix: () => get<{ matrix: PriorityMatrix }>('/settings/priority-matrix'),
  savePriorityMatrix: (matrix: PriorityMatrix) =>
    put<{ matrix: PriorityMatrix }>('/settings/priority-matrix', { matrix }),

  autoClose: () => get<AutoClosePolicy>('/settings/auto-close'),
  saveAutoClose: (p: AutoClosePolicy) => put<AutoClosePolicy>('/settings/auto-close', p),
  routing: () => get<RoutingPolicy>('/settings/routing'),
  saveRouting: (p: RoutingPolicy) => put<RoutingPolicy>('/settings/routing', p),
  tokenPolicy: () => get<TokenPolicy>('/settings/api-tokens'),
  saveTokenPolicy: (p: TokenPolicy) => put<TokenPolicy>('/settings/api-tokens', p),

  tokens: () => get<{ items: ApiToken[] }>('/tokens'),
  createToken: (t: { name: string; expires_at?: string }) => post<NewApiToken>('/tokens', t),
  revokeToken: (id: number) => del(`/tokens/${id}`),

  jobs: (q: { status?: string; kind?: string; limit?: number; cursor?: string }) =>
    get<JobPage>('/admin/jobs', q),
  retryJob: (id: number) => post<Job>(`/admin/jobs/${id}/retry`, undefined),

  escalationContacts: () => get<{ items: EscalationContact[] }>('/escalation-contacts'),
  createEscalationContact: (c: Record<string, unknown>) =>
    post<EscalationContact>('/escalation-contacts', c),
  updateEscalationContact: (id: number, c: Record<string, unknown>) =>
    patch<EscalationContact>(`/escalation-contacts/${id}`, c),
  deleteEscalationContact: (id: number) => del(`/escalation-contacts/${id}`),

  slaPolicies: () => get<{ items: SlaPolicy[] }>('/sla-policies'),
  createSlaPolicy: (p: Partial<SlaPolicy>) => post<SlaPolicy>('/sla-policies', p),
  updateSlaPolicy: (id: number, p: Partial<SlaPolicy>) => patch<SlaPolicy>(`/sla-policies/${id}`, p),
  deleteSlaPolicy: (id: number) => del(`/sla-policies/${id}`),
  calendars: () => get<{ items: Calendar[] }>('/calendars'),
  createCalendar: (c: Partial<Calendar>) => post<Calendar>('/calendars', c),
  updateCalendar: (id: number, c: Partial<Calendar>) => patch<Calendar>(`/calendars/${id}`, c),
  deleteCalendar: (id: number) => del(`/calendars/${id}`),
  escalationRules: () => get<{ items: EscalationRule[] }>('/escalation-rules'),
  createEscalationRule: (r: Partial<EscalationRule>) => post<EscalationRule>('/escalation-rules', r),
  updateEscalationRule: (id: number, r: Partial<EscalationRule>) =>
    patch<EscalationRule>(`/escalation-rules/${id}`, r),
  deleteEscalationRule: (id: number) => del(`/escalation-rules/${id}`),
  notifications: (q: { unread?: string; before?: number; limit?: number } = {}) =>
    get<{ items: Notification[]; unread: number }>('/notifications', q),
  readNotification: (id: number) => post<{ marked: number }>(`/notifications/${id}/read`, undefined),
  readAllNotifications: () => post<{ marked: number }>('/notifications/read-all', undefined),
  contracts: (q: { organisation_id?: number; expiring_within_days?: number } = {}) =>
    get<{ items: Contract[] }>('/contracts', q),
  createContract: (c: Partial<Contract>) => post<Contract>('/contracts', c),
  updateContract: (id: number, c: Partial<Contract>) => patch<Contract>(`/contracts/${id}`, c),
  deleteContract: (id: number) => del(`/contracts/${id}`),
  slaReport: (q: SlaReportQuery) => get<SlaReport>('/reports/sla', q),
  outbox: (q: { before?: number; limit?: number } = {}) =>
    get<{ items: OutboxMessage[]; next_before: number | null }>('/admin/outbox', q),

  // The email channel (admins), a ticket's mail (staff) and files (whoever sees the ticket).
  mailboxes: () => get<{ items: Mailbox[] }>('/mailboxes'),
  createMailbox: (m: Record<string, unknown>) => post<Mailbox>('/mailboxes', m),
  updateMailbox: (id: number, m: Record<string, unknown>) => patch<Mailbox>(`/mailboxes/${id}`, m),
  deleteMailbox: (id: number) => del(`/mailboxes/${id}`),
  inboundMail: (q: { status?: string; mailbox_id?: number; before?: number; limit?: number } = {}) =>
    get<{ items: InboundMail[]; next_before: number | null }>('/admin/inbound-mail', q),
  inboundMessage: (id: number) => get<InboundMail>(`/admin/inbound-mail/${id}`),
  retryInbound: (id: number, accept: boolean) => post<InboundMail>(`/admin/inbound-mail/${id}/retry`, { accept }),
  ticketMail: (id: number) => get<{ items: InboundMail[] }>(`/tickets/${id}/mail`),
  ticketAttachments: (id: number) => get<{ items: Attachment[] }>(`/tickets/${id}/attachments`),

  // The knowledge base (issue 10). An edit names the version it was made on;
  // a 412 means someone saved the article meanwhile.
  articles: (q: ArticleQuery) => get<Page<ArticleSummary>>('/articles', q),
  article: (id: number) => get<Article>(`/articles/${id}`),
  createArticle: (a: ArticleFields) => post<Article>('/articles', a),
  updateArticle: (id: number, fields: Partial<ArticleFields>, version: number | null) =>
    requestVersioned<Article>('PATCH', `/articles/${id}`, fields, {
      ifMatch: version === null ? null : articleTag(version),
    }).then((r) => r.data),
  deleteArticle: (id: number) => del(`/articles/${id}`),
  articleVersions: (id: number) => get<{ items: ArticleVersion[] }>(`/articles/${id}/versions`),
  voteArticle: (id: number, helpful: boolean) => post<ArticleVotes>(`/articles/${id}/votes`, { helpful }),
  previewArticle: (body: string) => post<{ body_html: string }>('/articles/preview', { body }),
  articleSuggestions: (text: string, limit = 5) =>
    get<{ items: ArticleSuggestion[] }>('/articles/suggestions', { text, limit }),
  deflect: (article_id: number, subject: string) => post<{ id: number }>('/deflections', { article_id, subject }),
  search: (q: SearchQuery) => get<Page<SearchItem>>('/search', q),
  suggestedArticles: (ticketId: number) =>
    get<{ items: ArticleSuggestion[] }>(`/tickets/${ticketId}/suggested-articles`),
  solutions: (ticketId: number) => get<{ items: TicketSolution[] }>(`/tickets/${ticketId}/solutions`),
  linkSolution: (ticketId: number, article_id: number) =>
    post<TicketSolution>(`/tickets/${ticketId}/solutions`, { article_id }),
  articleDraft: (ticketId: number) => post<Article>(`/tickets/${ticketId}/article-draft`, undefined),
  knowledgeReport: (q: { from?: string; to?: string }) => get<KnowledgeReport>('/reports/knowledge', q),
  // The server keeps it as /settings/knowledge-base {"agents_publish"} (PUT), like the other settings.
  settings: () =>
    get<{ agents_publish: boolean }>('/settings/knowledge-base').then(
      (r): DeskSettings => ({ kb_agents_publish: r.agents_publish }),
    ),
  saveSettings: (s: DeskSettings) =>
    put<{ agents_publish: boolean }>('/settings/knowledge-base', { agents_publish: s.kb_agents_publish }).then(
      (r): DeskSettings => ({ kb_agents_publish: r.agents_publish }),
    ),
};
