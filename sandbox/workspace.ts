// The sandbox's writable state: the generated dataset (data.ts, never modified) plus what
// requests created or changed, held in memory for the life of one sandbox. Every read of the
// sandbox goes through here, so a write is visible to the lists, gets, searches and scrolls
// that follow it. Request bodies are checked the way the spec describes the endpoints
// (OpenAPI 2.16: CreateContact, UpdateContact, DeleteContact, createNote,
// createOrUpdateCompany, UpdateCompany, deleteCompany, createTag, createInternalArticle).
//
// Deletions are tombstones over positions: a deleted contact or company keeps its place in the
// order, so cursors (which name the last record served) and an open scroll still resume after
// it, while every read skips it. With no tombstone, the liveness checks (contactLive,
// companyLive) answer at once, so reads cost what they did before deletes existed.

import {
  CONTACT_CUSTOM_ATTRIBUTES,
  type Admin,
  type AttributeType,
  type Company,
  type Contact,
  type CustomAttributes,
  type Dataset,
  type Tag,
  type TagBasic,
} from './data.js';
import { ApiError, invalid, isObject, notFound } from './errors.js';

export type Body = Record<string, unknown>;

/** A contact as stored: the generated ones always have an email, a created lead may have none. */
export type ContactRecord = Omit<Contact, 'email'> & { email: string | null };

export interface Note {
  type: 'note';
  id: string;
  created_at: number;
  contact: { type: 'contact'; id: string };
  author: Admin;
  body: string;
}

/** DELETE /contacts/{id}: the spec's contact_deleted (a contact_reference with deleted). */
export interface ContactDeleted {
  type: 'contact';
  id: string;
  external_id: string | null;
  deleted: true;
}

/** DELETE /companies/{id}: the spec's deleted_company_object. */
export interface CompanyDeleted {
  id: string;
  object: 'company';
  deleted: true;
}

export interface InternalArticle {
  type: 'internal_article';
  id: string;
  title: string;
  body: string | null;
  body_markdown: string | null;
  owner_id: number;
  author_id: number;
  created_at: number;
  updated_at: number;
  locale: string;
}

/** A company's monthly_spend is stored as a 32-bit signed integer upstream. */
const MAX_MONTHLY_SPEND = 2 ** 31 - 1;

const COMPANY_FIELDS = ['name', 'plan', 'size', 'website', 'industry', 'custom_attributes', 'remote_created_at', 'monthly_spend'];
const COMPANY_CREATE_FIELDS = new Set([...COMPANY_FIELDS, 'company_id', 'update_last_request_at']);
const COMPANY_UPDATE_FIELDS = new Set(COMPANY_FIELDS);

// ---------- body field readers: absent is undefined, a wrong type is Intercom's 400 ----------

function optional<T>(body: Body, key: string, check: (v: unknown) => v is T, what: string): T | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (!check(v)) throw invalid(`${key} must be ${what}`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNullableString = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isInteger = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isNullableTimestamp = (v: unknown): v is number | null => v === null || (isInteger(v) && v >= 0);
const isNullableBoolean = (v: unknown): v is boolean | null => v === null || typeof v === 'boolean';
const isNullableObject = (v: unknown): v is Body | null => v === null || isObject(v);
const isId = (v: unknown): v is string | number => (typeof v === 'string' && v !== '') || isInteger(v);

function attributeMatches(type: AttributeType, v: unknown): boolean {
  if (v === null) return true;
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return isInteger(v);
  }
}

/** Contact custom attributes: only the workspace's data attributes, each with its type. */
function contactAttributes(raw: Body): CustomAttributes {
  const out: CustomAttributes = {};
  for (const [name, value] of Object.entries(raw)) {
    const type = CONTACT_CUSTOM_ATTRIBUTES[name];
    if (type === undefined) throw invalid(`Custom attribute '${name}' does not exist`);
    if (!attributeMatches(type, value)) throw invalid(`Custom attribute '${name}' must be ${type === 'date' ? 'a date (a Unix timestamp)' : `a ${type}`}`);
    out[name] = value as string | number | boolean | null;
  }
  return out;
}

