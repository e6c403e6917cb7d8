// Deterministic Intercom-shaped data. Record shapes follow the official OpenAPI 2.16
// components.schemas (contact, conversation, company, team, admin, tag, segment).
// Contacts and conversations are generated on demand from their index, so a dataset of
// hundreds of thousands of contacts costs nothing until a page is actually served.

export type EntityKind = 'contacts' | 'conversations' | 'companies' | 'teams' | 'admins' | 'tags' | 'segments';
export type Counts = Record<EntityKind, number>;

export const DEFAULT_COUNTS: Readonly<Counts> = Object.freeze({
  contacts: 1000,
  conversations: 300,
  companies: 120,
  teams: 5,
  admins: 8,
  tags: 12,
  segments: 6,
});

/** Value types of data attributes, as search and writes check them. */
export type AttributeType = 'string' | 'integer' | 'boolean' | 'date';

/**
 * The contact data attributes the generator fills (custom_attributes). Intercom only accepts
 * writes to attributes the workspace has defined, and a search value must match the
 * attribute's type, so both checks need the list.
 */
export const CONTACT_CUSTOM_ATTRIBUTES: Readonly<Record<string, AttributeType>> = Object.freeze({
  plan_tier: 'string',
  seats: 'integer',
  beta_tester: 'boolean',
  signup_source: 'string',
  nps_score: 'integer',
  trial_ends_at: 'date',
});

export interface GenerateOptions {
  seed?: number;
  counts?: Partial<Counts>;
}

// ---------- record types (spec shapes) ----------

export interface Reference { type: string; id: string | null }
export interface ListRef { type: string; id: string; url: string }
export interface AddressableList {
  type: 'list';
  data: ListRef[];
  url: string;
  total_count: number;
  has_more: boolean;
}
export interface SocialProfile { type: 'social_profile'; name: string; url: string }
export interface ContactLocation {
  type: 'location';
  country: string | null;
  region: string | null;
  city: string | null;
  country_code: string | null;
  continent_code: string | null;
}
export type CustomAttributes = Record<string, string | number | boolean | null>;

export interface Contact {
  type: 'contact';
  id: string;
  workspace_id: string;
  external_id: string | null;
  role: 'user' | 'lead';
  email: string;
  email_domain: string;
  phone: string | null;
  name: string | null;
  avatar: { type: 'avatar'; image_url: string | null } | null;
  owner_id: string | null;
  social_profiles: { type: 'list'; data: SocialProfile[] };
  has_hard_bounced: boolean;
  marked_email_as_spam: boolean;
  unsubscribed_from_emails: boolean;
  created_at: number;
  updated_at: number;
  signed_up_at: number | null;
  last_seen_at: number | null;
  last_replied_at: number | null;
  last_contacted_at: number | null;
  last_email_opened_at: number | null;
  last_email_clicked_at: number | null;
  language_override: string | null;
  browser: string | null;
  browser_version: string | null;
  browser_language: string | null;
  os: string | null;
  location: ContactLocation;
  android_app_name: string | null;
  android_app_version: string | null;
  android_device: string | null;
  android_os_version: string | null;
  android_sdk_version: string | null;
  android_last_seen_at: number | null;
  ios_app_name: string | null;
  ios_app_version: string | null;
  ios_device: string | null;
  ios_os_version: string | null;
  ios_sdk_version: string | null;
  ios_last_seen_at: number | null;
  custom_attributes: CustomAttributes;
  tags: AddressableList;
  notes: AddressableList;
  companies: AddressableList;
  utm_campaign: string | null;
  utm_content: string | null;
  utm_medium: string | null;
  utm_source: string | null;
  utm_term: string | null;
  referrer: string | null;
  enabled_push_messaging: boolean | null;
}

export interface TagBasic { type: 'tag'; id: string; name: string }
export interface Tag extends TagBasic { applied_at: number | null; applied_by: Reference | null }

export interface Segment {
  type: 'segment';
  id: string;
  name: string;
  created_at: number;
  updated_at: number;
  person_type: 'user' | 'contact';
  count?: number | null;
}

export interface Company {
  type: 'company';
  id: string;
  name: string;
  app_id: string;
  company_id: string;
  plan: { type: 'plan'; id: string; name: string } | Record<string, never>;
  size: number;
  website: string;
  industry: string;
  remote_created_at: number;
  created_at: number;
  updated_at: number;
  last_request_at: number;
  monthly_spend: number;
  session_count: number;
  user_count: number;
  custom_attributes: CustomAttributes;
  tags: { type: 'tag.list'; tags: TagBasic[] };
  segments: { type: 'segment.list'; segments: Segment[] };
}

export interface Admin {
  type: 'admin';
  id: string;
  name: string;
  email: string;
  email_verified: boolean;
  job_title: string;
  away_mode_enabled: boolean;
  away_mode_reassign: boolean;
  away_status_reason_id: number | null;
  has_inbox_seat: boolean;
  team_ids: number[];
  avatar: string | null;
  team_priority_level: { primary_team_ids: number[] | null; secondary_team_ids: number[] | null } | null;
  role: { type: 'role'; id: string; name: string } | null;
}

export interface Team {
  type: 'team';
  id: string;
  name: string;
  admin_ids: number[];
  admin_priority_level: { primary_admin_ids: number[] | null; secondary_admin_ids: number[] | null } | null;
  assignment_limit: number | null;
  distribution_method: string | null;
}

export interface ConversationAuthor {
  type: string;
  id: string;
  name: string | null;
  email: string;
  from_ai_agent: boolean;
  is_ai_answer: boolean;
}

export interface ConversationPart {
  type: 'conversation_part';
  id: string;
  part_type: string;
  body: string | null;
  created_at: number;
  updated_at: number;
  notified_at: number;
  assigned_to: Reference | null;
  author: ConversationAuthor;
  attachments: Attachment[];
  external_id: string | null;
  redacted: boolean;
  email_message_metadata: null;
  metadata: null;
  state: 'open' | 'closed' | 'snoozed';
  tags: TagBasic[];
  event_details: null;
  app_package_code: string | null;
}

export interface Attachment {
  type: 'upload';
  name: string;
  url: string;
  content_type: string;
  filesize: number;
  width: number | null;
  height: number | null;
}

