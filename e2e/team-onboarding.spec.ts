// A new team's first minutes in a real browser: sign up (with a field error on the way), create a
// project, create an API key (shown once) and send a first call with it, invite a teammate, sign out
// and back in, revoke the key; the teammate joins through the link as a VIEWER and cannot change settings.
import { expect, test, type Page } from "@playwright/test";

const run = Date.now().toString(36);
const owner = { name: "Olivia Owner", email: `owner-${run}@example.com`, password: "e2e-owner-password" };
const teammate = { name: "Tom Teammate", email: `tom-${run}@example.com`, password: "e2e-teammate-password" };

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
}

test("sign up, create a project and a key, send a call, invite, sign out and in, revoke", async ({ page, browser }) => {
  // --- sign up, first with a missing password: the message names the field, next to it
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in/);
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByLabel("Name").fill(owner.name);
  await page.getByLabel("Email").fill(owner.email);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator('[data-field-error="password"]')).toHaveText("Password must not be empty.");
  await shot(page, "01-sign-up-field-error");
  await page.getByLabel("Password").fill(owner.password);
  await page.getByRole("button", { name: "Create account" }).click();

  // --- lands on the first project's overview, with how to send the first call
  await expect(page).toHaveURL(/\/[a-z0-9-]+\/my-first-project\/overview$/);
  const orgSlug = new URL(page.url()).pathname.split("/")[1];
  await expect(page.getByTestId("empty-overview")).toBeVisible();
  await expect(page.getByTestId("snippet-proxy")).toContainText("/proxy/openai/v1");
  await expect(page.getByTestId("snippet-proxy")).toContainText("x-spendlens-key");
  await page.getByRole("tab", { name: "HTTP" }).click();
  await expect(page.getByTestId("snippet-curl")).toContainText("/api/v1/ingest");
  await shot(page, "02-empty-overview");

  // --- create a project from the organization settings
  await page.getByRole("link", { name: "Organization settings" }).click();
  await expect(page.getByRole("heading", { name: "Organization settings" })).toBeVisible();
  await page.getByLabel("New project name").fill("Support bot");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(`/${orgSlug}/support-bot/overview`);
  await expect(page.getByTestId("project-switcher")).toHaveValue("support-bot");

  // --- create an API key: the full key is shown once
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(`/${orgSlug}/support-bot/settings`);
  await page.getByLabel("New key name").fill("e2e backend");
  await page.getByRole("button", { name: "Create key" }).click();
  const keyText = (await page.getByTestId("new-key-value").textContent())!.trim();
  expect(keyText).toMatch(/^sl_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
  const prefix = keyText.slice(0, 15);
  await expect(page.getByTestId("keys-table")).toContainText(`${prefix}_…`);
  await expect(page.getByTestId("keys-table")).toContainText("e2e backend");
  await shot(page, "03-key-shown-once");
  await page.reload();
  await expect(page.getByTestId("keys-table")).toContainText(prefix);
  expect(await page.content()).not.toContain(keyText);

  // --- the key works: the first call sent to the ingest API turns the empty overview into a live one
  const firstCall = {
    id: `e2e-${run}-1`,
    timestamp: new Date().toISOString(),
    provider: "openai",
    endpoint: "/v1/chat/completions",
    request: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello" }] },
    response: { model: "gpt-4o-mini", choices: [{ message: { role: "assistant", content: "Hi!" }, finish_reason: "stop" }], usage: { prompt_tokens: 8, completion_tokens: 3 } },
    latency_ms: 420,
  };
  const ingest = (key: string, id: string) =>
    page.request.post("/api/v1/ingest", { headers: { authorization: `Bearer ${key}` }, data: { events: [{ ...firstCall, id }] } });
  expect((await ingest(keyText, firstCall.id)).status()).toBe(200);
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Overview" }).click();
  await expect(page.getByTestId("call-count")).toHaveText("1");
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Settings" }).click();

  // --- invite a teammate as VIEWER: a link to copy
  await page.getByLabel("Email", { exact: true }).fill(teammate.email);
  await page.getByLabel("Role", { exact: true }).selectOption("VIEWER");
  await page.getByRole("button", { name: "Create invitation link" }).click();
  const inviteUrl = (await page.getByTestId("invite-link-value").textContent())!.trim();
  expect(inviteUrl).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
  await expect(page.getByTestId("invitations-table")).toContainText(teammate.email);
  // No SMTP server on the e2e server: the invitation email lands in the outbox, and the row says so.
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId("invitation-email")).toContainText("in outbox", { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await shot(page, "04-invitation-link");

  // --- sign out, fail once with a wrong password, sign back in
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.getByLabel("Email").fill(owner.email);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".form-error")).toHaveText("Email or password is incorrect.");
  await page.getByLabel("Password").fill(owner.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(`/${orgSlug}/my-first-project/overview`);
  await page.getByTestId("project-switcher").selectOption("support-bot");
  await expect(page).toHaveURL(`/${orgSlug}/support-bot/overview`);
  await expect(page.getByTestId("call-count")).toHaveText("1");
  await shot(page, "05-signed-in-again");

  // --- revoke the key in the UI: the ingest API, which accepted it a moment ago, refuses it at once
  expect((await ingest(keyText, `e2e-${run}-2`)).status()).toBe(200);
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Settings" }).click();
  page.once("dialog", (d) => void d.accept());
  await page.getByTestId("keys-table").getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByTestId("keys-table")).toContainText("Revoked");
  expect((await ingest(keyText, `e2e-${run}-3`)).status()).toBe(403);

  // --- the teammate, in a separate browser context, joins through the link as VIEWER
  const other = await browser.newContext();
  const tp = await other.newPage();
  await tp.goto(inviteUrl);
  await expect(tp.getByRole("heading", { name: /^Join / })).toBeVisible();
  await tp.getByRole("link", { name: "Create an account to join" }).click();
  await expect(tp.getByLabel("Email")).toHaveValue(teammate.email);
  await tp.getByLabel("Name").fill(teammate.name);
  await tp.getByLabel("Password").fill(teammate.password);
  await tp.getByRole("button", { name: "Create account" }).click();
  await expect(tp).toHaveURL(/\/invite\//);
  await tp.getByRole("button", { name: /^Join / }).click();
  await expect(tp).toHaveURL(new RegExp(`/${orgSlug}/my-first-project/overview$`));
  await expect(tp.getByTestId("org-switcher")).toHaveValue(orgSlug);
  await tp.goto(`/${orgSlug}/support-bot/settings`);
  await expect(tp.getByText("You are VIEWER: you can see settings but not change them.")).toBeVisible();
  await expect(tp.getByRole("button", { name: "Create key" })).toHaveCount(0);
  await expect(tp.getByTestId("keys-table")).toContainText(prefix);
  await shot(tp, "06-teammate-viewer");
  await other.close();

  // --- the owner sees the teammate as a member
  await page.goto(`/${orgSlug}/support-bot/settings`);
  await expect(page.getByTestId("members-table")).toContainText(teammate.email);
});

