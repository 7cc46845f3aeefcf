// A small static server for the page: serves www/ and pkg/ of this repository on 127.0.0.1.
// `node scripts/serve.mjs [port]` prints the page URL (port 8080 by default, the next free one
// if taken); the browser tests import startServer() and use an ephemeral port.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SERVED_DIRECTORIES = ["www", "pkg"];
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ts": "text/plain; charset=utf-8",
};

async function handle(request, response) {
  const url = new URL(request.url, "http://localhost");
  if (url.pathname === "/") {
    response.writeHead(302, { location: "/www/" });
    return response.end();
  }
  let relative = normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, "");
  if (relative.endsWith(sep) || relative === "www") relative = join(relative, "index.html");
  const top = relative.split(sep)[0];
  if (!SERVED_DIRECTORIES.includes(top) || relative.split(sep).includes("..")) {
    response.writeHead(404, { "content-type": "text/plain" });
    return response.end("not found\n");
  }
  try {
    const body = await readFile(join(ROOT, relative));
    response.writeHead(200, {
      "content-type": TYPES[extname(relative)] ?? "application/octet-stream",
      "cache-control": "no-store",
    });
    response.end(body);
  } catch {
    response.writeHead(404, { "content-type": "text/plain" });
    response.end("not found\n");
  }
}

/** Starts the server on 127.0.0.1; resolves to { server, url } once it listens. */
export function startServer(port = 0) {
  return new Promise((resolve, reject) => {
    const server = createServer((request, response) => {
      handle(request, response).catch(() => response.destroy());
    });
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve({ server, url: `http://127.0.0.1:${server.address().port}/www/` });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  let port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
  for (;;) {
    try {
      const { url } = await startServer(port);
      console.log(`inferplan page: ${url}  (Ctrl-C to stop)`);
      break;
    } catch (error) {
      if (error.code !== "EADDRINUSE" || port > 65000) throw error;
      port += 1;
    }
  }
}
