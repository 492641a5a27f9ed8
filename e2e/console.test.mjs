// End-to-end tests of the cloudward console in headless Chromium, against the real
// `cloudward serve --demo`. Run by scripts/test (which installs Debian's chromium and
// builds the binary). Screenshots go to target/test-output/console/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { browserPath, login, root, serve } from "./harness.mjs";

const shots = join(root, "target/test-output/console");
mkdirSync(shots, { recursive: true });

let server, browser;

before(async () => {
  server = await serve();
  browser = await chromium.launch({ executablePath: browserPath, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  server?.child.kill("SIGTERM");
});


/** Every form control has a label; images and charts have text. */
async function accessible(page) {
  const unlabelled = await page.$$eval("input:not([type=hidden]), select", (els) =>
    els.filter((e) => !(e.id && document.querySelector(`label[for="${e.id}"]`)) && !e.getAttribute("aria-label")).map((e) => e.name),
  );
  assert.deepEqual(unlabelled, [], `unlabelled controls on ${page.url()}`);
  const svgs = await page.$$eval("svg", (els) => els.filter((s) => !s.querySelector("title")).length);
  assert.equal(svgs, 0, "every chart has a title");
  assert.ok(await page.$("main#main"), "a main landmark");
}

test("each role logs in and sees its dashboard, in Chinese by default", async () => {
  const roles = ["customer-admin", "customer-member", "customer-viewer", "provider-admin", "assessor-admin", "ssp-admin"];
  for (const role of roles) {
    const context = await browser.newContext({ locale: "zh-CN" });
    const page = await context.newPage();
    await login(page, server.base, role, server.passwords[role]);
    assert.match(page.url(), /\/dashboard$/, role);
    assert.equal(await page.textContent("h1"), "工作台");
    const rows = await page.$$("#engagements tbody tr");
    // The customer has an engagement in each phase; the provider and the assessor are on
    // the four past planning, the security service provider on two of them.
    const expected = { "provider-admin": 4, "assessor-admin": 4, "ssp-admin": 2 }[role] ?? 5;
    assert.equal(rows.length, expected, `${role}'s engagements`);
    await accessible(page);
    await page.screenshot({ path: join(shots, `dashboard-${role}.png`), fullPage: true });
    await context.close();
  }
  // The platform administrator's page is the audit log, with the chain verified.
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await login(page, server.base, "platform-admin", server.passwords["platform-admin"]);
  assert.match(page.url(), /\/audit$/);
  assert.match(await page.textContent("#verification"), /审计链完整/);
  await page.screenshot({ path: join(shots, "audit.png"), fullPage: true });
  await context.close();
});

test("a wrong password is refused with a message; English follows the browser", async () => {
  const context = await browser.newContext({ locale: "en-GB" });
  const page = await context.newPage();
  await page.goto(`${server.base}/login`);
  assert.equal(await page.textContent("h1"), "Log in to cloudward");
  await page.fill("#username", "customer-member");
  await page.fill("#password", "not the password");
  await page.click("button[type=submit].primary");
  assert.match(await page.textContent("#login-error"), /wrong user name or password/);
  await page.screenshot({ path: join(shots, "login-refused.png") });
  await context.close();
});

test("the customer walks its engagement to exit; closing is refused with the blockers", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  page.on("dialog", (d) => d.accept());
  await login(page, server.base, "customer-member", server.passwords["customer-member"]);
  await page.click("#engagements >> text=市医疗保障结算系统");
  assert.equal(await page.textContent("#phase"), "运行监管");
  await page.screenshot({ path: join(shots, "engagement.png"), fullPage: true });
  // Interchange: the plan and the latest scan as OSCAL, from links on the page.
  const fetchJson = (selector) =>
    page.$eval(selector, async (a) => (await fetch(a.getAttribute("href"))).json());
  assert.ok((await fetchJson("#download-ssp"))["system-security-plan"], "an OSCAL SSP");
  const results = await fetchJson("#download-scan-results");
  assert.ok(results["assessment-results"].results[0].observations.length > 0, "the scan's failing checks");
  await page.click("#advance");
  await page.waitForLoadState("load");
  assert.equal(await page.textContent("#phase"), "退出服务");
  await page.click("#advance");
  await page.waitForLoadState("load");
  const refusal = await page.textContent("#refusal");
  assert.match(refusal, /exit-no-deletion-attestation/);
  assert.equal(await page.textContent("#phase"), "退出服务", "still in exit");
  await page.screenshot({ path: join(shots, "refusal.png"), fullPage: true });
  // The risk register: a heat map, and likelihood and impact edited under the file's rules.
  await page.click("#risks-link");
  const engagementUrl = page.url().replace(/\/risks.*$/, "");
  assert.ok(await page.$("svg.heat title"), "a heat map with a title");
  await page.selectOption("select[name='likelihood.R1']", "5");
  await page.selectOption("select[name='impact.R1']", "4");
  await Promise.all([page.waitForNavigation(), page.click("#save-risks")]);
  assert.match(await page.textContent("[role=status]"), /已保存/);
  assert.match(await page.textContent("svg.heat"), /R1/);
  assert.match(await page.textContent("table"), /20 · 高/);
  // A treatment (a control, a clause the guide suggests, the residual risk) and a risk of
  // the engagement's own.
  let treat = page.locator("tr.treatment-row").filter({ has: page.locator("input[name='treat.R1']") });
  await treat.locator("summary").click();
  await treat.locator("input[name='controls.R1']").fill("DP-04, AC-11");
  const suggested = treat.locator("fieldset.choices div:has(.suggested) input[type=checkbox]").first();
  const clause = await suggested.getAttribute("name");
  await suggested.check();
  await treat.locator("select[name='residual_likelihood.R1']").selectOption("2");
  await treat.locator("select[name='residual_impact.R1']").selectOption("2");
  await page.fill("#new-id", "C1");
  await page.fill("#new-name", "供应商锁定");
  await page.selectOption("#new-likelihood", "3");
  await page.selectOption("#new-impact", "4");
  await Promise.all([page.waitForNavigation(), page.click("#save-risks")]);
  assert.match(await page.textContent("[role=status]"), /已保存/);
  assert.match(await page.textContent("table"), /C1\s*供应商锁定/);
  treat = page.locator("tr.treatment-row").filter({ has: page.locator("input[name='treat.R1']") });
  await treat.locator("summary").click();
  assert.equal(await treat.locator("input[name='controls.R1']").inputValue(), "DP-04, AC-11");
  assert.ok(await treat.locator(`input[name='${clause}']`).isChecked(), "the clause stays chosen");
  assert.equal(await treat.locator("select[name='residual_impact.R1']").inputValue(), "2");
  await accessible(page);
  await page.screenshot({ path: join(shots, "risks.png"), fullPage: true });
  // A control the catalog does not have: refused, naming it.
  await treat.locator("input[name='controls.R1']").fill("XX-99");
  await Promise.all([page.waitForNavigation(), page.click("#save-risks")]);
  assert.match(await page.textContent("main"), /XX-99/);
  // The form comes back as typed, the treatment open, the reason beside the field.
  treat = page.locator("tr.treatment-row").filter({ has: page.locator("input[name='treat.R1']") });
  assert.equal(await treat.locator("input[name='controls.R1']").inputValue(), "XX-99");
  assert.match(await page.textContent("#controls-R1-error"), /XX-99/);
  assert.equal(await page.inputValue("select[name='likelihood.R1']"), "5");
  await page.goto(engagementUrl);
  // Switch to English: the choice stays with the account.
  await page.click("button[name=lang][value=en]");
  await page.waitForLoadState("load");
  assert.equal(await page.textContent("#phase"), "Exit");
  await page.goto(`${server.base}/dashboard`);
  assert.equal(await page.textContent("h1"), "Dashboard");
  await context.close();
});

test("a form with a forged CSRF token is refused", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  page.on("dialog", (d) => d.accept());
  await login(page, server.base, "customer-admin", server.passwords["customer-admin"]);
  await page.click("#engagements >> text=区政府门户在线留言系统");
  await page.$eval("form[action$='/transition'] input[name=csrf_token]", (e) => (e.value = "forged"));
  const [response] = await Promise.all([page.waitForNavigation(), page.click("#advance")]);
  assert.equal(response.status(), 403);
  assert.match(await page.textContent("[role=alert]"), /表单已过期或来源不明/);
  await context.close();
});