test("repeated wrong passwords lock the account, with a message saying for how long", async ({ page }) => {
  const victim = { name: "Lena Locked", email: `lena-${run}@example.com`, password: "e2e-locked-password" };
  const res = await page.request.post("/api/sign-up", { data: victim });
  expect(res.status()).toBe(201);
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(victim.email);
  for (let i = 1; i <= 4; i++) {
    await page.getByLabel("Password").fill(`wrong-${i}`);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.locator(".form-error")).toHaveText("Email or password is incorrect.");
    await page.getByLabel("Password").fill("");
  }
  await page.getByLabel("Password").fill("wrong-5");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".form-error")).toHaveText(/^Too many failed sign-in attempts\. Try again in \d+ minutes?\.$/);
  // Locked: even the right password is refused for now.
  await page.getByLabel("Password").fill(victim.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".form-error")).toHaveText(/^Too many failed sign-in attempts/);
  await expect(page).toHaveURL(/\/sign-in/);
  await shot(page, "07-locked-out");
});

test("the live server sends the security headers on pages and API answers", async ({ request }) => {
  for (const path of ["/sign-in", "/api/orgs"]) {
    const res = await request.get(path, { maxRedirects: 0 });
    const headers = res.headers();
    expect(headers["content-security-policy"], path).toContain("frame-ancestors 'none'");
    expect(headers["x-content-type-options"], path).toBe("nosniff");
    expect(headers["referrer-policy"], path).toBeTruthy();
  }
  // Ingest is answered by the launcher before Next.js (lib/http/app-listener.ts): its answers carry them too.
  const ingest = await request.post("/api/v1/ingest", { data: { events: [] } });
  expect(ingest.status()).toBe(401);
  expect(ingest.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(ingest.headers()["x-content-type-options"]).toBe("nosniff");
});
