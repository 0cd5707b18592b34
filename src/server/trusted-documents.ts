import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import { GraphQLError, parse, print, visit, type DocumentNode } from 'graphql';
import type { Context } from '../core/context';
import { Role, type User } from '../modules/user/user.entity';

/**
 * Operations by hash (Apollo's APQ shape: `extensions.persistedQuery.sha256Hash`), over HTTP and
 * WebSocket, and trusted documents: with DUBAN_TRUSTED_DOCUMENTS=on, callers other than ADMIN may
 * send only the operations of the manifest (client/persisted-documents.json, written by
 * `npm run codegen`: the contract's operations and the server's own pages').
 *
 * An operation is the manifest's when its document, `__typename` selections aside (Apollo and urql
 * add them), prints as a manifest document does: whitespace, comments and added `__typename`s do
 * not make another operation.
 */
export const MANIFEST_FILE = join(__dirname, '..', '..', 'client', 'persisted-documents.json');

/** Registered by clients (APQ), beside the manifest: at most this many, the oldest dropped first. */
const MAX_REGISTERED = 1000;

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Each document's canonical text, once (live operations share their documents: document-cache.ts). */
const canonicalText = new WeakMap<DocumentNode, string>();

/** The document as the trust check compares it: printed, without `__typename` selections. */
export function canonical(document: DocumentNode): string {
  let text = canonicalText.get(document);
  if (text === undefined) {
    text = print(visit(document, {
      Field: (node) => (node.name.value === '__typename' && !node.alias ? null : undefined),
    }));
    canonicalText.set(document, text);
  }
  return text;
}

/** The shape of Apollo Server's KeyValueCache that its APQ uses. */
interface ApqCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<boolean | void>;
}

export interface TrustedDocuments {
  /** Only the manifest's operations for callers other than ADMIN. */
  readonly enforced: boolean;
  /** The text of an operation by its hash: the manifest's, else one a client registered. */
  lookup(hash: string): string | undefined;
  /** Whether a caller may run this document. */
  allows(document: DocumentNode, user: User | undefined): boolean;
  /** Apollo Server's `persistedQueries.cache`: the manifest first, then what clients register. */
  apqCache: ApqCache;
}

export function loadManifest(file = MANIFEST_FILE): Record<string, string> {
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
}

/** The manifest's hashes of the named operations (a page sends its operations by these). */
export function manifestHashes(names: string[], manifest = loadManifest()): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const [hash, text] of Object.entries(manifest)) {
    const name = /^(?:query|mutation|subscription)\s+(\w+)/.exec(text)?.[1];
    if (name && names.includes(name)) hashes[name] = hash;
  }
  return hashes;
}

export function createTrustedDocuments(options: { enforced: boolean; manifest?: Record<string, string> }): TrustedDocuments {
  const manifest = new Map(Object.entries(options.manifest ?? loadManifest()));
  const trusted = new Set([...manifest.values()].map((text) => canonical(parse(text))));
  const registered = new Map<string, string>();
  const lookup = (hash: string) => manifest.get(hash) ?? registered.get(hash);
  const register = (hash: string, text: string) => {
    if (manifest.has(hash)) return;
    registered.delete(hash);
    registered.set(hash, text);
    if (registered.size > MAX_REGISTERED) registered.delete(registered.keys().next().value!);
  };
  // Apollo keys its APQ cache as `apq:<hash>`.
  const key = (k: string) => k.replace(/^apq:/, '');
  return {
    enforced: options.enforced,
    lookup,
    allows: (document, user) => !options.enforced || user?.role === Role.ADMIN || trusted.has(canonical(document)),
    apqCache: {
      async get(k) { return lookup(key(k)); },
      async set(k, value) { register(key(k), value); },
      async delete(k) { return registered.delete(key(k)); },
    },
  };
}

export function trustedDocumentRequired(): GraphQLError {
  return new GraphQLError('Only the operations of the manifest (client/persisted-documents.json) are accepted here: send one by its hash', {
    extensions: { code: 'TRUSTED_DOCUMENT_REQUIRED', http: { status: 400 } },
  });
}

function persistedQueryNotFound(): GraphQLError {
  return new GraphQLError('PersistedQueryNotFound', { extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } });
}

/** On HTTP: refuses an operation outside the manifest when trusted documents are enforced (Apollo itself resolves hashes). */
export function createTrustedDocumentsPlugin(trusted: TrustedDocuments): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ request }) {
      // Operations the server runs itself (spreadsheet imports) come without an HTTP request.
      if (!trusted.enforced || !request.http) return;
      return {
        async didResolveOperation({ document, contextValue }) {
          if (!trusted.allows(document, contextValue.user)) throw trustedDocumentRequired();
        },
      };
    },
  };
}

interface SubscribePayload {
  query: string;
  extensions?: Record<string, unknown> | null;
}

/**
 * On WebSocket: the text of a Subscribe message's operation, from its hash when it sends one
 * (`query` empty), checked against the hash when it sends both; or the errors to answer.
 */
export function resolveSubscribeQuery(trusted: TrustedDocuments, payload: SubscribePayload): string | GraphQLError[] {
  const persisted = payload.extensions?.persistedQuery as { version?: number; sha256Hash?: string } | undefined;
  if (!persisted) return payload.query;
  if (persisted.version !== 1 || typeof persisted.sha256Hash !== 'string') {
    return [new GraphQLError('Unsupported persisted query version', { extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED' } })];
  }
  if (!payload.query) return trusted.lookup(persisted.sha256Hash) ?? [persistedQueryNotFound()];
  if (sha256(payload.query) !== persisted.sha256Hash) {
    return [new GraphQLError('provided sha does not match query', { extensions: { code: 'BAD_REQUEST' } })];
  }
  void trusted.apqCache.set(persisted.sha256Hash, payload.query);
  return payload.query;
}

/**
 * On HTTP, before Apollo: a persisted query whose text is not its hash is a client's error
 * (400 BAD_REQUEST), as on WebSocket; Apollo's own answer carries no code.
 */
export const persistedQueryHashCheck: RequestHandler = (req, res, next) => {
  const source = req.method === 'GET' ? req.query : req.body as Record<string, unknown> | undefined;
  let extensions = source?.extensions as unknown;
  if (typeof extensions === 'string') { try { extensions = JSON.parse(extensions); } catch { extensions = undefined; } }
  const hash = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
  const query = source?.query;
  if (typeof hash === 'string' && typeof query === 'string' && query !== '' && sha256(query) !== hash) {
    res.status(400).json({ errors: [{ message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } }] });
    return;
  }
  next();
};
