import type { Item, ListedItem } from "./api";

const months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/**
 * A date as the reference page prints it, "15 May 2020". The API's times are UTC and so are the
 * page's dates: read in the reader's time zone, an item published at 09:00 UTC would move to the
 * day before west of the Atlantic.
 */
export function formatDate(iso: string): string {
  const d = new Date(iso);
  return `${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/**
 * The date a listing prints for an item, or null for none. The reference page prints none for
 * its event: an event's date is when it takes place, which its own page shows.
 */
export function listingDate(item: ListedItem): string | null {
  if (item.type === "event" || !item.published_at) return null;
  return formatDate(item.published_at);
}

/** The date an item's own page prints: when an event takes place, else when it was published. */
export function pageDate(item: Item): string | null {
  if (item.type === "event") {
    const starts = item.fields["starts_at"];
    return typeof starts === "string" ? formatDate(starts) : null;
  }
  return item.published_at ? formatDate(item.published_at) : null;
}

/** The line above an item's title: its series, when it has one, then its type's name ("ILO COOP 100 Interview"). */
export function label(item: ListedItem, typeNames: Map<string, string>): string {
  const type = item.type ?? "";
  const name = typeNames.get(type) ?? type;
  const series = item.fields?.["series"];
  return typeof series === "string" && series !== "" ? `${series} ${name}` : name;
}
