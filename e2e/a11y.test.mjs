// Accessibility of the console, measured in headless Chromium against a real
// `cloudward serve --demo`: an axe-core audit of the main pages for every role (the
// WCAG 2.0/2.1 A and AA rules, colour contrast included), and a keyboard-only walk
// (log in, navigate, fill and submit a form, log out) that checks the focus indicator,
// the skip link and that no control traps the focus. Run by scripts/test; reports go to
// target/test-output/a11y/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { browserPath, login as loginAs, root, serve } from "./harness.mjs";

const out = join(root, "target/test-output/a11y");
mkdirSync(out, { recursive: true });

// axe-core comes from npm (pinned in package.json and package-lock.json) and is read from
// node_modules when the tests run; it is injected into each audited page.
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const axeVersion = JSON.parse(readFileSync(require.resolve("axe-core/package.json"), "utf8")).version;
// WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's own best practices; AXE_TAGS narrows
// or widens the set for a run (comma-separated axe tags).
const TAGS = (process.env.AXE_TAGS ?? "wcag2a,wcag2aa,wcag21a,wcag21aa,wcag22aa,best-practice").split(",");

let server, browser;

before(async () => {
  server = await serve([], "cloudward-a11y-");
  browser = await chromium.launch({ executablePath: browserPath, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  server?.child.kill("SIGTERM");
});

async function login(page, user) {
  await loginAs(page, server.base, user, server.passwords[user]);
}

/** A browser context for auditing. The console's Content-Security-Policy allows only its
 * own scripts, so the injected axe script needs bypassCSP; the templates use no inline
 * styles, so the pages render the same with or without the policy. */
async function auditContext(locale = "zh-CN") {
  const context = await browser.newContext({ locale, bypassCSP: true });
  const page = await context.newPage();
  page.on("dialog", (d) => d.accept());
  return { context, page };
}

/** Collects axe results page by page and fails once, at the end, with all of them. */
class Audit {
  constructor(name) {
    this.name = name;
    this.pages = [];
  }

  /** Runs axe on the page as it is now; `label` names the page and role in the report. */
  async check(page, label) {
    await page.waitForLoadState("load");
    if (!(await page.evaluate(() => typeof window.axe === "object"))) {
      await page.addScriptTag({ content: axeSource });
    }
    const result = await page.evaluate(async (tags) => {
      const r = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
      const shorten = (list) =>
        list.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          helpUrl: v.helpUrl,
          nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary ?? "" })),
        }));
      return { violations: shorten(r.violations), incomplete: shorten(r.incomplete), passes: r.passes.map((p) => p.id) };
    }, TAGS);
    this.pages.push({ label, url: page.url(), ...result });
    return result.violations;
  }

  /** Writes the report and fails naming each rule, page and offending element. What axe
   * could not decide (e.g. text over a chart) is listed in the report and as a diagnostic. */
  finish(t) {
    const file = join(out, `${this.name}.json`);
    writeFileSync(file, JSON.stringify({ axe: axeVersion, tags: TAGS, pages: this.pages }, null, 2));
    const failed = this.pages.filter((p) => p.violations.length > 0);
    const lines = [];
    for (const p of failed) {
      lines.push(`${p.label} — ${p.url}`);
      for (const v of p.violations) {
        lines.push(`  ${v.id} (${v.impact}): ${v.help}  ${v.helpUrl}`);
        for (const n of v.nodes) {
          lines.push(`    ${n.target}`);
          for (const s of n.summary.split("\n").filter(Boolean)) lines.push(`      ${s.trim()}`);
        }
      }
    }
    const review = this.pages.flatMap((p) => p.incomplete.map((v) => `${v.id} on ${p.label}: ${v.nodes.map((n) => n.target).join(", ")}`));
    if (t && review.length > 0) t.diagnostic(`axe could not decide (review by hand): ${review.join("; ")}`);
    const count = failed.reduce((n, p) => n + p.violations.reduce((m, v) => m + v.nodes.length, 0), 0);
    assert.equal(
      count,
      0,
      `axe-core ${axeVersion} (${TAGS.join(", ")}) found ${count} violation(s) on ${failed.length} of ${this.pages.length} pages (full report: ${file}):\n${lines.join("\n")}\n`,
    );
    if (TAGS.includes("wcag2aa")) {
      const unchecked = this.pages.filter((p) => !p.passes.includes("color-contrast") && !p.incomplete.some((v) => v.id === "color-contrast"));
      assert.deepEqual(unchecked.map((p) => p.label), [], "color contrast was checked on every page");
    }
  }
}

