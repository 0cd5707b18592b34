import type { DocumentNode } from 'graphql';

export interface DocumentCacheOptions {
  /** Distinct texts kept, at most (500). */
  maxEntries?: number;
  /** Their characters together, at most (2,000,000): a few large documents cannot hold the memory. */
  maxChars?: number;
}

/**
 * Documents of live operations (WebSocket, Server-Sent Events) that parsed and passed validation,
 * by their text: parsed and validated once per distinct text, and the same DocumentNode shared by
 * every subscription that sends it (5,000 screens of one board hold one document, not 5,000).
 * What depends on the variables (the input checks, the cost with page sizes, the read cost, the
 * coercion) is checked per operation, after the cache. Least recently used texts go first.
 * A cache belongs to one schema and one set of validation rules.
 */
export class DocumentCache {
  private readonly entries = new Map<string, DocumentNode>();
  private chars = 0;
  private readonly maxEntries: number;
  private readonly maxChars: number;

  constructor(options: DocumentCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 500;
    this.maxChars = options.maxChars ?? 2_000_000;
  }

  /** The document of `text`, parsed and validated before; undefined if it is not kept. */
  get(text: string): DocumentNode | undefined {
    const document = this.entries.get(text);
    if (document) {
      // Most recently used last.
      this.entries.delete(text);
      this.entries.set(text, document);
    }
    return document;
  }

  /** Keeps a document that parsed and validated; one too large for the cache is not kept. */
  set(text: string, document: DocumentNode): void {
    if (text.length > this.maxChars / 4 || this.entries.has(text)) return;
    this.entries.set(text, document);
    this.chars += text.length;
    while (this.entries.size > this.maxEntries || this.chars > this.maxChars) {
      const oldest = this.entries.keys().next().value!;
      this.entries.delete(oldest);
      this.chars -= oldest.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
