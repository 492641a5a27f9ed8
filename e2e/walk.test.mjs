// The whole lifecycle of a new engagement in the console, as its four organisations do it:
// from the wizard to closed with clicks and typing only (no file editor, no API call), in
// Chinese and in English. At each step it checks where the stepper stands, the tasks each
// party is given, and the notifications queued for the customer's channel. Screenshots of
// the pages on the way go to target/test-output/walk/ at 1400 and 390 px wide, and every
// page is checked for cards that overflow and labels that are clipped.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { browserPath, login, root, serve } from "./harness.mjs";

const shots = join(root, "target/test-output/walk");
mkdirSync(shots, { recursive: true });

let server, browser;

before(async () => {
  server = await serve([], "cloudward-walk-");
  browser = await chromium.launch({ executablePath: browserPath, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  server?.child.kill("SIGTERM");
});

const WORDS = {
  zh: {
    locale: "zh-CN",
    phases: ["规划准备", "选择服务商与部署", "运行监管", "退出服务", "已关闭"],
    rowsTask: /责任矩阵中有 \d+ 行待您方确认/,
    concludeTask: /尚未作出结论/,
    publishTask: /发布对/,
    exitTask: /退出清单中有 \d+ 项待您方完成/,
    transition: "生命周期阶段变化",
    saved: /已保存/,
    done: /退出步骤均已完成/,
    generated: /已生成《上云决策报告》/,
    verified: /是本系统生成的文档/,
    supervisionReport: /已生成《云服务运行监管报告》/,
  },
  en: {
    locale: "en-GB",
    phases: ["Planning", "Provider selection and deployment", "Operation and supervision", "Exit", "Closed"],
    rowsTask: /\d+ rows of the responsibility matrix wait for your confirmation/,
    concludeTask: /Conclude the security assessment/,
    publishTask: /Publish the assessment/,
    exitTask: /\d+ exit steps wait for your side/,
    transition: "A lifecycle transition",
    saved: /Saved/i,
    done: /exit steps are done|complete/i,
    generated: /Made “Cloud adoption decision report”/,
    verified: /is a document made here/,
    supervisionReport: /Made “Cloud service supervision report”/,
  },
};

/** No card wider than the page, no label whose text is cut off. */
async function fits(page, label) {
  const problems = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    for (const el of document.querySelectorAll(".card, .tile, fieldset.card, section.card")) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && (r.right > width + 1 || r.left < -1)) out.push(`card ${el.id || el.className} ${Math.round(r.left)}–${Math.round(r.right)} of ${width}`);
      // What a card holds stays inside it, unless it sits in its own scrolling box.
      for (const inner of el.querySelectorAll("table, figure, svg, pre, img")) {
        const b = inner.getBoundingClientRect();
        let scrolls = false;
        for (let p = inner; p && p !== el; p = p.parentElement) {
          if (["auto", "scroll"].includes(getComputedStyle(p).overflowX)) scrolls = true;
        }
        if (!scrolls && b.width > 0 && b.right > r.right + 1) out.push(`${inner.tagName} in card ${el.id || el.className} ends at ${Math.round(b.right)}, the card at ${Math.round(r.right)}`);
      }
    }
    // A chart's words stay inside its drawing.
    for (const svg of document.querySelectorAll("svg.chart")) {
      const view = svg.viewBox.baseVal;
      for (const t of svg.querySelectorAll("text")) {
        const b = t.getBBox();
        if (b.width > 0 && (b.x < view.x - 1 || b.x + b.width > view.x + view.width + 1)) out.push(`chart text “${t.textContent.slice(0, 30)}” cut at the edge`);
      }
    }
    for (const el of document.querySelectorAll("label, button, legend, th")) {
      if (el.offsetParent === null || el.closest(".sr-only")) continue;
      const style = getComputedStyle(el);
      if (style.overflow !== "visible" && el.scrollWidth > el.clientWidth + 1) out.push(`clipped ${el.tagName} “${el.textContent.trim().slice(0, 40)}”`);
    }
    return out;
  });
  assert.deepEqual(problems, [], `${label} at ${page.viewportSize().width}px`);
}