async function engagementId(page, name) {
  await page.goto(`${server.base}/dashboard`);
  const href = await page.locator("table a", { hasText: name }).first().getAttribute("href");
  return href.replace("/engagements/", "");
}

/** A scan through the API, so that the supervision page has findings to show. */
async function runScan(engagementName) {
  const api = await fetch(`${server.base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "customer-admin", password: server.passwords["customer-admin"] }),
  });
  const { csrf_token } = await api.json();
  const session = api.headers.get("set-cookie").split(";")[0];
  const list = await (await fetch(`${server.base}/api/v1/engagements`, { headers: { cookie: session } })).json();
  const id = list.items.find((e) => e.name === engagementName).id;
  const plan = readFileSync(join(root, "crates/cli/tests/fixtures/scan/plan/plan.json"), "utf8");
  const run = await fetch(`${server.base}/api/v1/engagements/${id}/scans/run`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie: session, "x-csrf-token": csrf_token },
    body: JSON.stringify({ files: [{ name: "plan.json", content: plan }] }),
  });
  assert.equal(run.status, 201);
  return id;
}

test("axe: the audit reports a violation with its rule, page and element", async () => {
  // A check of this file's reporting, on a real page with a deliberately poor paragraph.
  const { context, page } = await auditContext("en-GB");
  try {
    await page.goto(`${server.base}/login`);
    await page.evaluate(() => {
      const p = document.createElement("p");
      p.id = "a11y-probe";
      p.textContent = "grey on white";
      document.querySelector("main").append(p);
      document.styleSheets[0].insertRule("#a11y-probe { color: #bbbbbb; background: #ffffff; }");
    });
    const audit = new Audit("self-test");
    const found = await audit.check(page, "login with a probe");
    assert.deepEqual(
      found.map((v) => [v.id, v.nodes.map((n) => n.target)]),
      [["color-contrast", ["#a11y-probe"]]],
    );
    assert.throws(() => audit.finish(), (e) => /color-contrast \(serious\)[^\n]*\n\s+#a11y-probe\n\s+Fix any of the following/.test(e.message) && /login with a probe/.test(e.message));
  } finally {
    await context.close();
  }
});

const PORTAL = "区政府门户在线留言系统";
const HEALTH = "市医疗保障结算系统";

test("axe: the login page in both languages, with an error and with a notice", async (t) => {
  const audit = new Audit("login");
  for (const [locale, lang] of [["zh-CN", "zh"], ["en-GB", "en"]]) {
    const { context, page } = await auditContext(locale);
    await page.goto(`${server.base}/login`);
    await audit.check(page, `login (${lang})`);
    await page.fill("#username", "customer-member");
    await page.fill("#password", "not the password");
    await page.click("button[type=submit].primary");
    await page.waitForSelector("#login-error");
    await audit.check(page, `login refused (${lang})`);
    await page.goto(`${server.base}/login?expired=1`);
    await audit.check(page, `login after an expired session (${lang})`);
    await context.close();
  }
  audit.finish(t);
});

test("axe: the customer's pages, the wizard, the exit checklist and a refusal", async (t) => {
  const audit = new Audit("customer");
  const portal = await runScan(PORTAL);
  const admin = await auditContext();
  await login(admin.page, "customer-admin");
  await audit.check(admin.page, "dashboard (customer-admin)");
  // The wizard's first step: empty, refused for classified information, then classified.
  await admin.page.click("#wizard");
  await audit.check(admin.page, "wizard: classification (customer-admin)");
  await admin.page.fill("#w-name", "涉密测试");
  await admin.page.check("#w-info-classified");
  await Promise.all([admin.page.waitForNavigation(), admin.page.click("#classify")]);
  await admin.page.waitForSelector("#wizard-error");
  await audit.check(admin.page, "wizard: classified information refused (customer-admin)");
  await admin.page.uncheck("#w-info-classified");
  await admin.page.check("#w-info-sensitive");
  await admin.page.selectOption("#w-business", "critical");
  await Promise.all([admin.page.waitForNavigation(), admin.page.click("#classify")]);
  await admin.page.waitForSelector("#classification");
  await audit.check(admin.page, "wizard: level and allowed models (customer-admin)");
  await admin.page.selectOption("#w-model", "private");
  await admin.page.fill("#w-name", "无障碍测试系统");
  await Promise.all([admin.page.waitForNavigation(), admin.page.click("#create")]);
  await audit.check(admin.page, "wizard: requirement analysis (customer-admin)");
  const created = admin.page.url().replace(/\/requirements$/, "");
  for (const [path, label] of [
    ["/edit", "wizard: file editor"],
    ["/responsibility", "wizard: responsibility matrix editor"],
    ["/contract", "wizard: contract checklist"],
    ["", "wizard: choosing an offering"],
  ]) {
    await admin.page.goto(`${created}${path}`);
    await audit.check(admin.page, `${label} (customer-admin)`);
  }
  await admin.page.goto(`${server.base}/engagements/new`);
  await audit.check(admin.page, "new engagement from a file (customer-admin)");
  await admin.page.goto(`${server.base}/engagements/${portal}/supervision`);
  await audit.check(admin.page, "supervision with findings (customer-admin)");
  // A batch refused: the ticks and the error beside the action kept.
  await admin.page.locator("input.tick").first().check();
  await Promise.all([admin.page.waitForNavigation(), admin.page.click("#bulk-apply")]);
  await admin.page.waitForSelector("#bulk-action-error");
  await audit.check(admin.page, "supervision, a batch refused (customer-admin)");
  await admin.page.goto(`${server.base}/engagements/${portal}/supervision?view=closed`);
  await audit.check(admin.page, "supervision, closed findings (customer-admin)");
  await admin.page.goto(`${server.base}/engagements/no-such-engagement`);
  await audit.check(admin.page, "error page (customer-admin)");
  await admin.context.close();

  const member = await auditContext();
  await login(member.page, "customer-member");
  const health = await engagementId(member.page, HEALTH);
  await member.page.goto(`${server.base}/engagements/${health}`);
  await audit.check(member.page, "engagement in operation (customer-member)");
  for (const [path, label] of [
    ["/risks", "risk register"],
    ["/responsibility", "responsibility matrix"],
    ["/supervision", "supervision"],
    ["/requirements", "requirement analysis"],
    ["/records", "lifecycle records"],
  ]) {
    await member.page.goto(`${server.base}/engagements/${health}${path}`);
    await audit.check(member.page, `${label} (customer-member)`);
  }
  // What the disclosures fold away: a risk's treatment, a matrix row's share form.
  // A records form refused: the values kept, why beside the field.
  await member.page.goto(`${server.base}/engagements/${health}/records`);
  await member.page.fill("[id='sla.availability_percent']", "ninety-nine");
  await Promise.all([member.page.waitForNavigation(), member.page.click("#save-records")]);
  await member.page.waitForSelector("[id='sla.availability_percent-error']");
  await audit.check(member.page, "lifecycle records refused (customer-member)");
  await member.page.goto(`${server.base}/engagements/${health}/risks`);
  await member.page.click("details.treatment summary >> nth=0");
  await audit.check(member.page, "risk register, a treatment open (customer-member)");
  await member.page.goto(`${server.base}/engagements/${health}/responsibility`);
  await member.page.click("details.share summary >> nth=0");
  await audit.check(member.page, "responsibility matrix, a share form open (customer-member)");
  // Into exit: the checklist, then closing refused with its blockers.
  await member.page.goto(`${server.base}/engagements/${health}`);
  await Promise.all([member.page.waitForNavigation(), member.page.click("#advance")]);
  await member.page.waitForSelector("#exit");
  await audit.check(member.page, "exit checklist (customer-member)");
  await Promise.all([member.page.waitForNavigation(), member.page.click("#advance")]);
  await member.page.waitForSelector("#refusal");
  await audit.check(member.page, "closing refused (customer-member)");
  // The same in English.
  await Promise.all([member.page.waitForNavigation(), member.page.click("button[name=lang][value=en]")]);
  await audit.check(member.page, "exit checklist (customer-member, en)");
  await member.page.goto(`${server.base}/dashboard`);
  await audit.check(member.page, "dashboard (customer-member, en)");
  await member.page.goto(`${server.base}/engagements/${portal}/supervision`);
  await audit.check(member.page, "supervision (customer-member, en)");
  await member.page.goto(`${server.base}/catalog?q=backup`);
  await audit.check(member.page, "catalog search (customer-member, en)");
  await member.page.goto(`${server.base}/catalog?q=no-such-control`);
  await audit.check(member.page, "catalog search without results (customer-member, en)");
  await member.context.close();

  const viewer = await auditContext();
  await login(viewer.page, "customer-viewer");
  await audit.check(viewer.page, "dashboard (customer-viewer)");
  await viewer.page.goto(`${server.base}/engagements/${health}`);
  await audit.check(viewer.page, "exit checklist, read only (customer-viewer)");
  await viewer.page.goto(`${server.base}/engagements/${health}/risks`);
  await audit.check(viewer.page, "risk register, read only (customer-viewer)");
  await viewer.context.close();
  audit.finish(t);
});

test("axe: offerings, the assessment workspace, supervision and the catalog for the other parties", async (t) => {
  const audit = new Audit("parties");
  const provider = await auditContext();
  await login(provider.page, "provider-admin");
  await audit.check(provider.page, "dashboard (provider-admin)");
  await provider.page.goto(`${server.base}/offerings`);
  await audit.check(provider.page, "offerings (provider-admin)");
  await provider.page.fill("#o-name", "无障碍测试平台");
  await Promise.all([provider.page.waitForNavigation(), provider.page.click("#create-offering")]);
  const row = provider.page.locator("tr", { hasText: "无障碍测试平台" });
  await Promise.all([provider.page.waitForNavigation(), row.locator("button").click()]);
  await provider.page.waitForSelector("[role=status]");
  await audit.check(provider.page, "offerings, an assessor invited (provider-admin)");
  const health = await engagementId(provider.page, HEALTH);
  await provider.page.goto(`${server.base}/engagements/${health}`);
  await audit.check(provider.page, "engagement (provider-admin)");
  await provider.page.goto(`${server.base}/engagements/${health}/responsibility`);
  await audit.check(provider.page, "responsibility matrix, rows to confirm (provider-admin)");

  const assessor = await auditContext();
  await login(assessor.page, "assessor-admin");
  await audit.check(assessor.page, "dashboard with assessments (assessor-admin)");
  await assessor.page.click("table tr:has-text('无障碍测试平台') a[href^='/assessments/']");
  await assessor.page.waitForSelector("#save-results");
  await audit.check(assessor.page, "assessment workspace (assessor-admin)");
  await assessor.page.selectOption("#all", "satisfied");
  await assessor.page.fill("#all-waiver", "现场抽查");
  await Promise.all([assessor.page.waitForNavigation(), assessor.page.click("#save-results")]);
  await Promise.all([assessor.page.waitForNavigation(), assessor.page.click("#conclude")]);
  await audit.check(assessor.page, "assessment concluded (assessor-admin)");
  await provider.page.goto(assessor.page.url());
  await audit.check(provider.page, "assessment to publish (provider-admin)");
  await assessor.page.goto(`${server.base}/catalog`);
  await audit.check(assessor.page, "catalog (assessor-admin)");
  await assessor.page.click("table tbody tr a");
  await audit.check(assessor.page, "a control (assessor-admin)");
  await assessor.context.close();
  await provider.context.close();

  // The security service provider serves the other engagement; a scan gives it findings.
  await runScan(HEALTH);
  const ssp = await auditContext();
  await login(ssp.page, "ssp-admin");
  await audit.check(ssp.page, "dashboard (ssp-admin)");
  await ssp.page.goto(`${server.base}/engagements/${health}/supervision`);
  await audit.check(ssp.page, "supervision (ssp-admin)");
  await ssp.page.goto(`${server.base}/audit`);
  await audit.check(ssp.page, "audit log (ssp-admin)");
  await ssp.context.close();
  audit.finish(t);
});

test("axe: the audit viewer and the administration pages", async (t) => {
  const audit = new Audit("admin");
  const platform = await auditContext();
  await login(platform.page, "platform-admin");
  await audit.check(platform.page, "audit log with verification (platform-admin)");
  await platform.page.click("#admin-link");
  await audit.check(platform.page, "organisations (platform-admin)");
  await platform.page.goto(`${server.base}/audit?page=2`);
  await audit.check(platform.page, "audit log, page 2 (platform-admin)");
  // Imported frameworks: the list and its import form, the browser, one control.
  await platform.page.goto(`${server.base}/frameworks`);
  await audit.check(platform.page, "frameworks, none yet (platform-admin)");
  await platform.page.fill("#f-name", "basic");
  await platform.page.setInputFiles("#f-file", join(root, "crates/oscal/tests/data/basic-catalog.json"));
  await Promise.all([platform.page.waitForNavigation(), platform.page.click("#import-framework")]);
  await platform.page.waitForSelector("#frameworks");
  await audit.check(platform.page, "frameworks (platform-admin)");
  await Promise.all([platform.page.waitForNavigation(), platform.page.click("#frameworks tbody a")]);
  await audit.check(platform.page, "a framework in the catalog browser (platform-admin)");
  await Promise.all([platform.page.waitForNavigation(), platform.page.click("table tbody a")]);
  await audit.check(platform.page, "a framework control (platform-admin)");
  await platform.context.close();

  const admin = await auditContext("en-GB");
  await login(admin.page, "customer-admin");
  await admin.page.click("#admin-link");
  await audit.check(admin.page, "users (customer-admin)");
  await admin.page.goto(`${server.base}/admin/tokens`);
  await audit.check(admin.page, "API tokens (customer-admin)");
  await admin.page.fill("#t-name", "a11y");
  await Promise.all([admin.page.waitForNavigation(), admin.page.click("#create-token")]);
  await admin.page.waitForSelector("#new-token");
  await audit.check(admin.page, "API token shown once (customer-admin)");
  await admin.page.goto(`${server.base}/admin/notifications`);
  await audit.check(admin.page, "notification settings (customer-admin)");
  // A user's management controls open; the account page; a channel in the edit form; the
  // audit log filtered, and refused.
  await admin.page.click("#admin-link");
  await admin.page.locator("details.manage summary").first().click();
  await audit.check(admin.page, "users, a user's controls open (customer-admin)");
  await admin.page.goto(`${server.base}/account`);
  await audit.check(admin.page, "own account (customer-admin)");
  await admin.page.goto(`${server.base}/admin/notifications`);
  await admin.page.fill("#c-name", "a11y desk");
  await admin.page.selectOption("#c-kind", "generic");
  await admin.page.fill("#c-url", "http://127.0.0.1:9/hook");
  await Promise.all([admin.page.waitForNavigation(), admin.page.click("#create-channel")]);
  await Promise.all([admin.page.waitForNavigation(), admin.page.click("a[id^='edit-']")]);
  await audit.check(admin.page, "a notification channel being changed (customer-admin)");
  await admin.page.goto(`${server.base}/audit?kind=engagement&verb=create`);
  await audit.check(admin.page, "audit log filtered (customer-admin)");
  await admin.page.goto(`${server.base}/audit?from=2026-13-01`);
  await audit.check(admin.page, "audit log, a date refused (customer-admin)");
  await admin.context.close();
  audit.finish(t);
});

// ---- keyboard ----------------------------------------------------------------------

/** The focused element: what it is, whether it shows a focus indicator, and the contrast of
 * that indicator against the background around it. */
function describeFocus(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const rgb = (c) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const luminance = ({ r, g, b }) => {
      const ch = (v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
    };
    const ratio = (x, y) => {
      const [a, b] = [luminance(x), luminance(y)].sort((p, q) => q - p);
      return (a + 0.05) / (b + 0.05);
    };
    const paint = (from) => {
      for (let p = from; p; p = p.parentElement) {
        const c = rgb(getComputedStyle(p).backgroundColor);
        if (c && c.a > 0) return c;
      }
      return { r: 255, g: 255, b: 255, a: 1 };
    };
    const s = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    const width = parseFloat(s.outlineWidth) || 0;
    const offset = parseFloat(s.outlineOffset) || 0;
    // What the outline is seen against: the element itself for an outline drawn inside it,
    // otherwise whatever is painted just outside the element, where the outline is.
    let background;
    if (offset + width <= 0) {
      background = paint(el);
    } else {
      const d = offset + width / 2;
      const inside = ([x, y]) => x >= 0 && y >= 0 && x < innerWidth && y < innerHeight;
      const point = [
        [box.left - d, box.top + box.height / 2],
        [box.right + d, box.top + box.height / 2],
        [box.left + box.width / 2, box.top - d],
        [box.left + box.width / 2, box.bottom + d],
      ].find(inside);
      const under = point ? document.elementsFromPoint(...point).find((e) => e !== el && !el.contains(e)) : null;
      background = paint(under ?? el.parentElement);
    }
    const outline = s.outlineStyle !== "none" && width >= 2 ? rgb(s.outlineColor) : null;
    const shadow = s.boxShadow !== "none" ? s.boxShadow : null;
    const name = `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : ""}`;
    return {
      name,
      text: (el.getAttribute("aria-label") || el.innerText || el.value || "").trim().slice(0, 40),
      // A date field's parts and calendar button take the focus inside it: the field matches :focus-within.
      focusVisible: el.matches(":focus-visible") || el.matches("input:is([type=date], [type=time], [type=datetime-local]):focus-within"),
      outline: outline ? `${s.outlineWidth} ${s.outlineStyle} ${s.outlineColor}` : null,
      outlineContrast: outline ? Math.round(ratio(outline, background) * 100) / 100 : null,
      background: `rgb(${background.r}, ${background.g}, ${background.b})`,
      shadow,
      onScreen: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0 && box.left < innerWidth,
    };
  });
}

/** Asserts that the focused element shows a focus indicator of at least 3:1. */
function assertIndicator(f, where) {
  assert.ok(f, `something has the focus on ${where}`);
  assert.ok(f.onScreen, `${f.name} "${f.text}" is on screen when focused (${where})`);
  assert.ok(f.focusVisible, `${f.name} "${f.text}" matches :focus-visible (${where})`);
  assert.ok(f.outline || f.shadow, `${f.name} "${f.text}" shows a focus outline or shadow (${where})`);
  if (f.outline && !f.shadow) {
    assert.ok(f.outlineContrast >= 3, `${f.name} "${f.text}": focus outline ${f.outline} has contrast ${f.outlineContrast}:1 against ${f.background}, below 3:1 (${where})`);
  }
}

/** Presses a key until the focused element matches `want`; checks every stop on the way. */
async function keyTo(page, key, want, what, max = 60) {
  let last = null;
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    const f = await describeFocus(page);
    // null: the focus left the page (to the browser's own controls), and comes back next.
    if (f) assertIndicator(f, page.url());
    const now = f ? `${f.name}|${f.text}` : null;
    assert.ok(now === null || now !== last, `the focus moved on ${key} from ${last} (${page.url()})`);
    last = now;
    if (f && (await page.evaluate(want))) return f;
  }
  assert.fail(`${what} not reached with ${key} within ${max} presses on ${page.url()}`);
}

/** Tabs through the whole page and back: every tabbable element is reached once, each shows
 * a focus indicator, and then the focus leaves the page or wraps around to where the walk
 * began (headless Chromium has no browser controls to move to): no keyboard trap. Starts on
 * a page just loaded; leaves the focus at one end of the page. */
async function walkWholePage(page) {
  const tabbable = await page.evaluate(
    () =>
      [...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]")].filter((e) => {
        if (e.disabled || e.tabIndex < 0) return false;
        // A closed disclosure shows only its summary; what it folds away is not a tab stop.
        const closed = e.closest("details:not([open])");
        if (closed && !(e.tagName === "SUMMARY" && e.parentElement === closed)) return false;
        const r = e.getBoundingClientRect();
        return r.width > 0 || r.height > 0 || e.classList.contains("skip");
      }).length,
  );
  // From a field focused on load (autofocus), back out of the page first.
  for (let i = 0; i <= tabbable && (await describeFocus(page)); i++) await page.keyboard.press("Shift+Tab");
  for (const key of ["Tab", "Shift+Tab"]) {
    const seen = [];
    let left = false;
    // A date field takes a few presses (one for each of its parts); nothing else may.
    for (let i = 0; i < tabbable * 4 + 2; i++) {
      await page.keyboard.press(key);
      const f = await describeFocus(page);
      // Before the first control, the focus may still be outside the page for one press.
      if (!f && seen.length === 0 && i === 0) continue;
      if (!f) {
        left = true;
        break;
      }
      assertIndicator(f, `${page.url()} (${key})`);
      const [id, parts] = await page.evaluate(() => {
        const el = document.activeElement;
        el.dataset.a11yWalk ??= String(Math.random());
        return [el.dataset.a11yWalk, el.matches("input[type=date], input[type=time], input[type=datetime-local]")];
      });
      if (parts && id === seen.at(-1)) continue;
      if (seen.includes(id)) {
        left = id === seen[0];
        break;
      }
      seen.push(id);
    }
    assert.ok(left, `${key} leaves the page after its last control (${page.url()}): no keyboard trap`);
    assert.equal(seen.length, tabbable, `${key} reaches every one of the ${tabbable} controls on ${page.url()}`);
  }
}

/** An expression, evaluated in the page, that is true when the focus is on `selector`. */
const focusIs = (selector) => `document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`;

test("keyboard only: log in, navigate, search, classify in the wizard, log out", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  try {
    const k = page.keyboard;
    // The login form: the user name has the focus; Tab to the password; Enter submits.
    await page.goto(`${server.base}/login`);
    assert.ok(await page.evaluate(focusIs("#username")), "the user name field has the focus");
    assertIndicator(await describeFocus(page), "login");
    await k.type("customer-admin");
    await keyTo(page, "Tab", focusIs("#password"), "the password field", 1);
    await k.type(server.passwords["customer-admin"]);
    await Promise.all([page.waitForURL(/\/dashboard$/), k.press("Enter")]);

    // The skip link is the first stop, visible when focused, and jumps to main#main.
    await keyTo(page, "Tab", focusIs("a.skip[href='#main']"), "the skip link", 1);
    await page.screenshot({ path: join(out, "keyboard-skip-link.png") });
    await k.press("Enter");
    assert.ok(await page.evaluate(focusIs("main#main")), "the skip link moves the focus to main");
    await keyTo(page, "Tab", focusIs("main a#wizard"), "the first control in main, the wizard link", 1);

    // Back up into the navigation, to the catalog, and a search submitted with Enter.
    await keyTo(page, "Shift+Tab", focusIs("nav a[href='/catalog']"), "the catalog link in the navigation");
    await Promise.all([page.waitForURL(/\/catalog$/), k.press("Enter")]);
    await keyTo(page, "Tab", focusIs("#q"), "the search field");
    await k.type("备份");
    await keyTo(page, "Tab", focusIs("#family"), "the family filter", 1);
    await keyTo(page, "Tab", focusIs("#level"), "the level filter", 1);
    await k.press("ArrowDown"); // general
    await k.press("ArrowDown"); // enhanced
    await keyTo(page, "Tab", focusIs("form[role=search] button"), "the search button", 1);
    await Promise.all([page.waitForURL(/q=/), k.press("Enter")]);
    assert.match(page.url(), /level=enhanced/);
    const found = await page.$$("table tbody tr");
    assert.ok(found.length > 0 && found.length < 220, `the search found ${found.length} controls`);

    // To the dashboard, into the wizard, and its classification step by keyboard.
    await keyTo(page, "Tab", focusIs("nav a[href='/dashboard']"), "the dashboard link in the navigation");
    await Promise.all([page.waitForURL(/\/dashboard$/), k.press("Enter")]);
    // Every control is reached forwards and backwards, and none keeps the focus.
    await walkWholePage(page);
    await keyTo(page, "Tab", focusIs("#wizard"), "the new engagement link");
    await Promise.all([page.waitForURL(/\/engagements\/wizard$/), k.press("Enter")]);
    await walkWholePage(page);
    await keyTo(page, "Tab", focusIs("#w-name"), "the name field");
    await k.type("键盘测试系统");
    await keyTo(page, "Tab", focusIs("#w-customer"), "the customer field", 1);
    await keyTo(page, "Tab", focusIs("#w-info-public"), "the first information type", 1);
    await k.press("Space"); // public: off
    await keyTo(page, "Tab", focusIs("#w-info-sensitive"), "the second information type", 1);
    await k.press("Space"); // sensitive: on
    await keyTo(page, "Tab", focusIs("#w-business"), "the business type");
    await k.press("ArrowDown"); // important
    await k.press("ArrowDown"); // critical
    await keyTo(page, "Tab", focusIs("#w-service"), "the service category", 1);
    await keyTo(page, "Tab", focusIs("#w-model"), "the deployment model", 1);
    await k.press("ArrowDown"); // community
    await k.press("ArrowDown"); // private
    await keyTo(page, "Tab", focusIs("#classify"), "the classify button", 1);
    await page.screenshot({ path: join(out, "keyboard-wizard.png") });
    await Promise.all([page.waitForNavigation(), k.press("Enter")]);
    const result = await page.textContent("#classification");
    assert.match(result, /高级保护/, "sensitive information in a critical business: advanced protection");
    assert.doesNotMatch(result, /不符合/, "a private cloud is allowed");
    // The result has the focus (console.js); from there on to the create button, pressed with Space.
    assert.ok(await page.evaluate(focusIs("#classification")), "the result has the focus");
    await keyTo(page, "Tab", focusIs("#create"), "the create button");
    await Promise.all([page.waitForURL(/\/requirements$/), k.press("Space")]);
    assert.equal(await page.inputValue("[id='data_location.regions']"), "", "the requirement analysis of the new engagement");

    // Log out: the skip link, then Shift+Tab from main reaches the header's last control.
    await keyTo(page, "Tab", focusIs("a.skip"), "the skip link", 100);
    await k.press("Enter");
    await keyTo(page, "Shift+Tab", focusIs("form[action='/logout'] button"), "the log out button", 1);
    await page.screenshot({ path: join(out, "keyboard-log-out.png") });
    await Promise.all([page.waitForURL(/\/login/), k.press("Enter")]);
    await page.goto(`${server.base}/dashboard`);
    assert.match(page.url(), /\/login/, "logged out");
  } finally {
    await context.close();
  }
});

test("keyboard only: every control of the main pages is reached both ways, with a visible focus ring", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  try {
    const pages = async (user, paths) => {
      await login(page, user);
      for (const path of paths) {
        await page.goto(`${server.base}${typeof path === "function" ? await path() : path}`);
        await walkWholePage(page);
      }
      await page.goto(`${server.base}/login`);
      await page.context().clearCookies();
    };
    const portal = () => engagementId(page, PORTAL);
    const health = () => engagementId(page, HEALTH);
    await page.goto(`${server.base}/login`);
    await walkWholePage(page);
    await pages("customer-admin", [
      async () => `/engagements/${await portal()}`,
      async () => `/engagements/${await portal()}/supervision`,
      async () => `/engagements/${await portal()}/requirements`,
      async () => `/engagements/${await portal()}/responsibility`,
      async () => `/engagements/${await portal()}/contract`,
      async () => `/engagements/${await health()}`,
      async () => `/engagements/${await health()}/risks`,
      "/engagements/new",
      "/catalog",
      "/admin/tokens",
    ]);
    await pages("provider-admin", ["/offerings", async () => `/engagements/${await health()}`]);
    await pages("platform-admin", ["/audit", "/admin/orgs"]);
  } finally {
    await context.close();
  }
});