export interface ConversationStatistics {
  type: 'conversation_statistics';
  time_to_assignment: number | null;
  time_to_admin_reply: number | null;
  time_to_first_close: number | null;
  time_to_last_close: number | null;
  median_time_to_reply: number | null;
  first_contact_reply_at: number | null;
  first_assignment_at: number | null;
  first_admin_reply_at: number | null;
  first_close_at: number | null;
  last_assignment_at: number | null;
  last_assignment_admin_reply_at: number | null;
  last_contact_reply_at: number | null;
  last_admin_reply_at: number | null;
  last_close_at: number | null;
  last_closed_by_id: string | null;
  count_reopens: number;
  count_assignments: number;
  count_conversation_parts: number;
  assigned_team_first_response_time: { team_id: number; team_name: string; response_time: number }[];
  assigned_team_first_response_time_in_office_hours: { team_id: number; team_name: string; response_time: number }[];
  handling_time: number | null;
  adjusted_handling_time: number | null;
}

export interface Conversation {
  type: 'conversation';
  id: string;
  title: string | null;
  created_at: number;
  updated_at: number;
  waiting_since: number | null;
  snoozed_until: number | null;
  open: boolean;
  state: 'open' | 'closed' | 'snoozed';
  read: boolean;
  priority: 'none' | 'low' | 'medium' | 'high' | 'urgent';
  admin_assignee_id: number | null;
  team_assignee_id: number | null;
  tags: { type: 'tag.list'; tags: Tag[] };
  conversation_rating: {
    rating: number;
    remark: string;
    created_at: number;
    updated_at: number;
    contact: { type: 'contact'; id: string; external_id: string | null };
    teammate: Reference | null;
  } | null;
  source: {
    type: string;
    id: string;
    delivered_as: string;
    subject: string;
    body: string;
    author: { type: string; id: string; name: string | null; email: string | null };
    attachments: Attachment[];
    url: string | null;
    redacted: boolean;
  };
  contacts: { type: 'contact.list'; contacts: { type: 'contact'; id: string; external_id: string | null }[] };
  teammates: { type: 'admin.list'; teammates: Reference[] } | null;
  custom_attributes: CustomAttributes;
  first_contact_reply: { created_at: number; type: string; url: string | null } | null;
  sla_applied: { type: 'conversation_sla_summary'; sla_name: string; sla_status: 'hit' | 'missed' | 'active' } | null;
  statistics: ConversationStatistics | null;
  linked_objects: { type: 'list'; total_count: number; has_more: boolean; data: never[] };
  ai_agent_participated: boolean;
  ai_agent: {
    source_type: string;
    source_title: string | null;
    last_answer_type: string | null;
    resolution_state: string | null;
    rating: number | null;
    rating_remark: string | null;
    created_at: number;
    updated_at: number;
    content_sources: { type: 'content_source.list'; total_count: number; content_sources: never[] };
  } | null;
  channel: { initial: string | null; current: string | null };
  external_references: never[];
  conversation_parts?: { type: 'conversation_part.list'; conversation_parts: ConversationPart[]; total_count: number };
}

export interface Dataset {
  readonly seed: number;
  readonly counts: Readonly<Counts>;
  readonly workspaceId: string;
  readonly admins: readonly Admin[];
  readonly teams: readonly Team[];
  readonly tags: readonly Tag[];
  /** Segment records without `count`; see segmentCounts. */
  readonly segments: readonly Segment[];
  readonly segmentCounts: ReadonlyMap<string, number>;
  readonly companies: readonly Company[];
  contactAt(index: number): Contact;
  /** Index of a contact id, or -1. */
  contactIndex(id: string): number;
  /** List items omit conversation_parts, as the spec says listing ignores them. */
  conversationAt(index: number, withParts?: boolean): Conversation;
  /** Index of a conversation id, or -1. */
  conversationIndex(id: string): number;
  /** Whether generated contact `index` is a member of the segment; exactly segmentCounts of them are. */
  inSegment(segmentId: string, index: number): boolean;
}

// ---------- randomness ----------

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32, wrapped with the helpers the generators need. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = Math.imul(this.s ^ (this.s >>> 15), 1 | this.s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(arr: readonly T[]): T {
    return arr[Math.floor(this.next() * arr.length)] as T;
  }
  hex(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += HEX[Math.floor(this.next() * 16)];
    return out;
  }
  /** Distinct indexes in [0, n), at most k of them, ascending. */
  sample(n: number, k: number): number[] {
    const picked: number[] = [];
    const want = Math.min(k, n);
    while (picked.length < want) {
      const x = Math.floor(this.next() * n);
      if (!picked.includes(x)) picked.push(x);
    }
    return picked.sort((a, b) => a - b);
  }
}
const HEX = '0123456789abcdef';

// Independent streams per entity kind, so adding e.g. more tags never reshuffles contacts.
const enum Stream { Workspace = 1, Admin, Team, Tag, Segment, Company, Contact, Conversation, Ids }

function rngFor(seed: number, stream: Stream, index: number): Rng {
  return new Rng(fmix32(fmix32(seed ^ Math.imul(stream, 0x9e3779b1)) ^ Math.imul(index + 1, 0x27d4eb2d)));
}

// ---------- vocabulary ----------

