// The Monday dashboard in a real browser against the real launcher (e2e/serve.ts): a new owner loads
// demo data (a background job followed by a progress bar) and sees non-empty charts, explores calls,
// runs the prompt-bloat and batch analyses through the real job path (enqueued, picked up by the
// in-process runner of `npm start`), opens a recommendation's evidence, dismisses one (a reason is
// required) and sees the waterfall total change,
// accepts another and finds it under realised savings; then previews the weekly report and finds the
// invitation email in the outbox.
import { expect, test, type Page } from "@playwright/test";

const run = Date.now().toString(36);
const owner = { name: "Dana Dashboard", email: `dana-${run}@example.com`, password: "e2e-dashboard-password" };

async function shot(page: Page, name: string) {
  // The sticky header would be painted mid-page in a full-page capture taken while scrolled.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.mouse.move(0, 0); // no chart tooltip in the picture
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
}

async function runAnalysis(page: Page, kind: string) {
  const row = page.locator(`[data-run-kind="${kind}"]`);
  await row.getByRole("button", { name: "Run now" }).click();
  // Queued, then running with a progress bar, then done: bounded wait for the in-process worker.
  await expect(row.getByText(/^(succeeded|failed)$/)).toBeVisible({ timeout: 180_000 });
  await expect(row.getByText("succeeded", { exact: true })).toBeVisible();
  await expect(row.getByTestId(`run-progress-${kind}`)).toHaveAttribute("aria-valuenow", "100");
}

