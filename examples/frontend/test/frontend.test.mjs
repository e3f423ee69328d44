// The example frontend in a real browser against the real server: Folio's binary with the demo
// content, this site's own static server, headless Chromium driven by playwright-core. It checks
// the listing against the reference page, opens an item, edits that item through the API as an
// editor and checks that a reload shows the edit. Run by `npm test` after `npm run build`, with
// bin/folio built (`make frontend-test` does all three).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const site = join(dirname(fileURLToPath(import.meta.url)), "..");
const repo = join(site, "..", "..");
const folioBin = join(repo, "bin", "folio");
const browserPath = process.env.FOLIO_TEST_CHROMIUM || "/usr/bin/chromium";
const screenshot = join(repo, "ci-artifacts", "frontend.png");

const collection = "ilo-coop-asia-pacific";
const collectionTitle = "ILO's work on cooperatives in Asia and the Pacific";
const admin = { email: "admin@example.com", password: "admin passphrase for the test" };
const editor = { email: "editor@example.com", name: "Test Editor", role: "editor", password: "editor passphrase for the test" };

/** The reference page's rows, [label line, title, date or "-"], from the file the demo's own test reads. */
function referencePage() {
  const text = readFileSync(join(repo, "internal", "demo", "testdata", "reference-page.tsv"), "utf8");
  return text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) => {
    const row = l.split("\t");
    assert.equal(row.length, 3, `bad reference line ${JSON.stringify(l)}`);
    return row;
  });
}

/** Processes started here, ended when the test ends however it ends, and if need be when Node exits. */
const children = new Set();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

/**
 * Starts a process and resolves with the first match of ready in its output; rejects, with the
 * output, when it exits first or takes longer than 20 s.
 */
