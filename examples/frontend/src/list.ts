// The listing page: a collection's title and its items, a page at a time.
import { body, client, siteURL, typeNames, type ListedItem } from "./api";
import { el, show, showError } from "./dom";
import { label, listingDate } from "./format";

/** The demo's collection, which reproduces the reference page. */
const collectionKey = "ilo-coop-asia-pacific";
/** The reference page shows ten items. */
const defaultLimit = 10;

function positiveParam(name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(new URLSearchParams(location.search).get(name));
  return Number.isInteger(n) && n >= 1 ? Math.min(n, max) : fallback;
}

async function main(): Promise<void> {
  const page = positiveParam("page", 1);
  const limit = positiveParam("limit", defaultLimit, 100);
  const key = { params: { path: { key: collectionKey } } };
  // Page numbers rather than cursors: a reader can go back, and a page has an address to share.
  const [collection, list, names] = await Promise.all([
    body("the collection", client.GET("/api/v1/collections/{key}", key)),
    body("the collection's items", client.GET("/api/v1/collections/{key}/items", {
      // Only what the listing shows: a list item's body and rendered HTML are most of its bytes.
      params: { path: { key: collectionKey }, query: { page, limit, select: "type,slug,title,summary,published_at,fields" } },
    })),
    typeNames(),
  ]);

  document.title = collection.title;
  const first = (page - 1) * limit + 1;
  const items = list.data.length > 0
    ? el("ol", { class: "items", start: String(first) }, ...list.data.map((item) => entry(item, names)))
    : el("p", { class: "empty" }, page > 1 ? "There are no items on this page." : "This collection has no items yet.");
  const pages = list.meta.pages ?? 1;
  const keep: Record<string, number> = limit === defaultLimit ? {} : { limit };
  show(
    el("h1", {}, collection.title),
    ...(collection.description ? [el("p", { class: "description" }, collection.description)] : []),
    items,
    el("nav", { class: "pager", "aria-label": "Pages" },
      pageLink("Previous", page > 1 ? siteURL("index.html", { ...keep, page: Math.min(page - 1, pages) }) : null, "prev"),
      el("span", { class: "position" }, `Page ${page} of ${pages}`),
      pageLink("Next", page < pages ? siteURL("index.html", { ...keep, page: page + 1 }) : null, "next"),
    ),
  );
}

function entry(item: ListedItem, names: Map<string, string>): HTMLLIElement {
  const date = listingDate(item);
  return el("li", {},
    el("p", { class: "label" }, label(item, names)),
    el("h2", { class: "title" }, el("a", { href: siteURL("item.html", { type: item.type ?? "", slug: item.slug ?? "" }) }, item.title ?? "")),
    ...(date && item.published_at ? [el("p", { class: "date" }, el("time", { datetime: item.published_at }, date))] : []),
    ...(item.summary ? [el("p", { class: "summary" }, item.summary)] : []),
  );
}

/** A link to another page, or a disabled one where there is none, so the controls never move. */
function pageLink(text: string, href: string | null, rel: string): HTMLElement {
  return href
    ? el("a", { href, rel, class: rel }, text)
    : el("span", { class: `${rel} disabled`, "aria-disabled": "true" }, text);
}

main().catch(showError);