test("the provider confirms its rows of the responsibility matrix", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await login(page, server.base, "provider-admin", server.passwords["provider-admin"]);
  await page.click("#engagements >> text=区政府门户在线留言系统");
  await page.click("a[href$='/responsibility']");
  const before = await page.$$("form[action$='/confirm']");
  assert.ok(before.length > 0, "the provider has rows to confirm");
  await page.click("form[action$='/confirm'] button");
  await page.waitForLoadState("load");
  assert.match(await page.textContent("[role=status]"), /已确认/);
  const afterCount = (await page.$$("form[action$='/confirm']")).length;
  assert.equal(afterCount, before.length - 1);
  await accessible(page);
  await page.screenshot({ path: join(shots, "responsibility.png"), fullPage: true });
  await context.close();
});

test("the catalog browser searches in both languages", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await login(page, server.base, "assessor-admin", server.passwords["assessor-admin"]);
  await page.goto(`${server.base}/catalog`);
  assert.match(await page.textContent("#count"), /共 220 项控制/);
  await page.fill("#q", "备份");
  await page.click("form[role=search] button");
  const found = await page.$$("table tbody tr");
  assert.ok(found.length > 0 && found.length < 220, `found ${found.length}`);
  await page.selectOption("#level", "advanced");
  await page.fill("#q", "");
  await page.click("form[role=search] button");
  assert.match(await page.textContent("#count"), /共 14 项控制/);
  await accessible(page);
  await page.screenshot({ path: join(shots, "catalog.png"), fullPage: true });
  await page.click("table tbody tr a");
  assert.ok((await page.textContent("h1")).length > 3);
  await context.close();
});

