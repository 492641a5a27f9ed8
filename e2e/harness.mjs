// What the console's end-to-end test files share: a `cloudward serve --demo` on a free
// port, Debian's Chromium, and logging in through the form.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

export const root = resolve(import.meta.dirname, "..");
export const bin = process.env.CLOUDWARD_BIN ?? join(root, "target/debug/cloudward");
export const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** Starts a server on a free port; resolves with its address, the demo passwords and its
 * data folder. */
export function serve(extraArgs = [], prefix = "cloudward-e2e-") {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const child = spawn(bin, ["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir", dir, ...extraArgs], {
    env: { ...process.env, CLOUDWARD_LOG: "warn" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((ok, fail) => {
    const lines = createInterface({ input: child.stdout });
    const passwords = {};
    let base = null;
    child.on("exit", (code) => fail(new Error(`server exited with ${code}`)));
    lines.on("line", (line) => {
      // First "open http://…/ and log in as USER / PASSWORD", then where it listens, then
      // the other logins, one a line.
      const first = line.match(/^open http:\/\/\S+ and log in as (\S+) \/ (\S+)/);
      if (first) passwords[first[1]] = first[2];
      const m = line.match(/^cloudward listening on (http:\/\/\S+)/);
      if (m) base = m[1];
      const u = line.match(/^\s+(\S+)\s+(\S+)\s+\(/);
      if (u) passwords[u[1]] = u[2];
      if (base && Object.keys(passwords).length === 7) ok({ child, base, passwords, dir });
    });
  });
}

/** Logs in through the login form and waits for the page it leads to. */
export async function login(page, base, user, password) {
  await page.goto(`${base}/login`);
  await page.fill("#username", user);
  await page.fill("#password", password);
  await page.click("button[type=submit].primary");
  await page.waitForLoadState("load");
}
