// Checks the licence of every package in an npm lockfile (v2/v3 records each package's
// "license") against an allow-list; run by scripts/check-deps. Exit 1 on any other licence.
import { readFileSync } from "node:fs";

const allow = new Set(["MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "0BSD", "CC0-1.0"]);
// Licences allowed for one package only, with the reason.
const exceptions = {
  // axe-core (accessibility tests only, never shipped): MPL-2.0, file-level copyleft.
  "axe-core": ["MPL-2.0"],
};

const lock = JSON.parse(readFileSync(process.argv[2], "utf8"));
let bad = 0, count = 0;
for (const [path, pkg] of Object.entries(lock.packages || {})) {
  if (path === "" || pkg.link) continue;
  const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
  const lic = pkg.license || "(none)";
  count++;
  // "A OR B" passes when one side is allowed; anything else must be allowed whole.
  const ok = lic.replace(/[()]/g, "").split(/\s+OR\s+/).some(l => allow.has(l) || (exceptions[name] || []).includes(l));
  if (!ok) { console.error(`disallowed licence: ${name}@${pkg.version}: ${lic}`); bad++; }
}
console.log(`npm licences: ${count} packages checked, ${bad} disallowed`);
process.exit(bad ? 1 : 0);