test("an expired session sends the browser back to the login page with a notice", async () => {
  const config = join(server.dir, "short.yaml");
  writeFileSync(config, "session_minutes: 0\n");
  const short = await serve(["--config", config]);
  try {
    const context = await browser.newContext({ locale: "zh-CN" });
    const page = await context.newPage();
    await page.goto(`${short.base}/login`);
    await page.fill("#username", "customer-member");
    await page.fill("#password", short.passwords["customer-member"]);
    await page.click("button[type=submit].primary");
    await page.waitForLoadState("load");
    assert.match(page.url(), /\/login\?next=\/dashboard$/, "the browser dropped the expired cookie");
    await context.close();
    // A session cookie the server has expired, sent anyway, lands on the notice.
    const raw = await fetch(`${short.base}/login`);
    const csrf = (await raw.text()).match(/name="csrf_token" value="([^"]+)"/)[1];
    const cookie = raw.headers.get("set-cookie").split(";")[0];
    const res = await fetch(`${short.base}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie },
      body: new URLSearchParams({ username: "customer-member", password: short.passwords["customer-member"], csrf_token: csrf, next: "/dashboard" }),
    });
    const session = res.headers.get("set-cookie").split(";")[0];
    const context2 = await browser.newContext({ locale: "zh-CN" });
    const [name, value] = session.split("=");
    await context2.addCookies([{ name, value, url: short.base }]);
    const page2 = await context2.newPage();
    await page2.goto(`${short.base}/dashboard`);
    assert.match(page2.url(), /expired=1/);
    assert.match(await page2.textContent("[role=status]"), /会话已过期/);
    await page2.screenshot({ path: join(shots, "session-expired.png") });
    await context2.close();
  } finally {
    short.child.kill("SIGTERM");
  }
});

test("all four parties walk a new engagement from planning to closed", async () => {
  const contexts = [];
  const as = async (role) => {
    const context = await browser.newContext({ locale: "zh-CN" });
    contexts.push(context);
    const page = await context.newPage();
    page.on("dialog", (d) => d.accept());
    await login(page, server.base, role, server.passwords[role]);
    return page;
  };
  const submit = async (page, selector) => {
    await Promise.all([page.waitForNavigation(), page.click(selector)]);
  };
  try {
    // Planning: the customer creates the engagement from its file and moves it on.
    // (customer-member chose English in an earlier test; the administrator has not.)
    const customer = await as("customer-admin");
    await customer.click("#new-engagement");
    await customer.fill("#file", readFileSync(join(import.meta.dirname, "fixtures/walk.yaml"), "utf8"));
    await submit(customer, "#import");
    const engagementUrl = customer.url();
    assert.equal(await customer.textContent("#phase"), "规划准备");
    await submit(customer, "#advance");
    assert.equal(await customer.textContent("#phase"), "选择服务商与部署");
    // Assess first, use after: deploying without an assessed offering is refused.
    await submit(customer, "#advance");
    assert.match(await customer.textContent("#refusal"), /assessment-missing/);
    await customer.screenshot({ path: join(shots, "walk-refused-unassessed.png"), fullPage: true });

    // The provider publishes an offering and invites the assessor.
    const provider = await as("provider-admin");
    await provider.goto(`${server.base}/offerings`);
    await provider.fill("#o-name", "政务 SaaS 留言平台");
    await provider.selectOption("#o-cat", "saas");
    await provider.selectOption("#o-model", "public");
    await provider.selectOption("#o-level", "general");
    await submit(provider, "#create-offering");
    const row = provider.locator("tr", { hasText: "政务 SaaS 留言平台" });
    await row.locator("select[name=level]").selectOption("general");
    await Promise.all([provider.waitForNavigation(), row.locator("button").click()]);
    assert.match(await provider.textContent("[role=status]"), /已邀请/);

    // The assessor records results in its workspace and concludes.
    const assessor = await as("assessor-admin");
    await assessor.click("table tr:has-text('政务 SaaS 留言平台') a[href^='/assessments/']");
    await assessor.selectOption("#all", "satisfied");
    await assessor.fill("#all-waiver", "现场抽查");
    await submit(assessor, "#save-results");
    const exported = await assessor.$eval("#download-results", async (a) => (await fetch(a.getAttribute("href"))).json());
    assert.ok(exported["assessment-results"].results[0].findings.length > 100, "every result as an OSCAL finding");
    // A file attached to one result, listed with it and readable by the provider.
    const review = join(server.dir, "ac-review.txt");
    writeFileSync(review, "AC-07 复核记录：连续 5 次失败后锁定 15 分钟。");
    await assessor.selectOption("#ev-control", "AC-07");
    await assessor.setInputFiles("#ev-file", review);
    await submit(assessor, "#attach");
    assert.match(await assessor.textContent("[role=status]"), /已保存/);
    const fileLink = assessor.locator("tr", { has: assessor.locator("a[href='/catalog/AC-07']") }).locator("a.file");
    assert.equal(await fileLink.textContent(), "ac-review.txt");
    await accessible(assessor);
    await assessor.screenshot({ path: join(shots, "assessment-workspace.png") });
    await submit(assessor, "#conclude");
    assert.match(await assessor.textContent("#conclusion"), /通过/);

    // The provider publishes the pass; it reads the assessor's file.
    await provider.goto(assessor.url());
    const href = await provider.getAttribute("a.file", "href");
    assert.match(await provider.evaluate(async (url) => (await fetch(url)).text(), href), /锁定 15 分钟/);
    await submit(provider, "#publish");

    // The customer picks the offering; now deployment passes the gate.
    await customer.goto(engagementUrl);
    const offering = await customer.$eval("#offering", (s) =>
      [...s.options].find((o) => o.textContent.includes("政务 SaaS 留言平台")).value,
    );
    await customer.selectOption("#offering", offering);
    await submit(customer, "#use-offering");
    await submit(customer, "#advance");
    assert.equal(await customer.textContent("#phase"), "运行监管");
    await submit(customer, "#advance");
    assert.equal(await customer.textContent("#phase"), "退出服务");

    // Exit: closing is refused until the data is back, verified, deleted and confirmed.
    await submit(customer, "#advance");
    assert.match(await customer.textContent("#refusal"), /exit-no-deletion-attestation/);
    await customer.fill("#x-plan", "退出计划 v1");
    await submit(customer, "#x-plan-save");
    await customer.fill("#x-scope", "data: 留言数据库\nmetadata: 访问日志");
    await customer.check("#x-returned");
    await submit(customer, "#x-scope-save");
    await customer.fill("#x-cm", "messages.sql aa11\naccess.log bb22");
    await submit(customer, "#x-cm-save");
    await provider.goto(engagementUrl);
    await provider.fill("#x-pm", "messages.sql aa11\naccess.log bb22");
    await submit(provider, "#x-pm-save");
    await provider.fill("#x-stmt", "全部副本与备份已删除");
    for (const c of ["primary", "replicas", "backups"]) await provider.check(`#x-c-${c}`);
    await submit(provider, "#x-attest");
    await customer.goto(engagementUrl);
    await submit(customer, "#x-confirm");
    assert.match(await customer.textContent("#exit"), /退出步骤均已完成/);
    await customer.screenshot({ path: join(shots, "exit-checklist.png"), fullPage: true });
    await submit(customer, "#advance");
    assert.equal(await customer.textContent("#phase"), "已关闭");
  } finally {
    for (const c of contexts) await c.close();
  }
});

