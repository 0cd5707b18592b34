/**
 * Equal strings kept as one: what thousands of screens send alike (the same subscribe message, the
 * same query, the same token) is held once however many sockets hold on to it. First in, first out
 * past `maxEntries`; strings longer than `maxLength` are not kept.
 */
export class StringPool {
  private readonly pool = new Map<string, string>();

  constructor(private readonly maxEntries = 1000, private readonly maxLength = 16_384) {}

  /** The kept string equal to `text` (kept now if there is none). */
  intern(text: string): string {
    if (text.length > this.maxLength) return text;
    const kept = this.pool.get(text);
    if (kept !== undefined) return kept;
    this.pool.set(text, text);
    if (this.pool.size > this.maxEntries) this.pool.delete(this.pool.keys().next().value!);
    return text;
  }
}
