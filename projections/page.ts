/**
 * Keyset pagination for every list (DESIGN.md §10). A list is ordered by a
 * unique, stable text key (a position, a slug); a page asks for the items
 * after the last key it saw. Never OFFSET: pages stay correct and cheap
 * however deep, and an item is never skipped or repeated because another was
 * inserted meanwhile. The API turns `next` into the opaque `nextCursor`.
 */
export interface PageRequest {
  /** 1–200, validated by the API. */
  readonly limit: number;
  /** The key of the last item of the previous page; null for the first page. */
  readonly after: string | null;
}

export interface Page<Item> {
  readonly items: Item[];
  /** The key to ask for the next page with; null when this page is the last. */
  readonly next: string | null;
}

/**
 * A page from rows fetched with `LIMIT limit + 1`: the extra row only says
 * whether another page exists, and is not returned.
 */
export function toPage<Row, Item>(
  rows: readonly Row[],
  request: PageRequest,
  keyOf: (row: Row) => string,
  toItem: (row: Row) => Item,
): Page<Item> {
  const more = rows.length > request.limit;
  const kept = more ? rows.slice(0, request.limit) : rows;
  return { items: kept.map(toItem), next: more ? keyOf(kept[kept.length - 1]!) : null };
}