test("administrators manage organisations, users and API tokens", async () => {
  const root = await browser.newContext({ locale: "zh-CN" });
  const page = await root.newPage();
  await login(page, server.base, "platform-admin", server.passwords["platform-admin"]);
  await page.click("#admin-link");
  await page.fill("#org-name", "某市大数据局");
  await page.selectOption("#org-kind", "customer");
  await Promise.all([page.waitForNavigation(), page.click("#create-org")]);
  assert.match(await page.textContent("table"), /某市大数据局/);
  await accessible(page);
  await page.screenshot({ path: join(shots, "admin-orgs.png"), fullPage: true });
  await root.close();

  const context = await browser.newContext({ locale: "zh-CN" });
  const admin = await context.newPage();
  await login(admin, server.base, "customer-admin", server.passwords["customer-admin"]);
  await admin.click("#admin-link");
  await admin.fill("#u-name", "new-analyst");
  await admin.fill("#u-pw", "a long enough password");
  await admin.selectOption("#u-role", "read_only");
  await Promise.all([admin.waitForNavigation(), admin.click("#create-user")]);
  assert.match(await admin.textContent("table"), /new-analyst/);
  await admin.click("#tokens-link");
  await admin.fill("#t-name", "ci-pipeline");
  await Promise.all([admin.waitForNavigation(), admin.click("#create-token")]);
  const token = await admin.textContent("#new-token");
  assert.match(token, /^cwt_/);
  await admin.screenshot({ path: join(shots, "admin-tokens.png"), fullPage: true });
  // Shown once: the list afterwards has the prefix only.
  await admin.goto(`${server.base}/admin/tokens`);
  assert.ok(!(await admin.content()).includes(token));
  assert.match(await admin.textContent("table"), new RegExp(token.slice(0, 12)));
  await Promise.all([admin.waitForNavigation(), admin.click("form[action$='/revoke'] button")]);
  assert.match(await admin.textContent("[role=status]"), /令牌已撤销/);
  // The new read-only user logs in and can see, not change.
  const viewer = await browser.newContext({ locale: "zh-CN" });
  const vp = await viewer.newPage();
  await login(vp, server.base, "new-analyst", "a long enough password");
  assert.match(vp.url(), /\/dashboard$/);
  assert.equal(await vp.$("#advance"), null);
  await viewer.close();
  await context.close();
});