/** Company custom attributes are free-form; only plain values can be stored. */
function companyAttributes(raw: Body): CustomAttributes {
  for (const [name, value] of Object.entries(raw)) {
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) throw invalid(`custom_attributes.${name} must be a string, a number or a boolean`);
  }
  return { ...(raw as CustomAttributes) };
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0').slice(-width);
const lower = (s: string | null | undefined) => (s ? s.toLowerCase() : undefined);

export class Workspace {
  private readonly created: ContactRecord[] = [];
  private readonly createdIndex = new Map<string, number>();
  private readonly changed = new Map<number, ContactRecord>();
  /** Positions of deleted contacts. */
  private readonly deletedContacts = new Set<number>();
  /** Email (lower-cased) and external_id of every contact, built on the first write that needs it. */
  private keys: { email: Map<string, number>; external: Map<string, number> } | undefined;
  private readonly companyList: Company[];
  private readonly companyIndex = new Map<string, number>();
  private readonly companyIdIndex = new Map<string, number>();
  /** Positions of deleted companies in companyList, and their Intercom ids (detached from contacts). */
  private readonly deletedCompanies = new Set<number>();
  private readonly deletedCompanyIds = new Set<string>();
  private readonly tagList: Tag[];
  private readonly articles: InternalArticle[] = [];
  private seq = 0;

  constructor(private readonly dataset: Dataset, private readonly nowMs: () => number) {
    this.companyList = [...dataset.companies];
    this.companyList.forEach((c, i) => this.indexCompany(c, i));
    this.tagList = [...dataset.tags];
  }