/** Latin-letter words left on a Chinese page: lower-case words (ids such as
 * `activity-missing` or `operation.reassessment`, enum values such as `iaas` or
 * `enhanced`), outside code and small print (where a code may follow its name) and outside
 * what the user typed. Proper names and the product's name are allowed. */
const ALLOWED = new Set(["cloudward", "check", "yaml", "json", "utc", "mm", "dd", "yyyy",
  // The names the English walk gives its engagement and offering are proper names: the
  // Chinese pages of the same server list them as they were typed.
  "district", "land", "registry", "online", "service", "gov", "cloud", "hosts", "walk"]);
async function latinLeft(page) {
  const text = await page.evaluate(() => {
    const root = document.querySelector("main").cloneNode(true);
    // Text marked as English on purpose (a control's statement in the other language) and
    // names not to translate (user names) are not left over.
    for (const el of root.querySelectorAll("code, small, script, style, input, textarea, select option[value=''], [lang='en'], [translate='no']")) el.remove();
    return root.innerText;
  });
  return [...text.matchAll(/(?<![A-Za-z0-9§-])[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*(?![A-Za-z0-9])/g)]
    .map((m) => m[0])
    // User names are proper names.
    .filter((w) => w.length > 1 && !ALLOWED.has(w) && !(w in (server?.passwords ?? {})));
}

/** A screenshot at 1400 and at 390 px wide, each checked with `fits`; a Chinese page also
 * for ids and enum values left in English. */
async function shoot(page, name) {
  if (name.startsWith("zh-")) {
    const left = await latinLeft(page);
    assert.deepEqual(left, [], `${name}: ids or English left on a Chinese page (${page.url()})`);
  }
  for (const width of [1400, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await fits(page, name);
    await page.screenshot({ path: join(shots, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1400, height: 900 });
}

for (const lang of ["zh", "en"]) {
  test(`${lang}: a new engagement from the wizard to closed, by the four organisations, in the console only`, async () => {
    const w = WORDS[lang];
    const name = lang === "zh" ? "区不动产登记网上服务" : "District land registry online service";
    const offeringName = lang === "zh" ? "政务云主机（走查）" : "Gov cloud hosts (walk)";
    const contexts = [];
    const as = async (role) => {
      const context = await browser.newContext({ locale: w.locale, viewport: { width: 1400, height: 900 } });
      contexts.push(context);
      const page = await context.newPage();
      page.on("dialog", (d) => d.accept());
      await login(page, server.base, role, server.passwords[role]);
      return page;
    };
    const submit = async (page, selector) => {
      await Promise.all([page.waitForNavigation(), page.click(selector)]);
      const problem = await page.$("#problem, .field-error");
      if (problem && !selector.includes("advance")) assert.fail(`${selector} refused: ${await problem.textContent()} ${page.url()}`);
      // Every page the walk comes to, in Chinese, has no id or enum value left in English.
      if (lang === "zh") assert.deepEqual(await latinLeft(page), [], `English left on ${page.url()}`);
    };
    const stepper = async (page, phase) => {
      assert.equal((await page.textContent("li.step.current")).split(": ").pop().trim(), w.phases[phase], "the stepper");
      assert.equal(await page.textContent("#phase"), w.phases[phase]);
    };
    const tasks = async (page) => {
      await page.goto(`${server.base}/dashboard`);
      if (lang === "zh") assert.deepEqual(await latinLeft(page), [], "English left on the dashboard");
      return (await page.$$eval("#tasks li", (els) => els.map((e) => e.textContent))).join("\n");
    };
    try {
      // The customer's administrator gives the organisation a channel for its notifications.
      const customer = await as("customer-admin");
      if (lang === "zh") {
        await customer.goto(`${server.base}/admin/notifications`);
        await customer.fill("#c-name", "走查通知");
        await customer.selectOption("#c-kind", "generic");
        await customer.fill("#c-url", "http://127.0.0.1:9/walk");
        await customer.check("#c-event-transition");
        await submit(customer, "#create-channel");
        assert.ok(await customer.$("#channels"), "the channel is listed");
      }

      // Planning: the wizard, then the requirement analysis.
      await customer.goto(`${server.base}/dashboard`);
      await customer.click("#wizard");
      // A choice the level forbids is said at once: sensitive information of critical
      // business on a public cloud.
      await customer.check("#w-info-sensitive");
      await customer.selectOption("#w-business", "critical");
      assert.equal(await customer.getAttribute("#w-model", "aria-invalid"), "true");
      assert.match(await customer.textContent("#w-live"), lang === "zh" ? /高级保护.*不符合/ : /advanced protection.*not allowed/i);
      await shoot(customer, `${lang}-wizard-forbidden`);
      await customer.uncheck("#w-info-sensitive");
      await customer.selectOption("#w-business", "general");
      assert.equal(await customer.getAttribute("#w-model", "aria-invalid"), null);
      await customer.fill("#w-name", name);
      await customer.selectOption("#w-service", "iaas");
      await customer.selectOption("#w-model", "public");
      await submit(customer, "#create");
      assert.match(customer.url(), /\/requirements$/);
      const engagementUrl = customer.url().replace(/\/requirements$/, "");
      await customer.fill("[id='service_category.rationale']", lang === "zh" ? "自有机房运维力量不足" : "Too few staff to run our own hardware");
      await customer.fill("[id='deployment_model.rationale']", lang === "zh" ? "公开信息，一般业务" : "Public information, general business");
      await customer.selectOption("[id='functional_stability.stability']", "stable");
      await customer.selectOption("[id='dynamic_demand.pattern']", "periodic");
      await customer.fill("[id='latency.tolerance_ms']", "300");
      await customer.fill("[id='continuity.rto_hours']", "8");
      await customer.selectOption("[id='portability.exit_plan']", "yes");
      await customer.fill("[id='data_location.regions']", "cn-beijing");
      await customer.selectOption("[id='supervision.log_query']", "yes");
      await customer.fill("[id='benefit_cost.cloud_annual_cost']", "300000");
      await submit(customer, "#save-analysis");
      await stepper(customer, 0);

      // The lifecycle records of planning: its activities and documents.
      await customer.click("#records-link");
      await customer.$$eval("#phase-planning input[type=checkbox]", (els) => els.forEach((e) => { e.checked = true; }));
      for (const [output, ref] of [
        ["benefit-assessment", "XB-2026-01"],
        ["requirement-analysis", "XQ-2026-02"],
        ["exit-plan", "TC-2026-03"],
        ["decision-report", "JC-2026-04"],
      ]) {
        await customer.fill(`[id='output.${output}.reference']`, ref);
        await customer.fill(`[id='output.${output}.date']`, "2026-11-20");
      }
      await shoot(customer, `${lang}-records-planning`);
      await submit(customer, "#save-records");
      assert.match(await customer.textContent("[role=status]"), w.saved);
      // The decision report, made as a PDF beside its output and listed with its hash.
      await customer.click("#records-link");
      await submit(customer, "#generate-decision-report-pdf");
      assert.match(await customer.textContent("[role=status]"), w.generated);
      await shoot(customer, `${lang}-records-generated`);
      // Downloaded, then checked on the page for it: a document made here.
      const issued = await customer.getAttribute("a[href^='/api/v1/documents/'][href$='/content']", "href");
      const made = await customer.request.get(`${server.base}${issued}`);
      assert.equal(made.status(), 200);
      await Promise.all([customer.waitForNavigation(), customer.click("a[href='/documents/verify']")]);
      await customer.setInputFiles("#verify-file", { name: lang === "zh" ? "上云决策报告.pdf" : "decision-report.pdf", mimeType: "application/pdf", buffer: await made.body() });
      await submit(customer, "#verify-submit");
      assert.match(await customer.textContent("#verdict [role=status]"), w.verified);
      await shoot(customer, `${lang}-verify`);
      await customer.goto(engagementUrl);
      await submit(customer, "#advance");
      await stepper(customer, 1);
      await shoot(customer, `${lang}-engagement-selection`);

      // Selection: the contract checklist, the five basic requirements, the risk register.
      await customer.click("#contract-link");
      await customer.$$eval("input[type=checkbox][name^='present.']", (els) => els.forEach((e) => { e.checked = true; }));
      for (const input of await customer.$$("input[name^='reference.']")) await input.fill("HT-2026-§8");
      await submit(customer, "#save-contract");
      await customer.click("#records-link");
      for (let i = 1; i <= 5; i++) {
        await customer.check(`[id='br.BR${i}.present']`);
        await customer.fill(`[id='br.BR${i}.reference']`, `HT-2026-§${i}`);
      }
      for (const [output, ref] of [
        ["capability-requirement", "NL-2026-05"],
        ["migration-plan", "QY-2026-06"],
        ["deployment-record", "BS-2026-07"],
      ]) {
        await customer.fill(`[id='output.${output}.reference']`, ref);
      }
      await customer.fill("[id='ssp.name']", lang === "zh" ? "安全服务商" : "Security service provider");
      await customer.selectOption("[id='ssp.org']", { index: 1 });
      await customer.fill("[id='ssp.scope']", lang === "zh" ? "日志审计" : "log audit");
      await submit(customer, "#save-records");
      assert.match(await customer.textContent("[role=status]"), w.saved);
      await customer.goto(`${engagementUrl}/risks`);
      for (const id of ["R1", "R2", "R3", "R4", "R5", "R6", "R7"]) {
        await customer.selectOption(`select[name='likelihood.${id}']`, "2");
        await customer.selectOption(`select[name='impact.${id}']`, "2");
      }
      await submit(customer, "#save-risks");
      // One row of the matrix to the security service provider.
      await customer.goto(`${engagementUrl}/responsibility`);
      const row = customer.locator("#matrix-rows tbody tr").last();
      await row.locator("select[name=owner]").selectOption("security-service-provider");
      await Promise.all([customer.waitForNavigation(), row.locator("form[action$='/owner'] button").click()]);

      // The provider publishes an offering and invites the assessor; the assessor concludes.
      const provider = await as("provider-admin");
      await provider.goto(`${server.base}/offerings`);
      await provider.fill("#o-name", offeringName);
      await provider.selectOption("#o-cat", "iaas");
      await provider.selectOption("#o-model", "public");
      await provider.selectOption("#o-level", "general");
      await submit(provider, "#create-offering");
      const offer = provider.locator("tr", { hasText: offeringName });
      await offer.locator("select[name=level]").selectOption("general");
      await Promise.all([provider.waitForNavigation(), offer.locator("button").click()]);
      const assessor = await as("assessor-admin");
      assert.match(await tasks(assessor), w.concludeTask, "the assessor is asked to conclude");
      await Promise.all([assessor.waitForNavigation(), assessor.click(`#tasks a:has-text("${offeringName}")`)]);
      await assessor.selectOption("#all", "satisfied");
      await assessor.fill("#all-waiver", lang === "zh" ? "现场抽查" : "Sampled on site");
      await submit(assessor, "#save-results");
      // The results workbook for Excel is offered on the workspace.
      const workbook = await assessor.request.get(`${server.base}${await assessor.getAttribute("#results-workbook", "href")}`);
      assert.equal(workbook.status(), 200);
      assert.match(workbook.headers()["content-type"], /spreadsheetml/);
      await submit(assessor, "#conclude");
      // The assessor's report of it, offered on the workspace, comes as a PDF.
      await shoot(assessor, `${lang}-assessment-concluded`);
      const report = await assessor.request.get(`${server.base}${await assessor.getAttribute("#report-pdf", "href")}`);
      assert.equal(report.status(), 200);
      assert.equal(report.headers()["content-type"], "application/pdf");
      assert.match(await tasks(provider), w.publishTask, "the provider is asked to publish");
      await Promise.all([provider.waitForNavigation(), provider.click(`#tasks a:has-text("${offeringName}")`)]);
      await submit(provider, "#publish");

      // The customer picks the offering and confirms its rows of the matrix.
      await customer.goto(engagementUrl);
      const offering = await customer.$eval("#offering", (s, n) => [...s.options].find((o) => o.textContent.includes(n)).value, offeringName);
      await customer.selectOption("#offering", offering);
      await submit(customer, "#use-offering");
      // The provider, offering and cloud now come from the offering; the SLA is entered.
      await customer.click("#records-link");
      assert.equal(await customer.getAttribute("[id='provider.name']", "readonly"), "");
      await customer.fill("[id='sla.availability_percent']", "99.95");
      await customer.fill("[id='sla.incident_ack_hours']", "12");
      await submit(customer, "#save-records");
      await customer.click("#records-link");
      assert.equal(await customer.inputValue("[id='sla.availability_percent']"), "99.95");
      await shoot(customer, `${lang}-records-selection`);
      await customer.goto(`${engagementUrl}/responsibility`);
      await submit(customer, "#confirm-all");
      // Deploying is refused until the other parties have confirmed theirs.
      await customer.goto(engagementUrl);
      await submit(customer, "#advance");
      assert.match(await customer.textContent("#refusal"), /matrix-unconfirmed/);
      await stepper(customer, 1);
      await shoot(customer, `${lang}-refused-matrix`);
      for (const role of ["provider-admin", "ssp-admin"]) {
        const page = role === "provider-admin" ? provider : await as(role);
        assert.match(await tasks(page), w.rowsTask, `${role} is asked to confirm`);
        await Promise.all([page.waitForNavigation(), page.click(`#tasks a[href='${new URL(engagementUrl).pathname}/responsibility']`)]);
        await submit(page, "#confirm-all");
        assert.doesNotMatch(await tasks(page), new RegExp(`${name}.*${w.rowsTask.source}`), `${role} has nothing left to confirm here`);
      }
      await customer.goto(engagementUrl);
      await submit(customer, "#advance");
      await stepper(customer, 2);
      await shoot(customer, `${lang}-engagement-operation`);
      // The supervision report of the last 90 days, beside the supervision records.
      await customer.click("#records-link");
      assert.ok(await customer.inputValue("#period-from-supervision-records"), "the period's first day is filled in");
      await submit(customer, "#generate-supervision-records-pdf");
      assert.match(await customer.textContent("[role=status]"), w.supervisionReport);
      await shoot(customer, `${lang}-records-supervision-report`);
      await customer.goto(engagementUrl);

      // Operation, then exit: each side is asked for its steps.
      await submit(customer, "#advance");
      await stepper(customer, 3);
      assert.match(await tasks(customer), w.exitTask);
      assert.match(await tasks(provider), w.exitTask);
      await customer.goto(engagementUrl);
      await customer.fill("#x-plan", "TC-2026-03");
      await submit(customer, "#x-plan-save");
      await customer.fill("#x-scope", "data: db\nmetadata: logs");
      await customer.check("#x-returned");
      await submit(customer, "#x-scope-save");
      await customer.fill("#x-cm", "db.sql aa11\nlogs.tar bb22");
      await submit(customer, "#x-cm-save");
      await provider.goto(engagementUrl);
      await provider.fill("#x-pm", "db.sql aa11\nlogs.tar bb22");
      await submit(provider, "#x-pm-save");
      await provider.fill("#x-stmt", lang === "zh" ? "全部副本与备份已删除" : "Every copy and backup deleted");
      for (const c of ["primary", "replicas", "backups"]) await provider.check(`#x-c-${c}`);
      await submit(provider, "#x-attest");
      await customer.goto(engagementUrl);
      await submit(customer, "#x-confirm");
      await shoot(customer, `${lang}-exit-checklist`);
      await submit(customer, "#advance");
      await stepper(customer, 4);

      // Every move was queued for the customer's channel, in the delivery log.
      await customer.goto(`${server.base}/admin/notifications`);
      const log = await customer.textContent("#delivery-log");
      assert.ok(log.split(w.transition).length - 1 >= 4, `four transitions notified: ${log}`);
      await shoot(customer, `${lang}-notifications`);
      await customer.goto(`${server.base}/dashboard`);
      await shoot(customer, `${lang}-dashboard`);
    } finally {
      for (const c of contexts) await c.close();
    }
  });
}

// The pages the walk does not pass through, in Chinese, for each party: the catalog and a
// control, the frameworks, an engagement in operation with its scans (supervision, risks,
// matrix, records), the audit log, the account and the administration pages, offerings
// and an assessment. None may leave an id or an English value, nor overflow at 1400 or
// 390 px.
test("zh: the pages the walk does not reach have no English left and fit", async () => {
  const contexts = [];
  const as = async (role) => {
    const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 1400, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    await login(page, server.base, role, server.passwords[role]);
    return page;
  };
  try {
    const customer = await as("customer-admin");
    const visit = async (page, path, name) => {
      const r = await page.goto(`${server.base}${path}`);
      assert.ok(r.ok(), `${path}: ${r.status()}`);
      await shoot(page, `zh-more-${name}`);
    };
    await visit(customer, "/catalog", "catalog");
    await visit(customer, "/catalog?page=2", "catalog-page-2");
    const control = await customer.getAttribute("table tbody tr a[href^='/catalog/']", "href");
    await visit(customer, control, "control");
    await visit(customer, "/frameworks", "frameworks");
    // The engagement in operation, with the demo's scans and findings.
    await customer.goto(`${server.base}/dashboard`);
    const operation = await customer.getAttribute("a[href^='/engagements/']:has-text('市医疗保障结算系统')", "href");
    const id = operation.split("/")[2];
    await visit(customer, `/engagements/${id}`, "operation");
    // The latest scan's report, as a PDF, from the engagement's page.
    const scanReport = await customer.request.get(`${server.base}${await customer.getAttribute("#scan-report-pdf", "href")}`);
    assert.equal(scanReport.status(), 200);
    assert.equal(scanReport.headers()["content-type"], "application/pdf");
    await visit(customer, `/engagements/${id}/supervision`, "supervision");
    assert.ok((await customer.$$("table.findings tbody tr")).length > 0, "the scans' findings are listed");
    // The findings as filtered, for Excel.
    const exported = await customer.request.get(`${server.base}${await customer.getAttribute("#export-findings-xlsx", "href")}`);
    assert.equal(exported.status(), 200);
    assert.match(exported.headers()["content-type"], /spreadsheetml/);
    await visit(customer, `/engagements/${id}/supervision?view=closed`, "supervision-closed");
    await visit(customer, `/engagements/${id}/risks`, "risks");
    await visit(customer, `/engagements/${id}/responsibility`, "matrix");
    await visit(customer, `/engagements/${id}/records`, "records");
    await visit(customer, `/engagements/${id}/contract`, "contract");
    await visit(customer, "/audit", "audit");
    await visit(customer, "/audit?kind=finding", "audit-findings");
    await visit(customer, "/account", "account");
    const users = await customer.getAttribute("a[href^='/admin/orgs/'][href$='/users']", "href");
    if (users) await visit(customer, users, "users");
    await visit(customer, "/admin/tokens", "tokens");
    await visit(customer, "/admin/notifications", "notifications");
    const provider = await as("provider-admin");
    await visit(provider, "/dashboard", "provider-dashboard");
    await visit(provider, "/offerings", "offerings");
    const assessor = await as("assessor-admin");
    await visit(assessor, "/dashboard", "assessor-dashboard");
    const assessment = await assessor.getAttribute("a[href^='/assessments/']", "href");
    await visit(assessor, assessment, "assessment");
  } finally {
    for (const c of contexts) await c.close();
  }
});