const FIRST = ['Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Elijah', 'Sophia', 'Mateo', 'Isabella', 'Lucas', 'Mia', 'Aarav', 'Amelia', 'Kenji', 'Harper', 'Omar', 'Chloe', 'Diego', 'Priya', 'Ethan', 'Zara', 'Jonas', 'Fatima', 'Leo', 'Ingrid', 'Tomás', 'Mei', 'Samuel', 'Aisha', 'Lukas', 'Nora', 'Arjun', 'Camille', 'Hugo', 'Yuki', 'Gabriel', 'Sofia', 'Kwame', 'Elena', 'Finn'];
const LAST = ['Smith', 'Johnson', 'Garcia', 'Müller', 'Brown', 'Rossi', 'Nguyen', 'Kim', 'Martin', 'Silva', 'Khan', 'Dubois', 'Novak', 'Tanaka', 'Okafor', 'Larsen', 'Patel', 'Hernandez', 'Cohen', 'Kowalski', 'Murphy', "O'Brien", 'Andersson', 'Costa', 'Schmidt', 'Ivanova', 'Mensah', 'Jensen', 'Lopez', 'Wright', 'Chen', 'Fischer', 'Moreau', 'Singh', 'Walsh', 'Yilmaz', 'Bianchi', 'Sato', 'Adeyemi', 'Berg'];
// Precomputed: slug() per generated contact would dominate generation time.
const FIRST_SLUG = FIRST.map((s) => slug(s));
const LAST_SLUG = LAST.map((s) => slug(s));
const FREE_MAIL = ['gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'proton.me', 'hotmail.com'];
const CO_ADJ = ['Blue', 'Bright', 'Silver', 'North', 'Rapid', 'Quiet', 'Golden', 'Red', 'Clear', 'Bold', 'Green', 'Iron', 'Lunar', 'Prime', 'True', 'Vivid', 'Wild', 'Urban', 'Solid', 'Nimble', 'Polar', 'Crimson', 'Amber', 'Cobalt', 'Summit', 'Harbor', 'Maple', 'Cedar', 'Atlas', 'Orbit'];
const CO_NOUN = ['Sun', 'River', 'Peak', 'Forge', 'Labs', 'Wave', 'Stack', 'Field', 'Bridge', 'Works', 'Pixel', 'Grid', 'Nest', 'Path', 'Spark', 'Leaf', 'Stone', 'Cloud', 'Signal', 'Anchor', 'Beacon', 'Harvest', 'Loop', 'Ledger', 'Canvas', 'Vector', 'Harbor', 'Meadow', 'Pulse', 'Kite'];
const CO_SUFFIX = ['', ' Inc', ' Ltd', ' GmbH', ' Co', ' Group'];
const TLDS = ['com', 'io', 'co', 'dev', 'ai', 'net'];
const INDUSTRIES = ['Software', 'E-commerce', 'Financial Services', 'Healthcare', 'Education', 'Logistics', 'Media', 'Manufacturing', 'Travel', 'Real Estate', 'Retail', 'Telecommunications'];
const PLANS = [{ id: '269315', name: 'Starter' }, { id: '269316', name: 'Pro' }, { id: '269317', name: 'Premium' }, { id: '269318', name: 'Enterprise' }];
const LOCATIONS: readonly (readonly [string, string, string, string, string])[] = [
  ['Dublin', 'Leinster', 'Ireland', 'IRL', 'EU'], ['London', 'England', 'United Kingdom', 'GBR', 'EU'],
  ['San Francisco', 'California', 'United States', 'USA', 'NA'], ['New York', 'New York', 'United States', 'USA', 'NA'],
  ['Austin', 'Texas', 'United States', 'USA', 'NA'], ['Toronto', 'Ontario', 'Canada', 'CAN', 'NA'],
  ['Berlin', 'Berlin', 'Germany', 'DEU', 'EU'], ['Paris', 'Île-de-France', 'France', 'FRA', 'EU'],
  ['Madrid', 'Madrid', 'Spain', 'ESP', 'EU'], ['São Paulo', 'São Paulo', 'Brazil', 'BRA', 'SA'],
  ['Bengaluru', 'Karnataka', 'India', 'IND', 'AS'], ['Tokyo', 'Tokyo', 'Japan', 'JPN', 'AS'],
  ['Sydney', 'New South Wales', 'Australia', 'AUS', 'OC'], ['Lagos', 'Lagos', 'Nigeria', 'NGA', 'AF'],
  ['Stockholm', 'Stockholm', 'Sweden', 'SWE', 'EU'], ['Mexico City', 'CDMX', 'Mexico', 'MEX', 'NA'],
];
const BROWSERS: readonly (readonly [string, string])[] = [['chrome', '126.0.6478.127'], ['firefox', '127.0'], ['safari', '17.5'], ['edge', '126.0.2592.87'], ['chrome', '124.0.6367.207']];
const OSES = ['OS X 14.5', 'Windows 10', 'Windows 11', 'Linux', 'OS X 13.6'];
const BROWSER_LANGS = ['en', 'en-US', 'en-GB', 'de', 'fr', 'es', 'pt-BR', 'ja'];
const IOS_DEVICES = ['iPhone 15 Pro', 'iPhone 14', 'iPhone 13 mini', 'iPad Air'];
const ANDROID_DEVICES = ['Pixel 8', 'Samsung Galaxy S24', 'OnePlus 12', 'Pixel 7a'];
const JOB_TITLES = ['Support Engineer', 'Customer Success Manager', 'Support Lead', 'Account Executive', 'Head of Support', 'Onboarding Specialist', 'Billing Specialist', 'Technical Account Manager'];
const TEAM_NAMES = ['Support', 'Sales', 'Billing', 'Onboarding', 'Escalations', 'Enterprise', 'Product Feedback', 'Partnerships'];
const TAG_NAMES = ['VIP', 'Churn risk', 'Beta tester', 'Enterprise', 'Bug report', 'Feature request', 'Billing issue', 'Onboarding', 'NPS promoter', 'NPS detractor', 'Trial', 'Partner', 'Refund', 'Priority support'];
const SEGMENT_NAMES = ['Active users', 'New leads', 'Slipping away', 'Enterprise accounts', 'Trial users', 'Power users', 'Dormant leads', 'Mobile users'];
const SUBJECTS = ['Cannot log in after password reset', 'Question about my invoice', 'How do I export my data?', 'Feature request: dark mode', 'Integration with Slack not syncing', 'Upgrade to annual plan', 'Error 500 when saving settings', 'Need help setting up SSO', 'Refund request', 'Mobile app crashes on launch'];
const CUSTOMER_LINES = ['Hi there, I need some help with my account.', 'I was charged twice this month, can you check?', 'The dashboard has been loading very slowly since yesterday.', 'Is there a way to invite more teammates without upgrading?', 'Thanks, that fixed it!', 'Still seeing the same error, attaching a screenshot.', 'Could you tell me when this will be available?', 'Our team cannot access the reports page.'];
const ADMIN_LINES = ['Thanks for reaching out! Let me look into this for you.', 'I have refunded the duplicate charge; it should appear within 5-7 business days.', 'Could you share the email address on the account?', 'This is now fixed on our side, please try again.', 'I have passed this to our engineering team and will update you soon.', 'You can find this under Settings → Data → Export.'];
const NOTE_LINES = ['Customer is on the legacy plan, check before offering discounts.', 'Escalated to engineering, ticket ENG-4821.', 'Follow up next week about renewal.'];
const SLA_NAMES = ['VIP first response', 'Standard 24h', 'Enterprise 4h'];
const UTM_SOURCES = ['google', 'newsletter', 'linkedin', 'producthunt', 'partner'];
const UTM_CAMPAIGNS = ['spring_launch', 'webinar_q2', 'retargeting', 'brand'];

// ---------- time ----------

// Fixed "now" keeps output independent of the wall clock.
const T_START = 1609459200; // 2021-01-01
const T_NOW = 1751328000; // 2025-07-01
const DAY = 86400;

// ---------- ids ----------

/** ObjectId-like 24-hex ids (timestamp, per-kind prefix, counter) that decode back to an index. */
class HexIds {
  private readonly prefix: string;
  private readonly base: number;
  constructor(r: Rng) {
    this.prefix = r.hex(8);
    this.base = r.int(0x100000, 0x7fffff);
  }
  make(index: number, ts: number): string {
    const n = this.base + index;
    const hi = Math.floor(n / 0x1000000);
    const lo = n % 0x1000000;
    return ts.toString(16).padStart(8, '0').slice(-8) + this.prefix + hi.toString(16).padStart(2, '0') + lo.toString(16).padStart(6, '0');
  }
  /** Candidate index, or -1; the caller must still compare the regenerated id. */
  index(id: string): number {
    if (!/^[0-9a-f]{24}$/.test(id) || id.slice(8, 16) !== this.prefix) return -1;
    return parseInt(id.slice(16, 18), 16) * 0x1000000 + parseInt(id.slice(18), 16) - this.base;
  }
}

function slug(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '');
}

