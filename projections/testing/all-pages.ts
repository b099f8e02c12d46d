import { type Page, type PageRequest } from '../page.js';

/** Test support: every page of a list, `limit` at a time, following `next` until it is null. */
export async function allPages<T>(
  limit: number,
  fetch: (page: PageRequest) => Promise<Page<T>>,
): Promise<T[][]> {
  const pages: T[][] = [];
  let after: string | null = null;
  do {
    const page: Page<T> = await fetch({ limit, after });
    pages.push(page.items);
    after = page.next;
  } while (after !== null);
  return pages;
}
