// An item's page, found by its type and slug: item.html?type=news&slug=….
import { body, client, siteURL, typeNames } from "./api";
import { el, show, showError } from "./dom";
import { label, pageDate } from "./format";

async function main(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const type = q.get("type");
  const slug = q.get("slug");
  if (!type || !slug) {
    throw new Error("This page shows one item, named by ?type=…&slug=…; open one from the listing.");
  }
  const [item, names] = await Promise.all([
    body("the item", client.GET("/api/v1/types/{key}/items/{slug}", { params: { path: { key: type, slug } } })),
    typeNames(),
  ]);

  document.title = item.title;
  const date = pageDate(item);
  const content = el("div", { class: "body" });
  // The one place HTML from the API is parsed: the server renders the Markdown body and
  // sanitizes it when the item is saved, and body_html is read-only to clients.
  content.innerHTML = item.body_html;
  show(
    el("p", { class: "back" }, el("a", { href: siteURL("index.html") }, "← All items")),
    el("article", {},
      el("p", { class: "label" }, label(item, names)),
      el("h1", {}, item.title),
      ...(date ? [el("p", { class: "date" }, date)] : []),
      ...(item.summary ? [el("p", { class: "summary" }, item.summary)] : []),
      content,
    ),
  );
}

main().catch(showError);