function sanitizeCounts(counts: Partial<Counts> | undefined): Counts {
  const out: Counts = { ...DEFAULT_COUNTS };
  for (const key of Object.keys(DEFAULT_COUNTS) as EntityKind[]) {
    const v = counts?.[key];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`counts.${key} must be a non-negative integer, got ${v}`);
    out[key] = v;
  }
  return out;
}

function addressable(kind: string, ownerUrl: string, urlBase: string, ids: string[], total = ids.length): AddressableList {
  return {
    type: 'list',
    data: ids.map((id) => ({ type: kind, id, url: `${urlBase}/${id}` })),
    url: ownerUrl,
    total_count: total,
    has_more: total > ids.length,
  };
}

// ---------- generation ----------

export function generateDataset(opts: GenerateOptions = {}): Dataset {
  const seed = (opts.seed ?? 42) >>> 0;
  const counts = Object.freeze(sanitizeCounts(opts.counts));
  const wr = rngFor(seed, Stream.Workspace, 0);
  const workspaceId = wr.hex(8).replace(/^[0-9]/, 'w');
  const supportDomain = `${slug(wr.pick(CO_ADJ))}${slug(wr.pick(CO_NOUN))}.${wr.pick(TLDS)}`;
  const idr = rngFor(seed, Stream.Ids, 0);
  const contactIds = new HexIds(idr);
  const companyIds = new HexIds(idr);
  const segmentIds = new HexIds(idr);
  const adminBase = idr.int(4_000_000, 9_000_000);
  const teamBase = idr.int(800_000, 5_000_000);
  const tagBase = idr.int(1_000_000, 9_000_000);
  const convBase = idr.int(10_000, 900_000);
  const partBase = idr.int(10_000_000, 90_000_000);
  const noteBase = idr.int(1_000_000, 9_000_000);

  // Admins and teams first: everything else points at them.
  const admins: Admin[] = [];
  let adminId = adminBase;
  for (let k = 0; k < counts.admins; k++) {
    const r = rngFor(seed, Stream.Admin, k);
    adminId += r.int(1, 4000);
    const first = FIRST[(k * 7 + r.int(0, 3)) % FIRST.length] as string;
    const last = r.pick(LAST);
    admins.push({
      type: 'admin',
      id: String(adminId),
      name: `${first} ${last}`,
      email: `${slug(first)}.${slug(last)}@${supportDomain}`,
      email_verified: r.chance(0.9),
      job_title: r.pick(JOB_TITLES),
      away_mode_enabled: r.chance(0.15),
      away_mode_reassign: r.chance(0.3),
      away_status_reason_id: null,
      has_inbox_seat: k === 0 || r.chance(0.85),
      team_ids: [],
      avatar: r.chance(0.75) ? `https://static.intercomassets.com/avatars/${adminId}/square_128/${slug(first)}-${r.int(1000000000, 1999999999)}.png` : null,
      team_priority_level: null,
      role: r.chance(0.6) ? r.pick([{ type: 'role' as const, id: '1', name: 'Support Agent' }, { type: 'role' as const, id: '2', name: 'Team Lead' }]) : null,
    });
    const a = admins[k] as Admin;
    if (a.away_mode_enabled) a.away_status_reason_id = r.int(10000, 99999);
  }

  const teams: Team[] = [];
  let teamId = teamBase;
  for (let t = 0; t < counts.teams; t++) {
    const r = rngFor(seed, Stream.Team, t);
    teamId += r.int(1, 9000);
    const base = TEAM_NAMES[t % TEAM_NAMES.length] as string;
    const loadBalanced = r.chance(0.4);
    teams.push({
      type: 'team',
      id: String(teamId),
      name: t < TEAM_NAMES.length ? base : `${base} ${Math.floor(t / TEAM_NAMES.length) + 1}`,
      admin_ids: [],
      admin_priority_level: null,
      assignment_limit: loadBalanced ? r.int(5, 25) : null,
      distribution_method: loadBalanced ? 'load_balanced' : r.chance(0.8) ? 'round_robin' : null,
    });
  }
  // Every admin joins one team round-robin plus maybe another, so both directions stay consistent.
  if (teams.length > 0) {
    admins.forEach((a, k) => {
      const r = rngFor(seed, Stream.Admin, 10_000 + k);
      const memberOf = new Set<number>([k % teams.length]);
      if (r.chance(0.35)) memberOf.add(r.int(0, teams.length - 1));
      for (const t of [...memberOf].sort((x, y) => x - y)) {
        const team = teams[t] as Team;
        team.admin_ids.push(Number(a.id));
        a.team_ids.push(Number(team.id));
      }
      a.team_priority_level = { primary_team_ids: a.team_ids.slice(0, 1), secondary_team_ids: a.team_ids.slice(1) };
    });
    for (const team of teams) {
      team.admin_ids.sort((x, y) => x - y);
      const cut = Math.ceil(team.admin_ids.length / 2);
      team.admin_priority_level = team.admin_ids.length === 0 ? null : { primary_admin_ids: team.admin_ids.slice(0, cut), secondary_admin_ids: team.admin_ids.slice(cut) };
    }
  }

  const tags: Tag[] = [];
  let tagId = tagBase;
  for (let k = 0; k < counts.tags; k++) {
    const r = rngFor(seed, Stream.Tag, k);
    tagId += r.int(1, 500);
    const base = TAG_NAMES[k % TAG_NAMES.length] as string;
    const appliedAt = r.int(T_START + 30 * DAY, T_NOW - DAY);
    tags.push({
      type: 'tag',
      id: String(tagId),
      name: k < TAG_NAMES.length ? base : `${base} ${Math.floor(k / TAG_NAMES.length) + 1}`,
      applied_at: appliedAt,
      applied_by: admins.length > 0 ? { type: 'admin', id: r.pick(admins).id } : null,
    });
  }
  const tagBasic = (t: Tag): TagBasic => ({ type: 'tag', id: t.id, name: t.name });

  const segments: Segment[] = [];
  const segmentCounts = new Map<string, number>();
  for (let k = 0; k < counts.segments; k++) {
    const r = rngFor(seed, Stream.Segment, k);
    const created = r.int(T_START, T_NOW - 60 * DAY);
    const base = SEGMENT_NAMES[k % SEGMENT_NAMES.length] as string;
    const seg: Segment = {
      type: 'segment',
      id: segmentIds.make(k, created),
      name: k < SEGMENT_NAMES.length ? base : `${base} ${Math.floor(k / SEGMENT_NAMES.length) + 1}`,
      created_at: created,
      updated_at: created + r.int(60, 50 * DAY),
      person_type: r.chance(0.7) ? 'user' : 'contact',
    };
    segments.push(seg);
    segmentCounts.set(seg.id, Math.floor(counts.contacts * (0.05 + r.next() * 0.6)));
  }

  // Company names walk a fixed permutation of the name space so they stay unique.
  const nameSpace = CO_ADJ.length * CO_NOUN.length * CO_SUFFIX.length;
  const companies: Company[] = [];
  const companyDomains: string[] = [];
  const companySpan = T_NOW - 30 * DAY - T_START;
  for (let k = 0; k < counts.companies; k++) {
    const r = rngFor(seed, Stream.Company, k);
    const n = (k * 7919 + (seed % nameSpace)) % nameSpace;
    const adj = CO_ADJ[n % CO_ADJ.length] as string;
    const noun = CO_NOUN[Math.floor(n / CO_ADJ.length) % CO_NOUN.length] as string;
    const suffix = CO_SUFFIX[Math.floor(n / (CO_ADJ.length * CO_NOUN.length)) % CO_SUFFIX.length] as string;
    const round = Math.floor(k / nameSpace);
    const name = `${adj} ${noun}${suffix}${round > 0 ? ` ${round + 1}` : ''}`;
    const domain = `${slug(adj + noun)}${round > 0 ? round + 1 : ''}.${r.pick(TLDS)}`;
    companyDomains.push(domain);
    const created = T_START + Math.floor((k * companySpan) / Math.max(1, counts.companies)) + r.int(0, Math.max(0, Math.floor(companySpan / Math.max(1, counts.companies)) - 1));
    const updated = Math.min(T_NOW, created + r.int(3600, 400 * DAY));
    const plan = r.chance(0.8) ? r.pick(PLANS) : null;
    companies.push({
      type: 'company',
      id: companyIds.make(k, created),
      name,
      app_id: workspaceId,
      company_id: `C${String(k + 1).padStart(5, '0')}`,
      plan: plan ? { type: 'plan', id: plan.id, name: plan.name } : {},
      size: r.pick([5, 12, 25, 50, 120, 250, 800, 2500]) + r.int(0, 4),
      website: `https://www.${domain}`,
      industry: r.pick(INDUSTRIES),
      remote_created_at: created - r.int(DAY, 900 * DAY),
      created_at: created,
      updated_at: updated,
      last_request_at: r.int(created, updated),
      monthly_spend: plan ? r.int(49, 25000) : 0,
      session_count: r.int(0, 40000),
      user_count: r.int(1, 400),
      custom_attributes: {
        account_tier: plan ? plan.name.toLowerCase() : 'free',
        region: r.pick(['NA', 'EMEA', 'APAC', 'LATAM']),
        crm_id: `0015g00000${r.hex(8).toUpperCase()}`,
      },
      tags: { type: 'tag.list', tags: r.sample(tags.length, r.int(0, 2)).map((i) => tagBasic(tags[i] as Tag)) },
      segments: { type: 'segment.list', segments: r.sample(segments.length, r.int(0, 2)).map((i) => ({ ...(segments[i] as Segment) })) },
    });
  }

  // ----- contacts: O(1) per index -----
  const nContacts = counts.contacts;
  const contactSpan = T_NOW - 7 * DAY - T_START;
  const contactStep = contactSpan / Math.max(1, nContacts);

  interface ContactCore {
    r: Rng;
    id: string;
    createdAt: number;
    role: 'user' | 'lead';
    externalId: string | null;
    first: string;
    last: string;
    handle: string;
    email: string;
    emailDomain: string;
    companyIdx: number[];
  }

  const contactCore = (i: number): ContactCore => {
    const r = rngFor(seed, Stream.Contact, i);
    const createdAt = T_START + Math.floor(i * contactStep) + Math.floor(r.next() * Math.max(1, contactStep));
    const role = r.chance(0.72) ? 'user' : 'lead';
    const fi = Math.floor(r.next() * FIRST.length);
    const li = Math.floor(r.next() * LAST.length);
    const first = FIRST[fi] as string;
    const last = LAST[li] as string;
    const companyIdx = companies.length > 0 && (role === 'user' ? r.chance(0.85) : r.chance(0.2)) ? r.sample(companies.length, r.chance(0.9) ? 1 : 2) : [];
    const emailDomain = companyIdx.length > 0 && r.chance(0.8) ? (companyDomains[companyIdx[0] as number] as string) : r.pick(FREE_MAIL);
    const handle = `${FIRST_SLUG[fi]}.${LAST_SLUG[li]}`;
    const email = `${handle}${i}@${emailDomain}`;
    const externalId = role === 'user' ? (r.chance(0.5) ? String(100000 + i) : `usr_${r.hex(12)}`) : null;
    return { r, id: contactIds.make(i, createdAt), createdAt, role, externalId, first, last, handle, email, emailDomain, companyIdx };
  };

  const contactAt = (i: number): Contact => {
    if (!Number.isInteger(i) || i < 0 || i >= nContacts) throw new RangeError(`contact index ${i} out of range`);
    const c = contactCore(i);
    const r = c.r;
    const created = c.createdAt;
    const after = (from: number, maxDays: number) => Math.min(T_NOW, from + r.int(60, maxDays * DAY));
    const lastSeen = r.chance(0.9) ? after(created, 500) : null;
    const lastReplied = r.chance(0.55) ? after(created, 400) : null;
    const lastContacted = r.chance(0.7) ? after(created, 400) : null;
    const opened = c.role === 'user' && r.chance(0.65) ? after(created, 300) : null;
    const clicked = opened !== null && r.chance(0.5) ? Math.min(T_NOW, opened + r.int(5, 3600)) : null;
    const platform = r.next();
    const hasIos = platform < 0.3;
    const hasAndroid = platform >= 0.3 && platform < 0.55;
    const [browser, browserVersion] = r.pick(BROWSERS);
    const loc = r.chance(0.92) ? r.pick(LOCATIONS) : null;
    const tagIdx = r.sample(tags.length, r.pick([0, 0, 1, 1, 2, 3]));
    const noteCount = r.pick([0, 0, 0, 1, 2]);
    const noteIds: string[] = [];
    for (let k = 0; k < noteCount; k++) noteIds.push(String(noteBase + i * 3 + k));
    const owner = admins.length > 0 && r.chance(0.6) ? r.pick(admins).id : null;
    const avatarNo = r.int(1, 999999);
    const fullName = r.chance(0.93) ? `${c.first} ${c.last}` : null;
    const phoneDigits = `${r.int(200, 989)}555${String(r.int(0, 9999)).padStart(4, '0')}`;
    const hasPhone = r.chance(0.6);
    const handle = `${c.handle.replace('.', '')}${i % 997}`;
    const socials: SocialProfile[] = [];
    if (r.chance(0.35)) socials.push({ type: 'social_profile', name: 'Twitter', url: `http://twitter.com/${handle}` });
    if (r.chance(0.25)) socials.push({ type: 'social_profile', name: 'LinkedIn', url: `https://www.linkedin.com/in/${handle}` });
    const activity = [lastSeen, lastReplied, lastContacted, opened, clicked].reduce<number>((m, t) => (t !== null && t > m ? t : m), created);
    const updated = Math.min(T_NOW, Math.max(created + r.int(1, 7200), activity + r.int(0, 600)));
    const utm = r.chance(0.3);
    const path = `/contacts/${c.id}`;
    const iosSeen = hasIos ? (lastSeen ?? created) - r.int(0, 20 * DAY) : null;
    const androidSeen = hasAndroid ? (lastSeen ?? created) - r.int(0, 20 * DAY) : null;
    return {
      type: 'contact',
      id: c.id,
      workspace_id: workspaceId,
      external_id: c.externalId,
      role: c.role,
      email: c.email,
      email_domain: c.emailDomain,
      phone: hasPhone ? `+1${phoneDigits}` : null,
      name: fullName,
      avatar: r.chance(0.7) ? { type: 'avatar', image_url: `https://static.intercomassets.com/avatars/${avatarNo}/square_128/${handle}.jpg` } : null,
      owner_id: owner,
      social_profiles: { type: 'list', data: socials },
      has_hard_bounced: r.chance(0.03),
      marked_email_as_spam: r.chance(0.01),
      unsubscribed_from_emails: r.chance(0.12),
      created_at: created,
      updated_at: updated,
      signed_up_at: c.role === 'user' ? created - r.int(0, 3 * DAY) : null,
      last_seen_at: lastSeen,
      last_replied_at: lastReplied,
      last_contacted_at: lastContacted,
      last_email_opened_at: opened,
      last_email_clicked_at: clicked,
      language_override: r.chance(0.15) ? r.pick(['en', 'fr', 'de', 'es', 'pt-BR', 'ja']) : null,
      browser: lastSeen !== null ? browser : null,
      browser_version: lastSeen !== null ? browserVersion : null,
      browser_language: lastSeen !== null ? r.pick(BROWSER_LANGS) : null,
      os: lastSeen !== null ? r.pick(OSES) : null,
      location: loc
        ? { type: 'location', country: loc[2], region: loc[1], city: loc[0], country_code: loc[3], continent_code: loc[4] }
        : { type: 'location', country: null, region: null, city: null, country_code: null, continent_code: null },
      android_app_name: hasAndroid ? 'Sandbox Mobile' : null,
      android_app_version: hasAndroid ? `4.${r.int(0, 12)}.${r.int(0, 9)}` : null,
      android_device: hasAndroid ? r.pick(ANDROID_DEVICES) : null,
      android_os_version: hasAndroid ? String(r.int(11, 14)) : null,
      android_sdk_version: hasAndroid ? String(r.int(30, 34)) : null,
      android_last_seen_at: androidSeen !== null ? Math.max(created, androidSeen) : null,
      ios_app_name: hasIos ? 'Sandbox Mobile' : null,
      ios_app_version: hasIos ? `4.${r.int(0, 12)}.${r.int(0, 9)}` : null,
      ios_device: hasIos ? r.pick(IOS_DEVICES) : null,
      ios_os_version: hasIos ? `17.${r.int(0, 5)}.${r.int(0, 1)}` : null,
      ios_sdk_version: hasIos ? `17.${r.int(0, 5)}.0` : null,
      ios_last_seen_at: iosSeen !== null ? Math.max(created, iosSeen) : null,
      custom_attributes: {
        plan_tier: r.pick(['free', 'starter', 'pro', 'enterprise']),
        seats: r.int(1, 250),
        beta_tester: r.chance(0.2),
        signup_source: r.pick(['organic', 'google_ads', 'referral', 'partner', 'sales']),
        nps_score: r.chance(0.4) ? r.int(0, 10) : null,
        trial_ends_at: c.role === 'lead' ? created + 14 * DAY : null,
      },
      tags: addressable('tag', `${path}/tags`, '/tags', tagIdx.map((k) => (tags[k] as Tag).id)),
      notes: addressable('note', `${path}/notes`, '/notes', noteIds),
      companies: addressable('company', `${path}/companies`, '/companies', c.companyIdx.map((k) => (companies[k] as Company).id)),
      utm_campaign: utm ? r.pick(UTM_CAMPAIGNS) : null,
      utm_content: utm && r.chance(0.5) ? r.pick(['hero_cta', 'footer_link', 'banner']) : null,
      utm_medium: utm ? r.pick(['cpc', 'email', 'social']) : null,
      utm_source: utm ? r.pick(UTM_SOURCES) : null,
      utm_term: utm && r.chance(0.3) ? r.pick(['customer messaging', 'help desk']) : null,
      referrer: r.chance(0.4) ? r.pick(['https://www.google.com/', 'https://news.ycombinator.com/', `https://www.${supportDomain}/pricing`]) : null,
      enabled_push_messaging: hasIos || hasAndroid ? r.chance(0.6) : null,
    };
  };

  const contactIndex = (id: string): number => {
    const i = contactIds.index(id);
    if (i < 0 || i >= nContacts) return -1;
    return contactCore(i).id === id ? i : -1;
  };

  // ----- conversations: O(1) per index -----
  const nConversations = counts.conversations;
  const convStart = T_START + 30 * DAY;
  // Leave room after the last conversation for its parts, so nothing lands after T_NOW.
  const convSpan = T_NOW - 3 * DAY - convStart;
  const convStep = convSpan / Math.max(1, nConversations);

  const conversationAt = (i: number, withParts = false): Conversation => {
    if (!Number.isInteger(i) || i < 0 || i >= nConversations) throw new RangeError(`conversation index ${i} out of range`);
    const r = rngFor(seed, Stream.Conversation, i);
    const id = String(convBase + i);
    const created = convStart + Math.floor(i * convStep) + Math.floor(r.next() * Math.max(1, convStep));
    // Only contacts that already existed can start a conversation.
    const maxContact = Math.min(nContacts, Math.floor(((created - T_START) / contactSpan) * nContacts));
    const contact = maxContact > 0 ? contactCore(r.int(0, maxContact - 1)) : null;
    const customer = contact
      ? { type: contact.role, id: contact.id, name: `${contact.first} ${contact.last}`, email: contact.email }
      : { type: 'lead', id: contactIds.make(0, created), name: null, email: null };
    const admin = admins.length > 0 && r.chance(0.8) ? r.pick(admins) : null;
    const team = teams.length > 0 && r.chance(0.7) ? r.pick(teams) : null;
    const stateRoll = r.next();
    const state: Conversation['state'] = stateRoll < 0.55 ? 'closed' : stateRoll < 0.9 ? 'open' : 'snoozed';
    const deliveredAs = r.chance(0.75) ? 'customer_initiated' : r.chance(0.6) ? 'admin_initiated' : 'automated';
    const viaEmail = r.chance(0.3);
    const subject = r.pick(SUBJECTS);
    const sourceAuthor = deliveredAs === 'customer_initiated' || !admin
      ? { type: customer.type, id: customer.id, name: customer.name, email: customer.email }
      : { type: 'admin', id: admin.id, name: admin.name, email: admin.email };
    const adminAuthor = (a: Admin): ConversationAuthor => ({ type: 'admin', id: a.id, name: a.name, email: a.email, from_ai_agent: false, is_ai_answer: false });
    const customerAuthor: ConversationAuthor = { type: customer.type, id: customer.id, name: customer.name, email: customer.email ?? '', from_ai_agent: false, is_ai_answer: false };
    const aiParticipated = r.chance(0.25);

    // Parts: optional Fin answer, assignment, then alternating replies, then the closing part.
    const parts: ConversationPart[] = [];
    let t = created;
    let partNo = 0;
    const addPart = (partType: string, author: ConversationAuthor, body: string | null, partState: ConversationPart['state'], assignedTo: Reference | null = null): ConversationPart => {
      t += r.int(30, 6 * 3600);
      const p: ConversationPart = {
        type: 'conversation_part',
        id: String(partBase + i * 64 + partNo++),
        part_type: partType,
        body,
        created_at: t,
        updated_at: t,
        notified_at: t,
        assigned_to: assignedTo,
        author,
        attachments: [],
        external_id: null,
        redacted: false,
        email_message_metadata: null,
        metadata: null,
        state: partState,
        tags: [],
        event_details: null,
        app_package_code: null,
      };
      parts.push(p);
      return p;
    };
    if (aiParticipated) {
      addPart('comment', { type: 'bot', id: admins[0]?.id ?? '1', name: 'Fin', email: `operator+${workspaceId}@intercom.io`, from_ai_agent: true, is_ai_answer: true }, '<p>Here is an article that might help: <a href="https://help.example.com/articles/42">Resetting your password</a></p>', 'open');
    }
    let assignmentAt: number | null = null;
    if (admin) {
      assignmentAt = addPart('assignment', { type: 'bot', id: admins[0]?.id ?? admin.id, name: 'Operator', email: `operator+${workspaceId}@intercom.io`, from_ai_agent: false, is_ai_answer: false }, null, 'open', { type: 'admin', id: admin.id }).created_at;
    }
    const replier = admin ?? (admins.length > 0 ? r.pick(admins) : null);
    const replies = r.int(0, 4);
    let firstAdminReply: number | null = null;
    let lastAdminReply: number | null = null;
    let lastContactReply: number | null = deliveredAs === 'customer_initiated' ? created : null;
    const teammateIds = new Set<string>();
    for (let k = 0; k < replies; k++) {
      if (k % 2 === 0 && replier) {
        const p = addPart(r.chance(0.15) ? 'note' : 'comment', adminAuthor(replier), `<p>${r.pick(r.chance(0.15) ? NOTE_LINES : ADMIN_LINES)}</p>`, 'open');
        teammateIds.add(replier.id);
        firstAdminReply ??= p.created_at;
        lastAdminReply = p.created_at;
      } else {
        const p = addPart('comment', customerAuthor, `<p>${r.pick(CUSTOMER_LINES)}</p>`, 'open');
        if (r.chance(0.1)) {
          p.attachments.push({ type: 'upload', name: 'screenshot.png', url: `https://downloads.intercomcdn.com/i/o/${r.int(100000000, 999999999)}/screenshot.png`, content_type: 'image/png', filesize: r.int(20000, 900000), width: 1440, height: 900 });
        }
        lastContactReply = p.created_at;
      }
    }
    let closedAt: number | null = null;
    let closedBy: string | null = null;
    if (state === 'closed') {
      const closer = replier;
      if (closer) {
        closedAt = addPart('close', adminAuthor(closer), null, 'closed').created_at;
        closedBy = closer.id;
        teammateIds.add(closer.id);
      }
    } else if (state === 'snoozed' && admin) {
      addPart('snoozed', adminAuthor(admin), null, 'snoozed');
    }
    const last = parts[parts.length - 1];
    const updated = Math.min(T_NOW, Math.max(created + r.int(1, 600), t + r.int(0, 120)));
    const lastFromCustomer = last === undefined ? deliveredAs === 'customer_initiated' : last.author.id === customer.id;
    const tagIdx = r.sample(tags.length, r.pick([0, 0, 1, 2]));
    const priority = r.chance(0.6) ? 'none' : r.pick(['low', 'medium', 'high', 'urgent'] as const);
    const rated = state === 'closed' && contact !== null && r.chance(0.45);
    const slaRoll = r.chance(0.35);
    const stats: ConversationStatistics | null = r.chance(0.95)
      ? {
          type: 'conversation_statistics',
          time_to_assignment: assignmentAt !== null ? assignmentAt - created : null,
          time_to_admin_reply: firstAdminReply !== null ? firstAdminReply - created : null,
          time_to_first_close: closedAt !== null ? closedAt - created : null,
          time_to_last_close: closedAt !== null ? closedAt - created : null,
          median_time_to_reply: firstAdminReply !== null ? Math.round((firstAdminReply - created) * 0.8) : null,
          first_contact_reply_at: deliveredAs === 'customer_initiated' ? created : lastContactReply,
          first_assignment_at: assignmentAt,
          first_admin_reply_at: firstAdminReply,
          first_close_at: closedAt,
          last_assignment_at: assignmentAt,
          last_assignment_admin_reply_at: assignmentAt !== null ? firstAdminReply : null,
          last_contact_reply_at: lastContactReply,
          last_admin_reply_at: lastAdminReply,
          last_close_at: closedAt,
          last_closed_by_id: closedBy,
          count_reopens: 0,
          count_assignments: assignmentAt !== null ? 1 : 0,
          count_conversation_parts: parts.length + 1,
          assigned_team_first_response_time: team && firstAdminReply !== null ? [{ team_id: Number(team.id), team_name: team.name, response_time: firstAdminReply - created }] : [],
          assigned_team_first_response_time_in_office_hours: team && firstAdminReply !== null ? [{ team_id: Number(team.id), team_name: team.name, response_time: Math.round((firstAdminReply - created) * 0.7) }] : [],
          handling_time: closedAt !== null && assignmentAt !== null ? closedAt - assignmentAt : null,
          adjusted_handling_time: closedAt !== null && assignmentAt !== null ? Math.round((closedAt - assignmentAt) * 0.6) : null,
        }
      : null;
    const conv: Conversation = {
      type: 'conversation',
      id,
      title: r.chance(0.6) ? subject : null,
      created_at: created,
      updated_at: updated,
      waiting_since: state === 'open' && lastFromCustomer ? (last?.created_at ?? created) : null,
      snoozed_until: state === 'snoozed' ? updated + r.int(3600, 7 * DAY) : null,
      open: state !== 'closed',
      state,
      read: r.chance(0.7),
      priority,
      admin_assignee_id: admin ? Number(admin.id) : null,
      team_assignee_id: team ? Number(team.id) : null,
      tags: {
        type: 'tag.list',
        tags: tagIdx.map((k) => {
          const tag = tags[k] as Tag;
          return { type: 'tag', id: tag.id, name: tag.name, applied_at: Math.min(updated, created + r.int(60, 3 * DAY)), applied_by: admins.length > 0 ? { type: 'admin', id: r.pick(admins).id } : null };
        }),
      },
      conversation_rating: rated && contact
        ? {
            rating: r.pick([5, 5, 5, 4, 4, 3, 2, 1]),
            remark: r.pick(['', '', 'Super quick, thanks!', 'Took a while but solved.', 'Not resolved.']),
            created_at: closedAt ?? updated,
            updated_at: Math.min(T_NOW, (closedAt ?? updated) + r.int(60, DAY)),
            contact: { type: 'contact', id: contact.id, external_id: contact.externalId },
            teammate: admin ? { type: 'admin', id: admin.id } : null,
          }
        : null,
      source: {
        type: viaEmail ? 'email' : 'conversation',
        id: String(400_000_000 + convBase + i),
        delivered_as: deliveredAs,
        subject: viaEmail ? subject : '',
        body: `<p>${deliveredAs === 'customer_initiated' ? r.pick(CUSTOMER_LINES) : r.pick(ADMIN_LINES)}</p>`,
        author: sourceAuthor,
        attachments: [],
        url: !viaEmail && deliveredAs === 'customer_initiated' && r.chance(0.6) ? `https://app.${supportDomain}/${r.pick(['settings/billing', 'dashboard', 'reports', 'integrations'])}` : null,
        redacted: false,
      },
      contacts: { type: 'contact.list', contacts: [{ type: 'contact', id: customer.id, external_id: contact?.externalId ?? null }] },
      teammates: teammateIds.size > 0 ? { type: 'admin.list', teammates: [...teammateIds].map((tid) => ({ type: 'admin', id: tid })) } : null,
      custom_attributes: {
        Language: r.pick(['English', 'English', 'German', 'French', 'Spanish']),
        'Issue type': r.pick(['Billing', 'Bug', 'How-to', 'Account', 'Feature request']),
        'Copilot used': r.chance(0.3),
      },
      first_contact_reply: deliveredAs === 'customer_initiated' ? { created_at: created, type: viaEmail ? 'email' : 'conversation', url: null } : null,
      sla_applied: slaRoll ? { type: 'conversation_sla_summary', sla_name: r.pick(SLA_NAMES), sla_status: state === 'closed' ? (r.chance(0.8) ? 'hit' : 'missed') : 'active' } : null,
      statistics: stats,
      linked_objects: { type: 'list', total_count: 0, has_more: false, data: [] },
      ai_agent_participated: aiParticipated,
      ai_agent: aiParticipated
        ? {
            source_type: 'workflow',
            source_title: 'Fin first response',
            last_answer_type: 'ai_answer',
            resolution_state: state === 'closed' && admin === null ? 'assumed_resolution' : 'escalated',
            rating: null,
            rating_remark: null,
            created_at: created,
            updated_at: updated,
            content_sources: { type: 'content_source.list', total_count: 0, content_sources: [] },
          }
        : null,
      channel: { initial: viaEmail ? 'email' : 'messenger', current: viaEmail ? 'email' : 'messenger' },
      external_references: [],
    };
    if (withParts) conv.conversation_parts = { type: 'conversation_part.list', conversation_parts: parts, total_count: parts.length };
    return conv;
  };

  const conversationIndex = (id: string): number => {
    if (!/^[1-9][0-9]{0,15}$/.test(id)) return -1;
    const i = Number(id) - convBase;
    return i >= 0 && i < nConversations ? i : -1;
  };

  // Each segment takes a contiguous run of `count` indexes, rotated per segment so that
  // memberships differ while every segment keeps exactly its announced count.
  const segmentIndex = new Map(segments.map((s, k) => [s.id, k]));
  const inSegment = (segmentId: string, index: number): boolean => {
    const k = segmentIndex.get(segmentId);
    if (k === undefined || !(index >= 0 && index < nContacts)) return false;
    return (index + k * 7919) % nContacts < (segmentCounts.get(segmentId) ?? 0);
  };

  return {
    seed,
    counts,
    workspaceId,
    admins,
    teams,
    tags,
    segments,
    segmentCounts,
    companies,
    contactAt,
    contactIndex,
    conversationAt,
    conversationIndex,
    inSegment,
  };
}
