// Shapes of the REST API v1 (docs/api.md). Kept by hand: the contract is small.

export const TICKET_TYPES = [
  'incident',
  'complaint',
  'information_request',
  'change_request',
  'observation',
] as const;
export type TicketType = (typeof TICKET_TYPES)[number];

export const CHANNELS = ['web', 'email', 'phone', 'api', 'on_site'] as const;
export type Channel = (typeof CHANNELS)[number];

export const IMPACTS = ['not_critical', 'critical', 'loss_of_functionality'] as const;
export type Impact = (typeof IMPACTS)[number];

export const CRITICALITIES = ['low', 'medium', 'high'] as const;
export type Criticality = (typeof CRITICALITIES)[number];

export const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const STATUSES = [
  'new',
  'assigned',
  'in_progress',
  'pending',
  'resolved',
  'closed',
  'cancelled',
] as const;
export type Status = (typeof STATUSES)[number];

// What kind of state a status is; the server says which are open (GET /statuses).
export type StatusCategory = 'new' | 'open' | 'waiting' | 'resolved' | 'closed';

export interface StatusInfo {
  name: Status;
  category: StatusCategory;
  open: boolean;
}

export const ROLES = ['requester', 'agent', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const LANGUAGES = ['es-MX', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export interface Ticket {
  id: number;
  number: string;
  type: TicketType;
  channel: Channel;
  impact: Impact;
  criticality: Criticality;
  priority: Priority;
  support_level?: number;
  status: Status;
  status_category: StatusCategory;
  requester_id: number;
  organisation_id: number | null;
  assignee_id?: number | null;
  group_id?: number | null;
  category_id: number | null;
  subject: string;
  description: string;
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
  closed_at: string | null;
  follow_up_of?: number | null; // the earlier request this one continues
  version?: number; // changes with every write (the ETag of the ticket)
  unread?: boolean; // staff only: something happened since I last opened it, by someone else
  sla?: TicketSla | null; // staff only: its service-level clocks; null when no policy applies
  coverage?: { status: 'none' | 'covered' | 'outside'; contract_id: number | null }; // staff only
  allowed_transitions: Status[];
}

export type EventKind =
  | 'created'
  | 'reply'
  | 'note'
  | 'field_change'
  | 'status_change'
  | 'assignment'
  | 'escalation'
  | 'return' // sent back down to a lower support level
  | 'sla_warning' // a service-level target at its warning threshold (field: the target)
  | 'sla_breach' // a service-level target missed
  | 'mail_failed' // internal: mail the desk sent was refused for good (new_value: to whom; body: why)
  | 'solution_linked'; // public: an article linked as the solution (body: its title, then its text; new_value: its id)

export interface TicketEvent {
  id: number;
  ticket_id: number;
  kind: EventKind;
  actor_type: 'user' | 'system';
  actor_id: number | null; // null for the system
  actor_name: string; // for the system: the automation ("auto_close", "demo", "cli")
  internal: boolean;
  body: string;
  field: string;
  old_value: string | null;
  new_value: string | null;
  created_at: string;
}

export interface User {
  id: number;
  email: string | null; // null: a caller known by name and phone only
  name: string;
  phone: string;
  role: Role;
  organisation_id: number | null;
  language: Language;
  timezone: string;
  active: boolean;
  must_change_password?: boolean; // someone else set the password: choose a new one
  created_at: string;
  group_ids?: number[];
}

export interface Organisation {
  id: number;
  name: string;
  shared_tickets: boolean;
  created_at: string;
}

export interface Group {
  id: number;
  name: string;
  support_level: number;
  member_ids: number[];
  created_at: string;
}

export interface Category {
  id: number;
  name: string;
  parent_id: number | null;
  created_at: string;
}

export type PriorityMatrix = Record<Impact, Record<Criticality, Priority>>;

export interface AutoClosePolicy {
  enabled: boolean;
  after_hours: number; // 1..8760
}

/** Whether new tickets go to a group serving their support level. */
export interface RoutingPolicy {
  group_by_level: boolean;
}

/** Who may create API tokens. */
export interface TokenPolicy {
  who: 'staff' | 'everyone';
}

export interface ApiToken {
  id: number;
  name: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

/** A token just created: the secret is shown this once. */
export interface NewApiToken extends ApiToken {
  token: string;
}

export const JOB_STATUSES = ['queued', 'running', 'failed', 'done'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Job kinds the web app has words for; others are shown by their name. */
export const KNOWN_JOB_KINDS = ['ticket.auto_close', 'maintenance.daily', 'users.search_keys', 'sla.check', 'sla.sweep'] as const;

export interface Job {
  id: number;
  kind: string;
  status: JobStatus;
  payload: Record<string, unknown> | null; // null when the stored payload is not JSON
  due_at: string;
  attempts: number;
  max_attempts: number;
  last_error: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  created_at: string;
  updated_at: string;
  done_at: string | null;
}

export interface JobPage extends Page<Job> {
  counts: { queued: number; running: number; failed: number }; // done jobs are not counted
}

export interface EscalationContact {
  id: number;
  level: number;
  role: string;
  name: string;
  office_phone: string;
  email: string;
  mobile: string;
  created_at: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface QueueCounts {
  mine: number;
  my_groups: number;
  unassigned: number;
  open: number;
  level_1: number;
  level_2: number;
  level_3: number;
  sla_breached?: number;
  sla_soon?: number;
  sla_at_risk?: number;
}

/** A ticket's service-level clocks, as the server computed them when it answered. */
export interface TicketSla {
  policy_id: number;
  first_response_due_at: string | null;
  first_response_warning_at: string | null;
  first_response_at: string | null;
  first_response_breached: boolean;
  first_response_met: boolean;
  first_response_seconds_left: number | null;
  resolution_due_at: string | null;
  resolution_warning_at: string | null;
  resolution_breached: boolean;
  resolution_met: boolean;
  paused: boolean;
  resolution_seconds_left: number | null;
}

export interface SlaPolicy {
  id: number;
  name: string;
  calendar_id: number;
  rank: number;
  match: { types: TicketType[]; priorities: Priority[]; organisation_ids: number[] };
  first_response_minutes: number;
  resolution_minutes: number;
  pause_statuses: Status[];
  first_response_warning_percent: number;
  resolution_warning_percent: number;
}

export interface Calendar {
  id: number;
  name: string;
  time_zone: string;
  builtin: boolean;
  hours: Record<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun', [string, string][]>;
  holidays: { date: string; name: string }[];
}

export interface EscalationRule {
  id: number;
  name: string;
  active: boolean;
  trigger: 'created' | 'sla_warning' | 'sla_breach';
  target: 'first_response' | 'resolution' | null;
  policy_id: number | null;
  impacts: Impact[];
  types: TicketType[];
  support_level: number | null;
  directory_level: number | null;
  group_id: number | null;
  priority: Priority | null;
}

export interface Notification {
  id: number;
  kind: 'sla_warning' | 'sla_breach' | 'escalation';
  detail: string;
  ticket_id: number | null;
  ticket_number: string | null;
  created_at: string;
  read_at: string | null;
}

export const OUTBOX_STATUSES = ['pending', 'sent', 'failed', 'held'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

export interface OutboxMessage {
  id: number;
  kind: string;
  ticket_id: number | null;
  to_address: string;
  to_name: string;
  language: string;
  subject: string;
  body: string;
  status: OutboxStatus | string; // held: no SMTP server configured
  message_id: string;
  attempts: number;
  last_error: string;
  created_at: string;
  sent_at: string | null;
}

/** A mailbox the desk takes mail in from (by the MTA's pipe, or by polling IMAP). */
export interface Mailbox {
  id: number;
  address: string;
  name: string;
  active: boolean;
  unknown_senders: 'create' | 'refuse';
  group_id: number | null;
  imap: {
    url: string; // empty: mail comes by the pipe only
    username: string;
    has_password: boolean; // the password itself is never sent back
    folder: string;
    tls: 'required' | 'opportunistic' | 'none';
    verify_peer: boolean;
    uidvalidity: number;
    last_uid: number;
    polled_at: string | null;
    error: string; // the last poll's failure; '' when it went well
  };
  created_at: string;
  updated_at: string;
}

export const INBOUND_STATUSES = ['set_aside', 'failed', 'ticket', 'comment'] as const;
export type InboundStatus = (typeof INBOUND_STATUSES)[number];

/** Reasons a message was set aside or failed that the web app has words for; "refused: ..." carries a detail. */
export const INBOUND_REASONS = [
  'auto_submitted',
  'precedence',
  'auto_response_suppress',
  'autoreply_header',
  'loop',
  'mailer_daemon',
  'delivery_report',
  'from_desk',
  'no_sender',
  'bad_sender',
  'inactive_sender',
  'unknown_sender',
  'not_allowed',
  'malformed',
  'too_large',
] as const;

/** A message the desk took in, and what became of it. */
export interface InboundMail {
  id: number;
  mailbox_id: number | null;
  source: 'pipe' | 'imap' | 'retry';
  status: InboundStatus;
  reason: string;
  message_id: string;
  from: string;
  subject: string;
  size: number;
  ticket_id: number | null;
  event_id: number | null;
  duplicates: number;
  received_at: string;
  updated_at: string;
  headers?: [string, string][];
  text?: string; // the detail only
}

/** A file on a ticket, under the event it came with. */
export interface Attachment {
  id: number;
  ticket_id: number;
  event_id: number | null;
  filename: string;
  content_type: string;
  size: number;
  inline: boolean;
  internal: boolean;
  url: string;
  created_at: string;
}

/** A file uploaded for a ticket or comment not yet sent. */
export interface Upload {
  id: number;
  filename: string;
  content_type: string;
  size: number;
}

export interface Viewer {
  user_id: number;
  name: string;
  state: 'viewing' | 'replying';
}

export type LiveMessage =
  | { type: 'event'; ticket: Ticket; event: TicketEvent }
  | { type: 'presence'; ticket_id: number; viewers: Viewer[] };

export interface Contract {
  id: number;
  organisation_id: number;
  name: string;
  starts_on: string;
  ends_on: string;
  policy_ids: number[];
  outside_coverage: 'warn' | 'refuse';
  in_force: boolean;
  days_left: number;
}

export interface SlaReportRow {
  key: string;
  label: string;
  tickets: number;
  first_response_met: number;
  first_response_breached: number;
  first_response_rate: number | null;
  resolution_met: number;
  resolution_breached: number;
  resolution_rate: number | null;
}

export interface SlaReport {
  from: string;
  to: string;
  group_by: string;
  items: SlaReportRow[];
  totals: SlaReportRow;
  escalations: { support_level: Record<string, number>; directory_level: Record<string, number> };
}

// The knowledge base, search and immediate solutions (issue 10).

export const ARTICLE_VISIBILITIES = ['public', 'internal'] as const;
export type ArticleVisibility = (typeof ARTICLE_VISIBILITIES)[number];

export const ARTICLE_STATUSES = ['draft', 'published'] as const;
export type ArticleStatus = (typeof ARTICLE_STATUSES)[number];

/** An article as lists give it: no body, an excerpt of its plain text instead. */
export interface ArticleSummary {
  id: number;
  title: string;
  language: Language;
  visibility: ArticleVisibility;
  status: ArticleStatus;
  category_id: number | null;
  category_name: string | null;
  tags: string[];
  version: number;
  author_id: number;
  author_name: string;
  updated_by_id: number;
  updated_by_name: string;
  created_at: string;
  updated_at: string;
  published_at: string | null;
  helpful_yes: number;
  helpful_no: number;
  my_vote: 'yes' | 'no' | null;
  source_ticket_id: number | null;
  excerpt?: string;
}

/** A whole article. `body_html` is rendered and made safe by the server. */
export interface Article extends ArticleSummary {
  body: string;
  body_html: string;
}

/** What an article is written from: create takes all, PATCH any of these. */
export interface ArticleFields {
  title: string;
  body: string;
  language: Language;
  visibility: ArticleVisibility;
  status: ArticleStatus;
  category_id: number | null;
  tags: string[];
}

export interface DiffLine {
  op: 'equal' | 'insert' | 'delete';
  text: string;
}

/** One stored version; `diff` is its body's line diff against the one before. */
export interface ArticleVersion {
  version: number;
  title: string;
  body: string;
  status: ArticleStatus;
  visibility: ArticleVisibility;
  language: Language;
  category_id: number | null;
  tags: string[];
  editor_id: number;
  editor_name: string;
  created_at: string;
  diff: DiffLine[];
}

export interface ArticleVotes {
  helpful_yes: number;
  helpful_no: number;
  my_vote: 'yes' | 'no' | null;
}

/** An article that may answer a text (a subject being typed, a ticket). `snippet` is safe HTML. */
export interface ArticleSuggestion {
  id: number;
  title: string;
  snippet: string;
  language: Language;
  visibility: ArticleVisibility;
  status?: ArticleStatus;
}

export type SearchKind = 'ticket' | 'article';

/** A search hit. `snippet` is safe HTML: escaped text with the matches in <mark>. */
export type SearchItem =
  | {
      kind: 'ticket';
      id: number;
      title: string;
      snippet: string;
      updated_at: string;
      number: string;
      status: Status;
      type: TicketType;
    }
  | {
      kind: 'article';
      id: number;
      title: string;
      snippet: string;
      updated_at: string;
      language: Language;
      visibility: ArticleVisibility;
      status: ArticleStatus;
    };

/** An article linked as a ticket's solution. */
export interface TicketSolution {
  ticket_id: number;
  article_id: number;
  article_title: string;
  language: Language;
  linked_by: number | null; // null: linked by the desk itself
  linked_by_name?: string;
  linked_at: string;
  event_id: number | null;
}

export interface KnowledgeReport {
  from: string;
  to: string;
  resolved: number;
  first_contact: number;
  first_contact_rate: number | null;
  deflections: number;
  solutions_linked: number;
  articles_published: number;
  helpful_yes: number;
  helpful_no: number;
  top_deflecting: { article_id: number; title: string; count: number }[];
}

/** The desk's general settings (GET/PATCH /settings). */
export interface DeskSettings {
  kb_agents_publish: boolean;
}