test("supervision: findings from a scan, provider notices and evidence", async () => {
  // A scan run by the server on a plan, through the API with the customer's session.
  const api = await fetch(`${server.base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "customer-admin", password: server.passwords["customer-admin"] }),
  });
  const { csrf_token } = await api.json();
  const session = api.headers.get("set-cookie").split(";")[0];
  const list = await (await fetch(`${server.base}/api/v1/engagements`, { headers: { cookie: session } })).json();
  const id = list.items.find((e) => e.name === "区政府门户在线留言系统").id;
  const plan = readFileSync(join(root, "crates/cli/tests/fixtures/scan/plan/plan.json"), "utf8");
  const run = await fetch(`${server.base}/api/v1/engagements/${id}/scans/run`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie: session, "x-csrf-token": csrf_token },
    body: JSON.stringify({ files: [{ name: "plan.json", content: plan }] }),
  });
  assert.equal(run.status, 201);

  const contexts = [];
  const as = async (role) => {
    const context = await browser.newContext({ locale: "zh-CN" });
    contexts.push(context);
    const page = await context.newPage();
    await login(page, server.base, role, server.passwords[role]);
    await page.goto(`${server.base}/engagements/${id}/supervision`);
    return page;
  };
  try {
    const customer = await as("customer-admin");
    const open = (await customer.$$("#findings tbody tr")).length;
    assert.ok(open > 5, `${open} findings`);
    await Promise.all([customer.waitForNavigation(), customer.click("#findings tbody tr:first-child form.inline button")]);
    assert.match(await customer.textContent("#findings tbody tr:first-child"), /已修复待验证/);
    const second = customer.locator("#findings tbody tr").nth(1);
    await second.locator("details.accept summary").click();
    await second.locator("input[name=reason]").fill("补偿性控制已到位");
    await second.locator("input[name=until]").fill("2099-12-31");
    await Promise.all([customer.waitForNavigation(), second.locator("form:has(input[name=reason]) button").click()]);
    assert.match(await customer.textContent("#findings tbody tr:nth-child(2)"), /已接受/);
    // A finding assigned to someone of the organisation; the filters find it again.
    const third = customer.locator("#findings tbody tr").nth(2);
    const rule = await third.locator("code").first().textContent();
    await third.locator("form.assign input[name=assignee]").fill("customer-member");
    await Promise.all([customer.waitForNavigation(), third.locator("form.assign button").click()]);
    assert.equal(await customer.locator("#findings tbody tr").nth(2).locator("form.assign input[name=assignee]").inputValue(), "customer-member");
    await customer.selectOption("#f-assignee", "customer-member");
    await Promise.all([customer.waitForNavigation(), customer.click("#finding-filters button")]);
    const mine = await customer.$$eval("#findings tbody tr td.rule > small > code", (cs) => cs.map((c) => c.textContent));
    assert.ok(mine.includes(rule), `${rule} among ${mine}`);
    const assignees = await customer.$$eval("#findings tbody tr form.assign input[name=assignee]", (is) => is.map((i) => i.value));
    assert.ok(assignees.length === mine.length && assignees.every((a) => a === "customer-member"), `${assignees}`);
    await customer.selectOption("#f-assignee", "");
    await customer.selectOption("#f-state", "accepted");
    await Promise.all([customer.waitForNavigation(), customer.click("#finding-filters button")]);
    assert.equal((await customer.$$("#findings tbody tr")).length, 1);
    await customer.goto(`${server.base}/engagements/${id}/supervision`);

    // The provider sends an incident report; the customer acknowledges it.
    const provider = await as("provider-admin");
    await provider.selectOption("#n-kind", "incident");
    await provider.fill("#n-title", "华北区域网络抖动");
    await Promise.all([provider.waitForNavigation(), provider.click("#notify")]);
    await customer.reload();
    await Promise.all([customer.waitForNavigation(), customer.click("#notices form button")]);
    assert.match(await customer.textContent("[role=status]"), /已确认/);

    // Evidence: uploaded with a plain form, downloadable by the engagement's parties.
    const file = join(server.dir, "policy.txt");
    writeFileSync(file, "访问控制策略 v2：所有管理操作启用多因素认证。");
    await customer.selectOption("#e-kind", "control");
    await customer.fill("#e-target", "AC-07");
    await customer.fill("#e-date", "2026-11-01");
    await customer.setInputFiles("#e-file", file);
    await Promise.all([customer.waitForNavigation(), customer.click("#upload")]);
    const row = await customer.textContent("#evidence tbody tr");
    assert.match(row, /policy\.txt/);
    assert.match(row, /2026-11-01/);
    const href = await customer.getAttribute("#evidence tbody a", "href");
    const body = await provider.evaluate(async (url) => (await fetch(url)).text(), href);
    assert.match(body, /多因素认证/);
    await accessible(customer);
    await customer.screenshot({ path: join(shots, "supervision.png"), fullPage: true });

    // The dashboard shows supervision across engagements: the scanned one with its
    // failing controls, and the chart by family.
    await customer.goto(`${server.base}/dashboard`);
    const postureRow = customer.locator("#portfolio tbody tr", { hasText: "区政府门户在线留言系统" });
    const failing = Number(await postureRow.locator("td.num").first().textContent());
    assert.ok(failing > 0, `${failing} failing controls`);
    assert.match(await customer.textContent("#portfolio svg.chart title"), /按控制族/);
    assert.ok(await postureRow.locator("svg.sparkline title").count(), "a trend with a title");
    await accessible(customer);
    await customer.screenshot({ path: join(shots, "dashboard-portfolio.png"), fullPage: true });
  } finally {
    for (const c of contexts) await c.close();
  }
});

test("the wizard classifies, creates, and leads through the file and the contract", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  try {
    await login(page, server.base, "customer-admin", server.passwords["customer-admin"]);
    await page.click("#wizard");
    // Classified information is refused outright.
    await page.fill("#w-name", "涉密测试");
    await page.check("#w-info-classified");
    await Promise.all([page.waitForNavigation(), page.click("#classify")]);
    assert.match(await page.textContent("#wizard-error"), /涉密/);
    await page.uncheck("#w-info-classified");
    await page.uncheck("#w-info-public");
    await page.check("#w-info-sensitive");
    await page.selectOption("#w-business", "critical");
    await page.selectOption("#w-model", "public");
    await Promise.all([page.waitForNavigation(), page.click("#classify")]);
    const result = await page.textContent("#classification");
    assert.match(result, /高级保护/);
    assert.match(result, /不符合/, "a public cloud is not allowed at advanced protection");
    await page.selectOption("#w-model", "private");
    await page.fill("#w-name", "市不动产登记系统");
    await Promise.all([page.waitForNavigation(), page.click("#create")]);
    // Step 2: the requirement analysis, aspect by aspect.
    assert.match(page.url(), /\/requirements$/);
    const engagementUrl = page.url().replace(/\/requirements$/, "");
    await accessible(page);
    await page.fill("[id='latency.tolerance_ms']", "200");
    await page.fill("[id='latency.expected_ms']", "30");
    await page.fill("[id='continuity.rto_hours']", "4");
    await page.selectOption("[id='portability.exit_plan']", "yes");
    await page.fill("[id='data_location.regions']", "cn-north-4, cn-east-3");
    await Promise.all([page.waitForNavigation(), page.click("#save-analysis")]);
    assert.match(await page.textContent("[role=status]"), /已保存/);
    await page.click("#analysis-link");
    assert.equal(await page.inputValue("[id='latency.tolerance_ms']"), "200");
    assert.equal(await page.inputValue("[id='data_location.regions']"), "cn-north-4, cn-east-3");
    await page.screenshot({ path: join(shots, "requirements.png"), fullPage: true });
    // A wrong number names the field.
    await page.fill("[id='latency.expected_ms']", "fast");
    await Promise.all([page.waitForNavigation(), page.click("#save-analysis")]);
    // The form comes back with what was typed and the refusal beside the field.
    assert.match(await page.textContent("[role=alert]"), /未能保存/);
    assert.equal(await page.inputValue("[id='latency.expected_ms']"), "fast");
    assert.equal(await page.getAttribute("[id='latency.expected_ms']", "aria-invalid"), "true");
    assert.ok((await page.textContent("[id='latency.expected_ms-error']")).trim().length > 0);
    assert.equal(await page.inputValue("[id='latency.tolerance_ms']"), "200", "the other answers stay");
    await page.goto(`${engagementUrl}/edit`);
    const text = await page.inputValue("#file");
    assert.match(text, /市不动产登记系统/);
    assert.match(text, /tolerance_ms: 200/, "the analysis is in the file");
    await page.fill("#file", text.replace("name: 市不动产登记系统", "name: 市不动产统一登记系统"));
    await Promise.all([page.waitForNavigation(), page.click("#save-file")]);
    assert.match(await page.textContent("[role=status]"), /已保存/);
    await page.click("#contract-link");
    await page.check("#present-exit-deletion");
    await page.fill("input[name='reference.exit-deletion']", "合同第 12 条");
    await Promise.all([page.waitForNavigation(), page.click("#save-contract")]);
    assert.match(await page.textContent("[role=status]"), /已保存/);
    await page.click("#contract-link");
    assert.equal(await page.inputValue("input[name='reference.exit-deletion']"), "合同第 12 条");
    await accessible(page);
    await page.screenshot({ path: join(shots, "contract.png"), fullPage: true });
    // The matrix editor: a row given to one party, kept as an override in the file.
    await page.goto(page.url().replace(/\/contract$/, "/responsibility"));
    const row = page.locator("#matrix-rows tbody tr").first();
    await row.locator("select[name=owner]").selectOption("security-service-provider");
    await Promise.all([page.waitForNavigation(), row.locator("form[action$='/owner'] button").click()]);
    assert.equal(await page.locator("#matrix-rows tbody tr").first().locator("select[name=owner]").inputValue(), "security-service-provider");
    // A row shared by two parties, each with its part in words.
    const second = page.locator("#matrix-rows tbody tr").nth(1);
    await second.locator("details.share summary").click();
    const share = second.locator("form[action$='/share']");
    await share.locator("input[name=share_customer]").check();
    await share.locator("input[name=part_customer]").fill("应用层账号的开通与审批");
    await share.locator("input[name=share_provider]").check();
    await share.locator("input[name=part_provider]").fill("平台身份服务的运行");
    await share.locator("input[name=share_security-service-provider]").uncheck();
    await Promise.all([page.waitForNavigation(), share.locator("button").click()]);
    const parts = await page.locator("#matrix-rows tbody tr").nth(1).locator("ul.parts li").allTextContents();
    assert.deepEqual(parts, ["客户：应用层账号的开通与审批", "云服务商：平台身份服务的运行"]);
    await accessible(page);
    await page.screenshot({ path: join(shots, "responsibility-shared.png"), fullPage: true });
    // One party alone is not a share: refused with what to do instead.
    const again = page.locator("#matrix-rows tbody tr").nth(1).locator("form[action$='/share']");
    await page.locator("#matrix-rows tbody tr").nth(1).locator("details.share summary").click();
    await again.locator("input[name=share_provider]").uncheck();
    await Promise.all([page.waitForNavigation(), again.locator("button").click()]);
    assert.match(await page.textContent("main"), /至少两方/);
    // The row's form is open again as it was sent: nothing typed is lost.
    const kept = page.locator("#matrix-rows tbody tr").nth(1).locator("form[action$='/share']");
    assert.ok(await kept.isVisible(), "the share form is open");
    assert.equal(await kept.locator("input[name=part_customer]").inputValue(), "应用层账号的开通与审批");
    assert.equal(await kept.locator("input[name=share_provider]").isChecked(), false);
  } finally {
    await context.close();
  }
});

test("imported frameworks: the platform imports NIST SP 800-53, a customer browses and maps it", async () => {
  const nist = join(root, "crates/oscal/tests/data/NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog-min.json");
  const admin = await browser.newContext({ locale: "en-US" });
  let page = await admin.newPage();
  await login(page, server.base, "platform-admin", server.passwords["platform-admin"]);
  await page.goto(`${server.base}/frameworks`);
  assert.ok(await page.$("#no-frameworks"), "none imported yet");
  await page.fill("#f-name", "sp800-53");
  await page.setInputFiles("#f-file", nist);
  await page.click("#import-framework");
  await page.waitForLoadState("load");
  assert.match(await page.textContent(".alert.ok"), /sp800-53.*287/);
  assert.equal(await page.$$eval("#frameworks tbody tr", (rows) => rows.length), 1);
  await accessible(page);
  await page.screenshot({ path: join(shots, "frameworks.png"), fullPage: true });
  // Not a catalog or a profile: refused, with what is wrong.
  const bad = join(server.dir, "not-oscal.json");
  writeFileSync(bad, '{"catalog": {"uuid": 1}}');
  await page.fill("#f-name", "broken");
  await page.setInputFiles("#f-file", bad);
  await page.click("#import-framework");
  await page.waitForLoadState("load");
  assert.match(await page.textContent("main"), /\$\.catalog/);
  await admin.close();

  // A customer's viewer sees it (platform frameworks are everyone's) but cannot import.
  const viewer = await browser.newContext({ locale: "zh-CN" });
  page = await viewer.newPage();
  await login(page, server.base, "customer-viewer", server.passwords["customer-viewer"]);
  await page.goto(`${server.base}/frameworks`);
  assert.equal(await page.$("#import-framework"), null, "a viewer does not import");
  await page.goto(`${server.base}/catalog`);
  await page.selectOption("#framework", { label: "sp800-53" });
  await page.fill("#q", "account management");
  await page.click("form[role=search] button");
  await page.waitForLoadState("load");
  assert.match(page.url(), /framework=/);
  await page.selectOption("#group", "ac");
  await page.click("form[role=search] button");
  await page.waitForLoadState("load");
  const labels = await page.$$eval("table tbody tr td:first-child", (tds) => tds.map((t) => t.textContent.trim()));
  assert.ok(labels.includes("AC-2"), labels.join(" "));
  assert.ok(labels.every((l) => l.startsWith("AC-")), labels.join(" "));
  await accessible(page);
  await page.screenshot({ path: join(shots, "framework-catalog.png"), fullPage: true });
  await page.click("text=AC-2 >> nth=0");
  await page.waitForLoadState("load");
  assert.match(await page.textContent("h1"), /^AC-2 /);
  // Our controls that reference AC-2, linked to our catalog.
  const ours = await page.$$eval("#referenced-by a", (as) => as.map((a) => a.getAttribute("href")));
  assert.ok(ours.length > 0 && ours.every((h) => h.startsWith("/catalog/")), ours.join(" "));
  await accessible(page);
  await page.screenshot({ path: join(shots, "framework-control.png"), fullPage: true });
  // And back: our control links to the framework's.
  await page.goto(`${server.base}${ours[0]}`);
  assert.match(await page.textContent("#in-frameworks"), /sp800-53 AC-2/);
  await viewer.close();
});