test("demo data, charts, evidence, dismiss moves the waterfall, accept is tracked", async ({ page }) => {
  test.setTimeout(600_000);
  expect((await page.request.post("/api/sign-up", { data: owner })).status()).toBe(201);
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(owner.email);
  await page.getByLabel("Password").fill(owner.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/my-first-project\/overview$/);
  const base = new URL(page.url()).pathname.replace(/\/overview$/, "");
  const org = base.split("/")[1];

  // --- empty project: the onboarding guide stays, with the demo and test-call buttons
  await expect(page.getByTestId("empty-overview")).toBeVisible();
  await expect(page.getByTestId("snippet-proxy")).toContainText("/proxy/openai/v1");
  await page.getByRole("button", { name: "Load demo data" }).click();
  // The load runs as a background job (in-process runner of `npm start`): a progress bar follows it, and
  // the page refreshes into the dashboard once the events are in.
  await expect(page.getByRole("progressbar", { name: "Demo data progress" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Loading demo data…" })).toBeDisabled();

  // --- the dashboard: non-empty charts and figures from the rollup
  const chart = page.getByTestId("spend-chart");
  await expect(chart).toBeVisible({ timeout: 180_000 });
  await expect(page.getByTestId("demo-progress")).toHaveCount(0);
  await expect(chart.locator(".recharts-bar-rectangle").first()).toBeVisible();
  expect(await chart.locator(".recharts-bar-rectangle").count()).toBeGreaterThan(3);
  await expect(page.getByTestId("kpi-spend")).not.toContainText("$0.00");
  await expect(page.getByTestId("call-count")).toHaveText("5,000");
  await page.getByRole("tab", { name: "30 days" }).click();
  await expect(page.getByTestId("kpi-requests")).toContainText("5,000");
  await page.getByRole("tab", { name: "By feature" }).click();
  await expect(page.getByTestId("breakdown-table")).toContainText("support-classifier");
  await expect(page.getByTestId("breakdown-table")).toContainText("nightly-summary");
  await shot(page, "dashboard-overview");
  // By user: from the daily user rollup; on a per-hour range the page says the user chart covers whole days.
  await page.getByRole("tab", { name: "By user" }).click();
  await expect(page.getByTestId("breakdown-table")).toContainText("user_");
  await expect(page.getByTestId("series-grain-note")).toHaveCount(0);
  await page.getByRole("tab", { name: "24 hours" }).click();
  await expect(page.getByTestId("series-grain-note")).toContainText("rolled up per UTC day");
  await page.getByRole("tab", { name: "30 days" }).click();
  await page.getByRole("tab", { name: "By feature" }).click();

  // --- calls explorer: filter, open a call
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Calls" }).click();
  await page.getByLabel("Feature").fill("ticket-router");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/feature=ticket-router/);
  const rows = page.getByTestId("calls-table").locator("tbody tr");
  await expect(rows.first()).toContainText("ticket-router");
  expect(await rows.filter({ hasNotText: "ticket-router" }).count()).toBe(0);
  await expect(page.getByTestId("export-csv")).toHaveAttribute("href", /calls\/export\?feature=ticket-router/);
  await rows.first().getByRole("link").first().click();
  await expect(page.getByTestId("prompt-messages")).toContainText("triage");
  await expect(page.getByTestId("cost-breakdown")).toBeVisible();

  // --- savings: run two analyses for real, then recommendations appear ranked by $/month
  await page.goto(`${base}/savings`);
  await expect(page.getByTestId("analysis-runs")).toBeVisible();
  await runAnalysis(page, "bloat");
  await runAnalysis(page, "batch");
  const cards = page.getByTestId("recommendation");
  await expect(cards.first()).toBeVisible({ timeout: 30_000 });
  const savedBefore = (await page.getByTestId("waterfall-saved").textContent())!.trim();
  expect(savedBefore).not.toBe("$0.00");
  await expect(page.getByTestId("waterfall").locator(".recharts-bar-rectangle").first()).toBeVisible();

  // --- drill into the top recommendation's evidence
  const top = cards.first();
  await top.getByRole("button", { name: "Show evidence" }).click();
  await expect(top.getByTestId("evidence")).toBeVisible();
  const lever = await top.getAttribute("data-lever");
  if (lever === "compress") await expect(top.getByTestId("prompt-diff")).toBeVisible();
  if (lever === "batch") await expect(top.getByTestId("arrival-chart")).toBeVisible();
  await expect(top).toContainText("Calls it acts on");

  // --- dismiss needs a reason; once dismissed, the waterfall total changes
  const title = (await top.locator("h3").textContent())!.trim();
  await top.getByRole("button", { name: "Dismiss…" }).click();
  await top.getByRole("button", { name: "Dismiss", exact: true }).click();
  await expect(top.locator('[data-field-error="reason"]')).toHaveText("Reason is required to dismiss a recommendation.");
  await top.getByLabel("Why dismiss it?").fill("We review this prompt with legal first");
  await top.getByRole("button", { name: "Dismiss", exact: true }).click();
  await expect(page.getByTestId("waterfall-saved")).not.toHaveText(savedBefore);
  await expect(cards.filter({ hasText: title })).toHaveCount(0);
  await shot(page, "dashboard-savings");

  // --- accept the next one: it is tracked under realised savings (measuring until a day has passed)
  const next = cards.first();
  const nextTitle = (await next.locator("h3").textContent())!.trim();
  await next.getByRole("button", { name: "Accept", exact: true }).click();
  await expect(page.getByTestId("realised")).toContainText(nextTitle);
  await expect(page.getByTestId("realised")).toContainText("measuring");

  // --- the dismissal survives a reload, with its reason
  await page.reload();
  await page.getByRole("button", { name: /Show \d+ decided/ }).click();
  const dismissed = page.locator('[data-testid="recommendation"][data-status="dismissed"]');
  await expect(dismissed).toContainText("We review this prompt with legal first");

  // --- the what-if calculator projects below the current spend once a lever is ticked
  const whatIf = page.getByTestId("what-if");
  await whatIf.getByRole("button", { name: "Clear" }).click();
  await whatIf.getByLabel("Include Batch").check();
  const current = Number((await page.getByTestId("waterfall-current").textContent())!.replace(/[^0-9.]/g, ""));
  const projected = Number((await whatIf.getByTestId("what-if-projected").textContent())!.replace(/[^0-9.]/g, ""));
  expect(projected).toBeLessThan(current);

  // --- email pages: the weekly report preview and the invitation in the outbox
  await page.goto(`/${org}/reports`);
  const frame = page.frameLocator('[data-testid="report-preview"]');
  await expect(frame.locator("body")).toContainText("Spendlens weekly report");
  await shot(page, "dashboard-weekly-report");
  const invite = await page.request.post(`/api/orgs/${org}/invitations`, { data: { email: `guest-${run}@example.com`, role: "VIEWER" } });
  expect(invite.status()).toBe(201);
  expect((await invite.json()).emailed).toBe(true);
  await page.goto(`/${org}/outbox`);
  await expect(page.getByTestId("outbox-table")).toContainText(`guest-${run}@example.com`);
  await page.getByTestId("outbox-table").getByRole("link").first().click();
  await expect(page.getByTestId("eml")).toContainText("/invite/");
  await page.goto("/account/email");
  const prefs = page.getByTestId("email-preferences");
  await prefs.getByRole("button", { name: "Unsubscribe", exact: true }).click();
  await expect(prefs.getByText("off", { exact: true })).toBeVisible();
  await prefs.getByRole("button", { name: "Subscribe", exact: true }).click();
  await expect(prefs.getByText("subscribed", { exact: true })).toBeVisible();
});