function start(name, cmd, args, env, ready) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let output = "";
  const matched = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk) => {
      output += chunk;
      const m = output.match(ready);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", onData);
    child.on("error", (err) => reject(new Error(`${name}: ${err.message}`)));
    child.on("exit", (code, signal) => {
      children.delete(child);
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before it was ready:\n${output}`));
    });
  });
  return { child, matched, output: () => output };
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

async function waitReady(base) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${base}/readyz did not answer 200 within 20 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A loopback port that nothing listens on (it was free a moment ago). */
async function closedPort() {
  const srv = createServer();
  await new Promise((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** A JSON call to the API that must answer want; returns the body and the headers. */
async function api(base, method, path, { token, body, headers = {}, want = 200 } = {}) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body ? { "Content-Type": "application/json" } : {}),
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.equal(res.status, want, `${method} ${path} = ${res.status}, want ${want}: ${text}`);
  return { body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function login(base, who) {
  const { body } = await api(base, "POST", "/auth/login", { body: { email: who.email, password: who.password } });
  return body.access_token;
}

/** Waits until the page has rendered (or shown its error) and fails with the error it shows. */
async function rendered(page) {
  await page.waitForSelector("body[data-state=ready], body[data-state=error]");
  if ((await page.getAttribute("body", "data-state")) === "error") {
    assert.fail(`the page shows an error: ${await page.textContent("main")}`);
  }
}

/** The listing's rows as a reader sees them: [label line, title, date or "-"], and the summaries. */
async function listing(page) {
  return page.$$eval("ol.items > li", (lis) => lis.map((li) => ({
    row: [
      li.querySelector(".label")?.textContent ?? "",
      li.querySelector(".title")?.textContent ?? "",
      li.querySelector(".date")?.textContent ?? "-",
    ],
    summary: li.querySelector(".summary")?.textContent ?? null,
  })));
}

test("the example frontend renders the reference page and follows an edit", { timeout: 100_000 }, async (t) => {
  assert.ok(existsSync(folioBin), `${folioBin} is missing: run make build first`);
  assert.ok(existsSync(join(site, "dist", "index.html")), "dist/ is missing: run npm run build first");
  assert.ok(existsSync(browserPath), `no Chromium at ${browserPath}; install Debian's chromium or set FOLIO_TEST_CHROMIUM`);
  const reference = referencePage();
  const cleanups = [];
  t.after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  // The site first, on a free port, so that Folio can be told its origin.
  const siteServer = start("the static server", process.execPath, [join(site, "serve.mjs")], { PORT: "0", HOST: "127.0.0.1" }, /on 127\.0\.0\.1:(\d+)/);
  cleanups.push(() => stop(siteServer.child));
  const siteURL = `http://127.0.0.1:${(await siteServer.matched)[1]}`;

  const dir = mkdtempSync(join(tmpdir(), "folio-frontend-test-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  // Port 0: the kernel picks a free port, and Folio logs the one it got.
  const folio = start("folio", folioBin, ["serve", "--demo"], {
    FOLIO_ADDR: "127.0.0.1:0",
    FOLIO_DB: join(dir, "folio.db"),
    FOLIO_ADMIN_EMAIL: admin.email,
    FOLIO_ADMIN_PASSWORD: admin.password,
    FOLIO_CORS_ORIGINS: siteURL,
    FOLIO_LOG_FORMAT: "json",
  }, /"msg":"listening","server":"api","addr":"([^"]+)"/);
  cleanups.push(() => stop(folio.child));
  const apiURL = `http://${(await folio.matched)[1]}`;
  await waitReady(apiURL);

  const browser = await chromium.launch({ executablePath: browserPath, args: ["--no-sandbox", "--disable-gpu"] });
  cleanups.push(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console error: ${m.text()}`));
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()} for ${r.request().method()} ${r.url()}`));

  try {
    const apiParam = `api=${encodeURIComponent(apiURL)}`;
    await page.goto(`${siteURL}/index.html?${apiParam}`);
    await rendered(page);
    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });

    // The listing is the reference page: its title, then its ten items in its order.
    const { body: coll } = await api(apiURL, "GET", `/collections/${collection}`);
    assert.equal(coll.title, collectionTitle);
    assert.equal(await page.title(), collectionTitle);
    assert.equal(await page.textContent("h1"), collectionTitle);
    assert.equal(await page.getAttribute("ol.items", "start"), "1");
    const shown = await listing(page);
    assert.deepEqual(shown.map((s) => s.row), reference);
    const { body: items } = await api(apiURL, "GET", `/collections/${collection}/items?limit=10`);
    assert.deepEqual(shown.map((s) => s.summary), items.data.map((it) => it.summary));
    assert.equal(await page.textContent(".pager .position"), "Page 1 of 1");

    // Paging: four a page, the second page is the reference's items 5 to 8, numbered on.
    await page.goto(`${siteURL}/index.html?${apiParam}&limit=4`);
    await rendered(page);
    await Promise.all([page.waitForURL(/page=2/), page.click(".pager a.next")]);
    await rendered(page);
    assert.equal(await page.getAttribute("ol.items", "start"), "5");
    assert.deepEqual((await listing(page)).map((s) => s.row), reference.slice(4, 8));
    assert.equal(await page.textContent(".pager .position"), "Page 2 of 3");
    await Promise.all([page.waitForURL(/page=1/), page.click(".pager a.prev")]);
    await rendered(page);
    assert.deepEqual((await listing(page)).map((s) => s.row), reference.slice(0, 4));

    // An item's page, opened from the listing.
    await page.goto(`${siteURL}/index.html?${apiParam}`);
    await rendered(page);
    const [wantLabel, title, date] = reference[8];
    const link = page.getByRole("link", { name: title, exact: true });
    const href = new URL(await link.getAttribute("href"), siteURL);
    await Promise.all([page.waitForURL(/item\.html/), link.click()]);
    await rendered(page);
    assert.equal(await page.textContent("article h1"), title);
    assert.equal(await page.title(), title);
    assert.equal(await page.textContent("article .label"), wantLabel);
    assert.equal(await page.textContent("article .date"), date);
    const { body: item } = await api(apiURL, "GET", `/types/${href.searchParams.get("type")}/items/${href.searchParams.get("slug")}`);
    assert.equal(item.title, title);
    assert.ok(item.body_html.includes("<p>"), `body_html ${item.body_html} has no paragraph`);
    // The rendered body is the API's body_html, as the browser parses it.
    const sameBody = await page.$eval("article .body", (el, html) => {
      const t = document.createElement("template");
      t.innerHTML = html;
      return el.innerHTML === t.innerHTML;
    }, item.body_html);
    assert.ok(sameBody, `the page's body is not the API's body_html ${item.body_html}`);

    // An editor renames the item, as editors do: read its ETag, send it back with the change.
    const adminToken = await login(apiURL, admin);
    await api(apiURL, "POST", "/users", { token: adminToken, body: editor, want: 201 });
    const editorToken = await login(apiURL, editor);
    const { headers: current } = await api(apiURL, "GET", `/items/${item.id}`, { token: editorToken });
    const etag = current.get("ETag");
    assert.ok(etag, "GET /items/{id} sent no ETag");
    const newTitle = `${title} (updated)`;
    const { body: edited, headers: after } = await api(apiURL, "PATCH", `/items/${item.id}`, {
      token: editorToken,
      body: { title: newTitle },
      headers: { "Content-Type": "application/merge-patch+json", "If-Match": etag },
    });
    assert.equal(edited.title, newTitle);
    assert.notEqual(after.get("ETag"), etag);

    // Within the minute the public answers may be cached for, a reload shows the edit: the server's
    // response cache dropped the old answer and the browser revalidated instead of reusing it.
    await page.reload();
    await rendered(page);
    assert.equal(await page.textContent("article h1"), newTitle);
    await Promise.all([page.waitForURL(/index\.html/), page.click(".back a")]);
    await rendered(page);
    const relisted = (await listing(page)).map((s) => s.row);
    assert.deepEqual(relisted, reference.map((r, i) => (i === 8 ? [r[0], newTitle, r[2]] : r)));

    assert.deepEqual(problems, [], "the pages logged errors or had failed requests");

    // Without an API to read, the page says so instead of staying blank. (Its failed requests
    // are what this part expects, so it has a page of its own, outside the check above.)
    const orphan = await browser.newPage();
    await orphan.goto(`${siteURL}/index.html?api=${encodeURIComponent(`http://127.0.0.1:${await closedPort()}`)}`);
    await orphan.waitForSelector("body[data-state=error]");
    assert.match(await orphan.textContent("[role=alert]"), /Could not reach the Folio API at http:\/\/127\.0\.0\.1:\d+/);
  } catch (err) {
    await page.screenshot({ path: join(repo, "ci-artifacts", "frontend-failure.png"), fullPage: true }).catch(() => {});
    throw err;
  }
});
