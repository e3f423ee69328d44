/**
 * An element with text content and attributes. Text always goes through textContent, so nothing
 * the API returns is parsed as HTML here; the one exception, an item's body_html, is set apart
 * in item.ts.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** Replaces the page's content and tells whoever waits for it (a reader's script, a test) that it is done. */
export function show(...nodes: Node[]): void {
  const main = document.getElementById("main")!;
  main.replaceChildren(...nodes);
  document.body.dataset.state = "ready";
}

/** Shows an error on the page instead of leaving it blank, and in the console for developers. */
export function showError(err: unknown): void {
  console.warn(err);
  const main = document.getElementById("main")!;
  main.replaceChildren(
    el("h1", {}, "Something went wrong"),
    el("p", { class: "error", role: "alert" }, err instanceof Error ? err.message : String(err)),
  );
  document.title = "Error";
  document.body.dataset.state = "error";
}
