// Serves the built site (dist/) for `npm start`, with Node's http module alone: an example
// should not need a web server of its own. PORT (default 5173) and HOST (default 127.0.0.1)
// choose where; PORT=0 takes a free port. It prints the address to open.
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "dist");
const port = Number(process.env.PORT ?? 5173);
const host = process.env.HOST ?? "127.0.0.1";

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

if (!existsSync(join(root, "index.html"))) {
  console.error("dist/ has no site yet: run `npm run build` first.");
  process.exit(1);
}

const server = createServer((req, res) => {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD" }).end();
    return;
  }
  let path;
  try {
    path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
  } catch {
    res.writeHead(400).end();
    return;
  }
  if (path.endsWith("/")) path += "index.html";
  // normalize resolves any "..", and the check keeps every request inside dist/.
  const file = normalize(join(root, path));
  let stat;
  try {
    stat = file.startsWith(root + sep) ? statSync(file) : null;
  } catch {
    stat = null;
  }
  if (!stat?.isFile()) {
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("Not found\n");
    return;
  }
  res.writeHead(200, {
    "Content-Type": types[extname(file)] ?? "application/octet-stream",
    "Content-Length": stat.size,
    // Revalidate every time, so that a rebuilt site is what the next reload shows.
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
  });
  if (req.method === "HEAD") res.end();
  else createReadStream(file).pipe(res);
});

server.listen(port, host, () => {
  const { port: actual } = server.address();
  // The API allows the origin the browser sends, so print the one to use with FOLIO_CORS_ORIGINS.
  const shown = host === "127.0.0.1" ? "localhost" : host;
  console.log(`Serving dist/ on ${host}:${actual}: open http://${shown}:${actual}/`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.close(() => process.exit(0)).closeAllConnections());
}