  private now(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /** Ids no generated record can have: the generated ones carry a random per-dataset middle part. */
  private newHexId(marker: string): string {
    return hex(this.now(), 8) + marker + hex(++this.seq, 8);
  }

  // ---------- contacts ----------

  /** Positions in the contacts' order, deleted ones included: what cursors and searches walk. */
  get contactSlots(): number {
    return this.dataset.counts.contacts + this.created.length;
  }

  /** Live contacts: what total_count counts. */
  get contactCount(): number {
    return this.contactSlots - this.deletedContacts.size;
  }

  readonly contactLive = (index: number): boolean => this.deletedContacts.size === 0 || !this.deletedContacts.has(index);

  /** The contact at a position, deleted or not (a cursor may name a deleted one). */
  readonly contactAt = (index: number): ContactRecord => {
    const generated = this.dataset.counts.contacts;
    const c = index >= generated ? (this.created[index - generated] ?? this.dataset.contactAt(index)) : (this.changed.get(index) ?? this.dataset.contactAt(index));
    return this.deletedCompanyIds.size === 0 ? c : this.detached(c);
  };

  /** The position of a contact id, deleted or not; -1 for an id never stored. */
  readonly contactPosition = (id: string): number => this.createdIndex.get(id) ?? this.dataset.contactIndex(id);

  /** The position of a live contact; -1 for an unknown or deleted id. */
  readonly contactIndex = (id: string): number => {
    const i = this.contactPosition(id);
    return i >= 0 && this.contactLive(i) ? i : -1;
  };

  createContact(body: Body): ContactRecord {
    const fields = this.contactFields(body);
    const role = fields.role ?? 'user';
    // The spec needs one of email, external_id or role; a user needs an email or an external_id.
    if (role === 'user' && !fields.email && !fields.external_id) throw invalid('A user needs an email or an external_id');
    this.assertUnique(fields.email, fields.external_id, -1);
    const index = this.contactSlots;
    const id = this.newHexId('c0ffee00');
    const contact = { ...this.blankContact(id), ...fields, role };
    this.created.push(contact);
    this.createdIndex.set(id, index);
    this.rememberKeys(contact, index);
    return contact;
  }

  updateContact(id: string, body: Body): ContactRecord {
    const index = this.contactIndex(id);
    if (index < 0) throw notFound('not_found', 'User Not Found');
    const before = this.contactAt(index);
    const fields = this.contactFields(body);
    this.assertUnique(fields.email, fields.external_id, index);
    const after: ContactRecord = {
      ...before,
      ...fields,
      custom_attributes: { ...before.custom_attributes, ...fields.custom_attributes },
      updated_at: this.now(),
    };
    this.forgetKeys(before, index);
    this.store(index, after);
    this.rememberKeys(after, index);
    return after;
  }

  /** DELETE /contacts/{id}: gone from every read; its email and external_id can be used again. */
  deleteContact(id: string): ContactDeleted {
    const index = this.contactIndex(id);
    if (index < 0) throw notFound('not_found', 'User Not Found');
    const contact = this.contactAt(index);
    this.forgetKeys(contact, index);
    this.deletedContacts.add(index);
    return { type: 'contact', id: contact.id, external_id: contact.external_id, deleted: true };
  }

  createNote(contactId: string, body: Body): Note {
    const index = this.contactIndex(contactId);
    if (index < 0) throw notFound('not_found', 'User Not Found');
    const text = body.body;
    if (text === undefined || text === null || text === '') throw invalid('body is required');
    if (typeof text !== 'string') throw invalid('body must be a string');
    const author = this.noteAuthor(body.admin_id);
    const contact = this.contactAt(index);
    const note: Note = {
      type: 'note',
      id: String(100_000_000 + ++this.seq),
      created_at: this.now(),
      contact: { type: 'contact', id: contact.id },
      author,
      // The spec's example turns "Hello" into "<p>Hello</p>": plain text is stored as a paragraph.
      body: text.trimStart().startsWith('<') ? text : `<p>${text}</p>`,
    };
    const notes = contact.notes;
    this.store(index, {
      ...contact,
      notes: {
        ...notes,
        data: [...notes.data, { type: 'note', id: note.id, url: `/notes/${note.id}` }],
        total_count: notes.total_count + 1,
      },
    });
    return note;
  }

  private noteAuthor(adminId: unknown): Admin {
    if (adminId === undefined || adminId === null) {
      // Upstream the author is the admin the token belongs to; the sandbox's token stands for the first admin.
      const first = this.dataset.admins[0];
      if (first === undefined) throw notFound();
      return first;
    }
    if (!isId(adminId)) throw invalid('admin_id must be a string');
    const admin = this.dataset.admins.find((a) => a.id === String(adminId));
    if (admin === undefined) throw notFound();
    return admin;
  }

  private store(index: number, contact: ContactRecord): void {
    const generated = this.dataset.counts.contacts;
    if (index >= generated) this.created[index - generated] = contact;
    else this.changed.set(index, contact);
  }

  /** The writable contact fields present in the body, type-checked; unknown keys are ignored. */
  private contactFields(body: Body): Partial<ContactRecord> {
    const out: Partial<ContactRecord> = {};
    const role = body.role;
    if (role !== undefined) {
      if (role !== 'user' && role !== 'lead') throw invalid("role must be 'user' or 'lead'");
      out.role = role;
    }
    const externalId = optional(body, 'external_id', isNullableString, 'a string');
    if (externalId !== undefined) out.external_id = externalId;
    const email = optional(body, 'email', isNullableString, 'a string');
    if (email !== undefined) {
      out.email = email;
      out.email_domain = email?.includes('@') ? (email.split('@').pop() as string).toLowerCase() : '';
    }
    for (const key of ['phone', 'name'] as const) {
      const v = optional(body, key, isNullableString, 'a string');
      if (v !== undefined) out[key] = v;
    }
    const avatar = optional(body, 'avatar', isNullableString, 'a string');
    if (avatar !== undefined) out.avatar = avatar === null ? null : { type: 'avatar', image_url: avatar };
    for (const key of ['signed_up_at', 'last_seen_at'] as const) {
      const v = optional(body, key, isNullableTimestamp, 'a Unix timestamp in seconds');
      if (v !== undefined) out[key] = v;
    }
    const owner = body.owner_id;
    if (owner !== undefined) out.owner_id = owner === null ? null : this.ownerId(owner);
    const unsubscribed = optional(body, 'unsubscribed_from_emails', isNullableBoolean, 'a boolean');
    if (unsubscribed !== undefined) out.unsubscribed_from_emails = unsubscribed ?? false;
    const attributes = optional(body, 'custom_attributes', isNullableObject, 'an object');
    if (attributes) out.custom_attributes = contactAttributes(attributes);
    return out;
  }

  private ownerId(raw: unknown): string {
    if (!isId(raw) || !this.dataset.admins.some((a) => a.id === String(raw))) {
      throw invalid('The owner specified is not a member of the workspace');
    }
    return String(raw);
  }

  private blankContact(id: string): ContactRecord {
    const now = this.now();
    const path = `/contacts/${id}`;
    const empty = (url: string) => ({ type: 'list' as const, data: [], url, total_count: 0, has_more: false });
    return {
      type: 'contact', id, workspace_id: this.dataset.workspaceId, external_id: null, role: 'user', email: null, email_domain: '',
      phone: null, name: null, avatar: null, owner_id: null, social_profiles: { type: 'list', data: [] },
      has_hard_bounced: false, marked_email_as_spam: false, unsubscribed_from_emails: false, created_at: now, updated_at: now,
      signed_up_at: null, last_seen_at: null, last_replied_at: null, last_contacted_at: null, last_email_opened_at: null,
      last_email_clicked_at: null, language_override: null, browser: null, browser_version: null, browser_language: null, os: null,
      location: { type: 'location', country: null, region: null, city: null, country_code: null, continent_code: null },
      android_app_name: null, android_app_version: null, android_device: null, android_os_version: null, android_sdk_version: null,
      android_last_seen_at: null, ios_app_name: null, ios_app_version: null, ios_device: null, ios_os_version: null,
      ios_sdk_version: null, ios_last_seen_at: null, custom_attributes: {},
      tags: empty(`${path}/tags`), notes: empty(`${path}/notes`), companies: empty(`${path}/companies`),
      utm_campaign: null, utm_content: null, utm_medium: null, utm_source: null, utm_term: null, referrer: null,
      enabled_push_messaging: null,
    };
  }

  /** Intercom refuses a second contact with the same email or external_id: 409 naming the first. */
  private assertUnique(email: string | null | undefined, externalId: string | null | undefined, self: number): void {
    if (!email && !externalId) return;
    const keys = this.contactKeys();
    const hits = [email ? keys.email.get(email.toLowerCase()) : undefined, externalId ? keys.external.get(externalId) : undefined];
    for (const hit of hits) {
      if (hit !== undefined && hit !== self) {
        throw new ApiError(409, 'conflict', `A contact matching those details already exists with id=${this.contactAt(hit).id}`);
      }
    }
  }

  private contactKeys(): NonNullable<Workspace['keys']> {
    if (this.keys === undefined) {
      this.keys = { email: new Map(), external: new Map() };
      for (let i = 0; i < this.contactSlots; i++) if (this.contactLive(i)) this.rememberKeys(this.contactAt(i), i);
    }
    return this.keys;
  }

  private rememberKeys(c: ContactRecord, index: number): void {
    if (this.keys === undefined) return;
    const email = lower(c.email);
    if (email !== undefined) this.keys.email.set(email, index);
    if (c.external_id) this.keys.external.set(c.external_id, index);
  }

  /** Drops the contact's keys, unless another contact holds them. */
  private forgetKeys(c: ContactRecord, index: number): void {
    if (this.keys === undefined) return;
    const email = lower(c.email);
    if (email !== undefined && this.keys.email.get(email) === index) this.keys.email.delete(email);
    if (c.external_id && this.keys.external.get(c.external_id) === index) this.keys.external.delete(c.external_id);
  }

  /** The contact without its references to deleted companies (upstream detaches them). */
  private detached(c: ContactRecord): ContactRecord {
    const refs = c.companies.data;
    if (!refs.some((r) => this.deletedCompanyIds.has(r.id))) return c;
    const data = refs.filter((r) => !this.deletedCompanyIds.has(r.id));
    return { ...c, companies: { ...c.companies, data, total_count: c.companies.total_count - (refs.length - data.length) } };
  }

  // ---------- companies ----------

  /** Live companies, in order. */
  get companies(): readonly Company[] {
    if (this.deletedCompanies.size === 0) return this.companyList;
    return this.companyList.filter((_c, i) => !this.deletedCompanies.has(i));
  }

  /** Every company position, deleted ones included (check companyLive): what the scroll walks. */
  get companySlots(): readonly Company[] {
    return this.companyList;
  }

  readonly companyLive = (index: number): boolean => this.deletedCompanies.size === 0 || !this.deletedCompanies.has(index);

  /** DELETE /companies/{id}: gone from lists, gets and the scroll, and detached from its contacts; its company_id is free again. */
  deleteCompany(id: string): CompanyDeleted {
    const index = this.companyIndex.get(id);
    if (index === undefined) throw notFound('company_not_found', 'Company Not Found');
    const company = this.companyList[index] as Company;
    this.deletedCompanies.add(index);
    this.deletedCompanyIds.add(company.id);
    this.companyIndex.delete(company.id);
    if (this.companyIdIndex.get(company.company_id) === index) this.companyIdIndex.delete(company.company_id);
    return { id: company.id, object: 'company', deleted: true };
  }

  company(id: string): Company | undefined {
    const i = this.companyIndex.get(id);
    return i === undefined ? undefined : this.companyList[i];
  }

  /** POST /companies: looked up by company_id, updated when found, created otherwise. */
  upsertCompany(body: Body): Company {
    rejectUnknown(body, COMPANY_CREATE_FIELDS);
    const companyId = body.company_id;
    if (companyId === undefined || companyId === null || companyId === '') throw invalid('company_id is required');
    if (typeof companyId !== 'string') throw invalid('company_id must be a string');
    const existing = this.companyIdIndex.get(companyId);
    const now = this.now();
    const base = existing === undefined ? this.blankCompany(companyId) : (this.companyList[existing] as Company);
    const next: Company = { ...base, ...this.companyFields(body), updated_at: now };
    if (body.update_last_request_at !== undefined) {
      if (typeof body.update_last_request_at !== 'boolean') throw invalid('update_last_request_at must be a boolean');
      if (body.update_last_request_at) next.last_request_at = now;
    }
    const index = existing ?? this.companyList.length;
    this.companyList[index] = next;
    this.indexCompany(next, index);
    return next;
  }

  /** PUT /companies/{id}: by Intercom's id; company_id cannot change. */
  updateCompany(id: string, body: Body): Company {
    const index = this.companyIndex.get(id);
    if (index === undefined) throw notFound('company_not_found', 'Company Not Found');
    rejectUnknown(body, COMPANY_UPDATE_FIELDS);
    const before = this.companyList[index] as Company;
    const next: Company = { ...before, ...this.companyFields(body), updated_at: this.now() };
    this.companyList[index] = next;
    return next;
  }

  private indexCompany(c: Company, index: number): void {
    this.companyIndex.set(c.id, index);
    this.companyIdIndex.set(c.company_id, index);
  }

  private companyFields(body: Body): Partial<Company> {
    const out: Partial<Company> = {};
    for (const key of ['name', 'website', 'industry'] as const) {
      const v = optional(body, key, isString, 'a string');
      if (v !== undefined) out[key] = v;
    }
    const plan = optional(body, 'plan', isString, 'a string');
    if (plan !== undefined) out.plan = { type: 'plan', id: this.planId(plan), name: plan };
    const size = optional(body, 'size', isInteger, 'an integer');
    if (size !== undefined) out.size = size;
    const remote = optional(body, 'remote_created_at', isInteger, 'an integer');
    if (remote !== undefined) out.remote_created_at = remote;
    const spend = optional(body, 'monthly_spend', (v): v is number => typeof v === 'number' && Number.isFinite(v), 'a number');
    if (spend !== undefined) {
      // The spec: floats are truncated to whole numbers, up to 2**31-1.
      if (Math.abs(spend) > MAX_MONTHLY_SPEND) throw invalid(`monthly_spend must be at most ${MAX_MONTHLY_SPEND}`);
      out.monthly_spend = Math.trunc(spend);
    }
    const attributes = optional(body, 'custom_attributes', isObject, 'an object');
    if (attributes) out.custom_attributes = companyAttributes(attributes);
    return out;
  }

  /** A plan is named in writes; the record carries its id too, shared by companies on the same plan. */
  private planId(name: string): string {
    for (const c of this.companyList) {
      if ('name' in c.plan && c.plan.name.toLowerCase() === name.toLowerCase()) return c.plan.id;
    }
    return String(300_000 + ++this.seq);
  }

  private blankCompany(companyId: string): Company {
    const now = this.now();
    return {
      type: 'company', id: this.newHexId('c0ffee01'), name: '', app_id: this.dataset.workspaceId, company_id: companyId, plan: {},
      size: 0, website: '', industry: '', remote_created_at: now, created_at: now, updated_at: now, last_request_at: now,
      monthly_spend: 0, session_count: 0, user_count: 0, custom_attributes: {},
      tags: { type: 'tag.list', tags: [] }, segments: { type: 'segment.list', segments: [] },
    };
  }

  // ---------- tags ----------

  get tags(): readonly Tag[] {
    return this.tagList;
  }

  /** POST /tags: create by name (names are case-insensitive), or rename the tag `id` names. */
  upsertTag(body: Body): TagBasic {
    if (body.companies !== undefined || body.users !== undefined) {
      throw invalid('The sandbox creates and renames tags; tagging companies or users through POST /tags is not implemented');
    }
    const name = body.name;
    if (typeof name !== 'string' || name.trim() === '') throw invalid('invalid tag parameters');
    let index: number;
    if (body.id !== undefined) {
      if (!isId(body.id)) throw invalid('invalid tag parameters');
      index = this.tagList.findIndex((t) => t.id === String(body.id));
      if (index < 0) throw notFound();
      this.tagList[index] = { ...(this.tagList[index] as Tag), name };
    } else {
      index = this.tagList.findIndex((t) => t.name.toLowerCase() === name.toLowerCase());
      if (index < 0) {
        const top = this.tagList.reduce((m, t) => Math.max(m, Number(t.id) || 0), 1_000_000);
        index = this.tagList.push({ type: 'tag', id: String(top + 1), name, applied_at: null, applied_by: null }) - 1;
      }
    }
    const tag = this.tagList[index] as Tag;
    return { type: 'tag', id: tag.id, name: tag.name };
  }

  // ---------- internal articles ----------

  get internalArticles(): readonly InternalArticle[] {
    return this.articles;
  }

  createInternalArticle(body: Body): InternalArticle {
    const required = (key: string): unknown => {
      const v = body[key];
      // The spec's 400 for a missing author_id, worded for whichever field is missing.
      if (v === undefined || v === null) throw new ApiError(400, 'parameter_not_found', `${key} must be in the main body or default locale translated_content object`);
      return v;
    };
    const title = required('title');
    if (typeof title !== 'string' || title.trim() === '') throw invalid('title must be a non-empty string');
    const ids = (['owner_id', 'author_id'] as const).map((key) => {
      const v = required(key);
      if (!isInteger(v)) throw invalid(`${key} must be an integer`);
      return v;
    });
    const html = optional(body, 'body', isNullableString, 'a string') ?? null;
    const markdown = optional(body, 'body_markdown', isNullableString, 'a string') ?? null;
    if (html !== null && markdown !== null) throw invalid('body and body_markdown are mutually exclusive');
    const now = this.now();
    const article: InternalArticle = {
      type: 'internal_article',
      id: String(1000 + ++this.seq),
      title,
      body: html,
      body_markdown: markdown,
      owner_id: ids[0] as number,
      author_id: ids[1] as number,
      created_at: now,
      updated_at: now,
      locale: 'en',
    };
    this.articles.push(article);
    return article;
  }
}

/** The spec's 400 for an unknown company parameter: "bad 'test' parameter". */
function rejectUnknown(body: Body, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(body)) {
    if (!allowed.has(key)) throw new ApiError(400, 'bad_request', `bad '${key}' parameter`);
  }
}
