// The searchable fields of contacts and conversations: the spec's "Accepted Fields" tables
// (OpenAPI 2.16, SearchContacts and searchConversations), each with its type and where it
// sits in the sandbox's records. The spec's own spellings are kept (andoid_sdk_version,
// conversation_rating.admin_d) next to the corrected ones, since clients copy the table.

import { CONTACT_CUSTOM_ATTRIBUTES, type Conversation, type Dataset } from './data.js';
import type { Field, FieldType, Scalar } from './search.js';
import type { ContactRecord as Contact } from './workspace.js';

type Getter<T> = Field<T>['get'];

/** Reads a dotted path ("source.author.email"); anything that is not a plain value reads as null. */
function pathGetter<T>(path: string): Getter<T> {
  const keys = path.split('.');
  return (record) => {
    let v: unknown = record;
    for (const k of keys) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    return v === undefined || (typeof v === 'object' && v !== null) ? null : (v as Scalar);
  };
}

function table<T>(types: Record<FieldType, readonly string[]>, overrides: Record<string, Field<T>>): Map<string, Field<T>> {
  const fields = new Map<string, Field<T>>();
  for (const [type, names] of Object.entries(types) as [FieldType, readonly string[]][]) {
    for (const name of names) fields.set(name, { type, get: pathGetter<T>(name) });
  }
  for (const [name, field] of Object.entries(overrides)) fields.set(name, field);
  return fields;
}

const CONTACT_TYPES: Record<FieldType, readonly string[]> = {
  string: [
    'id', 'role', 'name', 'owner_id', 'email', 'email_domain', 'phone', 'external_id', 'language_override', 'browser',
    'browser_language', 'os', 'location.country', 'location.region', 'location.city', 'ios_app_version', 'ios_device',
    'ios_os_version', 'ios_app_name', 'ios_sdk_version', 'android_app_version', 'android_device', 'android_app_name',
    'android_sdk_version',
  ],
  date: [
    'created_at', 'signed_up_at', 'updated_at', 'last_seen_at', 'last_contacted_at', 'last_replied_at',
    'last_email_opened_at', 'last_email_clicked_at', 'ios_last_seen_at', 'android_last_seen_at',
  ],
  boolean: ['unsubscribed_from_emails', 'marked_email_as_spam', 'has_hard_bounced'],
  integer: [],
  tag_id: [],
};

/** Contact fields; segment_id needs the dataset's segment memberships. */
export function contactFields(dataset: Dataset): (name: string) => Field<Contact> | undefined {
  const fields = table<Contact>(CONTACT_TYPES, {
    avatar: { type: 'string', get: (c) => c.avatar?.image_url ?? null },
    formatted_phone: { type: 'string', get: (c) => c.phone },
    ios_app_device: { type: 'string', get: (c) => c.ios_device },
    andoid_sdk_version: { type: 'string', get: (c) => c.android_sdk_version },
    tag_id: { type: 'tag_id', get: (c) => c.tags.data.map((t) => t.id) },
    segment_id: { type: 'string', get: (_c, i) => dataset.segments.filter((s) => dataset.inSegment(s.id, i)).map((s) => s.id) },
  });
  for (const [name, type] of Object.entries(CONTACT_CUSTOM_ATTRIBUTES)) {
    fields.set(`custom_attributes.${name}`, { type, get: (c) => c.custom_attributes[name] ?? null });
  }
  return (name) => fields.get(name);
}

const CONVERSATION_TYPES: Record<FieldType, readonly string[]> = {
  string: [
    'id', 'source.type', 'source.id', 'source.delivered_as', 'source.subject', 'source.author.id', 'source.author.type',
    'source.author.name', 'source.author.email', 'source.url', 'state', 'priority', 'statistics.last_closed_by_id',
    'conversation_rating.remark', 'ai_agent.resolution_state', 'ai_agent.last_answer_type', 'ai_agent.rating_remark',
    'ai_agent.source_type', 'ai_agent.source_title',
  ],
  date: [
    'created_at', 'updated_at', 'waiting_since', 'snoozed_until', 'statistics.first_contact_reply_at',
    'statistics.first_assignment_at', 'statistics.first_admin_reply_at', 'statistics.first_close_at',
    'statistics.last_assignment_at', 'statistics.last_assignment_admin_reply_at', 'statistics.last_contact_reply_at',
    'statistics.last_admin_reply_at', 'statistics.last_close_at',
  ],
  integer: [
    'admin_assignee_id', 'team_assignee_id', 'statistics.time_to_assignment', 'statistics.time_to_admin_reply',
    'statistics.time_to_first_close', 'statistics.time_to_last_close', 'statistics.median_time_to_reply',
    'statistics.count_reopens', 'statistics.count_assignments', 'statistics.count_conversation_parts', 'ai_agent.rating',
  ],
  boolean: ['open', 'read', 'ai_agent_participated'],
  tag_id: [],
};

const CONVERSATION_FIELDS = table<Conversation>(CONVERSATION_TYPES, {
  'source.body': { type: 'string', get: (c) => c.source.body.replace(/<[^>]*>/g, ''), words: true },
  contact_ids: { type: 'string', get: (c) => c.contacts.contacts.map((x) => x.id) },
  teammate_ids: { type: 'string', get: (c) => c.teammates?.teammates.map((t) => t.id ?? null) ?? [] },
  tag_ids: { type: 'string', get: (c) => c.tags.tags.map((t) => t.id) },
  channel_initiated: { type: 'string', get: (c) => c.channel.initial },
  // The sandbox's rating records one time, when the contact answered; the request time is taken to be the same.
  'conversation_rating.requested_at': { type: 'date', get: (c) => c.conversation_rating?.created_at ?? null },
  'conversation_rating.replied_at': { type: 'date', get: (c) => c.conversation_rating?.created_at ?? null },
  'conversation_rating.score': { type: 'integer', get: (c) => c.conversation_rating?.rating ?? null },
  'conversation_rating.contact_id': { type: 'string', get: (c) => c.conversation_rating?.contact.id ?? null },
  'conversation_rating.admin_d': { type: 'string', get: (c) => c.conversation_rating?.teammate?.id ?? null },
  'conversation_rating.admin_id': { type: 'string', get: (c) => c.conversation_rating?.teammate?.id ?? null },
});

export const conversationField = (name: string): Field<Conversation> | undefined => CONVERSATION_FIELDS.get(name);
