// Drives the hosted page in Debian's Chromium (playwright-core, no downloaded browser) through a
// whole onboarding, as tests/api/page.rs asks: `node onboard.mjs <config.json>`.
//
// config: {chromium, base, embedBase, projectId, otp, run: "camera"|"denied"|"iframe", locale,
//          email, phone, fullName, files: {passport, selfie, video}, screenshots}
//
// - camera: a fake camera fed from a real face photo (.y4m written by the Rust test); the document
//   is uploaded (the fake camera shows a face, not a document), the selfie taken with the camera;
//   the page is reloaded after the document and must resume at the selfie.
// - denied: camera permission refused; every photo is an upload, the page never dead-ends.
// - iframe: the page inside an iframe of another local origin, camera delegated with
//   allow="camera", opened from the operator's link; the selfie is handed off to another device
//   (a second browser context) through the page's hand-off link and QR code.
// Each step is screenshotted at phone and desktop width and checked with axe-core (no serious or
// critical violation). Any Content-Security-Policy report or page error fails the run. Prints one
// line `RESULT <json>`.

import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { chromium } from "playwright-core";
import { STRINGS } from "../../shared/api/page/strings.js";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const TIMEOUT = 120_000;

const lang = (config.locale || "en").slice(0, 2);
const S = STRINGS[lang];
const outDir = join(config.screenshots, config.run);
mkdirSync(outDir, { recursive: true });

const problems = [];
const axeReport = [];
let shot = 0;

// The vendored QR encoder is the npm package's file, unchanged.
const vendored = readFileSync(new URL("../../shared/api/page/qrcode.js", import.meta.url));
if (!vendored.equals(readFileSync(join(dirname(require.resolve("qrcode-generator")), "qrcode.mjs")))) problems.push("shared/api/page/qrcode.js differs from qrcode-generator's dist/qrcode.mjs");

// The denied run refuses the permission in its context; the device itself is the same.
const args = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--use-fake-device-for-media-stream",
  `--use-file-for-fake-video-capture=${config.files.video}`,
];

const browser = await chromium.launch({ executablePath: config.chromium, headless: true, args, timeout: 60_000 });
try {
  const context = await browser.newContext({
    viewport: PHONE,
    locale: config.locale || "en-US",
    permissions: config.run === "denied" ? [] : ["camera"],
  });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  page.on("console", (m) => {
    const text = m.text();
    if (/Content.Security.Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));

  const pageUrl = config.link || `${config.base}/sign-up/${config.projectId}`;
  let frame;
  if (config.run === "iframe") {
    await page.goto(`${config.embedBase}/embed?src=${encodeURIComponent(pageUrl)}`);
    const handle = await page.waitForSelector("iframe");
    frame = await handle.contentFrame();
  } else {
    await page.goto(pageUrl);
    frame = page.mainFrame();
  }

  const title = () => frame.locator("#screen-title");
  async function at(text) {
    await frame.waitForFunction((t) => document.querySelector("#screen-title")?.textContent === t, text, { timeout: TIMEOUT });
  }
  // Screenshot at both widths and an axe run, named after the step.
  async function step(name) {
    shot += 1;
    const base = `${String(shot).padStart(2, "0")}-${name}`;
    for (const [label, size] of [["phone", PHONE], ["desktop", DESKTOP]]) {
      await page.setViewportSize(size);
      await page.screenshot({ path: join(outDir, `${base}-${label}.png`), fullPage: true });
    }
    await page.setViewportSize(PHONE);
    // Evaluated through the DevTools protocol (not a script tag), so the page's CSP stays on.
    if (!(await frame.evaluate(() => typeof window.axe !== "undefined"))) await frame.evaluate(axeSource);
    const result = await frame.evaluate(() =>
      window.axe.run(document, { resultTypes: ["violations"], runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } }),
    );
    const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    axeReport.push({ step: name, violations: result.violations.length, seriousOrCritical: bad.length });
    for (const v of bad) problems.push(`axe ${name}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  }

  // The operator's logo, stored at save time, from the product's own origin.
  await frame.waitForFunction(() => {
    const logo = document.querySelector("#logo");
    return logo && logo.complete && logo.naturalWidth > 0;
  });
  if (!new URL(await frame.getAttribute("#logo", "src"), frame.url()).href.startsWith(config.base)) problems.push("the logo is not served by the product");

  if (config.link) {
    // From the operator's link: the notice and terms first; the token is gone from the address.
    await at(S.welcomeTitle);
    if (frame.url().includes("token")) problems.push(`the token stayed in the address: ${new URL(frame.url()).pathname}`);
    await step("welcome");
    await frame.check("#consent");
    await frame.click("button.primary");
  } else {
    // Public sign-up.
    await at(S.signUpTitle);
    await step("sign-up");
    await frame.fill("#f-fullName", config.fullName);
    await frame.fill("#f-email", config.email);
    await frame.fill("#f-countryCode", "+57");
    await frame.fill("#f-phone", config.phone);
    // The form's additional field (required): first refused without it, with the field named.
    await frame.check("#consent");
    await frame.click("button[type=submit]");
    await frame.waitForSelector('[name="additionalFields.occupation"][aria-invalid="true"]');
    await frame.fill('[name="additionalFields.occupation"]', "Engineer");
    await frame.click("button[type=submit]");
  }

  // The two codes (demo mode: the project's demo code; nothing is sent).
  for (const [name, heading] of [["email-code", S.emailCodeTitle], ["phone-code", S.phoneCodeTitle]]) {
    await at(heading);
    await frame.waitForFunction(() => document.querySelector("p[role=status]")?.textContent.length > 0);
    await step(name);
    await frame.fill("#f-otp", config.otp);
    await frame.click("button[type=submit]");
  }

  // Document: the category, then the front (a passport has no back).
  await at(S.documentTitle);
  await step("document-choice");
  await frame.check("#c-passport");
  await frame.click("button.primary");
  await at(S.documentFrontTitle);
  if (config.run === "denied") {
    await frame.waitForFunction((t) => document.querySelector("p[role=status]")?.textContent === t, S.cameraUnavailable);
  } else {
    await frame.waitForSelector("button.primary:not([disabled])");
  }
  await step("document-front");
  // Without a camera, the first passport uploaded has expired: the page must offer another try.
  await frame.setInputFiles("#f-upload", config.run === "denied" ? config.files.expiredPassport : config.files.passport);
  await frame.waitForSelector("img.preview");
  await step("document-preview");
  await frame.click("button.primary");

  // Selfie; first a reload in the middle, which must come back to this step.
  await at(S.selfieTitle);
  if (config.run === "camera") {
    await page.reload();
    frame = page.mainFrame();
    await at(S.selfieTitle);
  }
  if (config.run === "denied") {
    await frame.waitForFunction((t) => document.querySelector("p[role=status]")?.textContent === t, S.cameraUnavailable);
    await step("selfie");
    await frame.setInputFiles("#f-upload", config.files.selfie);
  } else {
    await frame.waitForSelector("button.primary:not([disabled])");
    const live = await frame.evaluate(() => {
      const v = document.querySelector("video");
      return Boolean(v && v.srcObject && v.videoWidth > 0);
    });
    if (!live) problems.push("the selfie step shows no live camera");
    await step("selfie");
  }
  if (config.run === "iframe") {
    // Hand-off: the selfie is taken on another device (a phone, its own browser context) from
    // the link and QR code this page shows; this page follows by itself.
    await frame.click("#handoff");
    await at(S.handoffTitle);
    await frame.waitForFunction(() => document.querySelector("#handoff-qr")?.naturalWidth > 0);
    await step("handoff");
    const link = await frame.inputValue("#handoff-link");
    if (!/\/sign-up\/[0-9a-f]{24}#token=/.test(link)) problems.push("the hand-off link is not a page link with a token");
    const phone = await browser.newContext({ viewport: PHONE, locale: config.locale, permissions: ["camera"], hasTouch: true });
    const other = await phone.newPage();
    other.on("pageerror", (e) => problems.push(`page error (other device): ${e.message}`));
    await other.goto(link);
    await other.waitForFunction((t) => document.querySelector("#screen-title")?.textContent === t, S.selfieTitle, { timeout: TIMEOUT });
    if (other.url().includes("token")) problems.push("the token stayed in the other device's address");
    await other.waitForSelector("button.primary:not([disabled])");
    await other.click("button.primary");
    await other.waitForSelector("img.preview");
    await other.screenshot({ path: join(outDir, "handoff-other-device-phone.png"), fullPage: true });
    await other.click("button.primary");
    await other.waitForFunction((titles) => titles.includes(document.querySelector("#screen-title")?.textContent), [S.waitingTitle, S.doneTitle], { timeout: TIMEOUT });
    await phone.close();
  } else {
    if (config.run !== "denied") await frame.click("button.primary");
    await frame.waitForSelector("img.preview");
    await step("selfie-preview");
    await frame.click("button.primary");
  }

  if (config.run === "denied") {
    await at(S.retryDocumentTitle);
    await step("retry-document");
    await frame.click("button.primary");
    await at(S.documentTitle);
    await frame.check("#c-passport");
    await frame.click("button.primary");
    await at(S.documentFrontTitle);
    await frame.waitForFunction((t) => document.querySelector("p[role=status]")?.textContent === t, S.cameraUnavailable);
    await frame.setInputFiles("#f-upload", config.files.passport);
    await frame.waitForSelector("img.preview");
    await frame.click("button.primary");
  }

  // The checks run; the page waits, then the decision and the way back to the operator's site.
  await frame.waitForFunction(
    (titles) => titles.includes(document.querySelector("#screen-title")?.textContent),
    [S.waitingTitle, S.doneTitle],
  );
  if ((await title().textContent()) === S.waitingTitle) await step("waiting");
  await at(S.doneTitle);
  await step("done");
  const outcome = await frame.locator("p.outcome").textContent();
  const status = Object.keys(S).find((k) => S[k] === outcome && k === k.toUpperCase()) || null;
  const stored = await frame.evaluate(() => JSON.stringify(sessionStorage));
  await frame.click("#continue");
  await frame.waitForURL((u) => u.pathname === "/done", { timeout: TIMEOUT });
  const redirectedTo = frame.url();
  const addressBar = page.url();

  console.log(`RESULT ${JSON.stringify({ run: config.run, status, redirectedTo, addressBar, stored, problems, axe: axeReport, screenshots: shot * 2 })}`);
} catch (e) {
  console.log(`RESULT ${JSON.stringify({ run: config.run, error: String(e && e.stack ? e.stack : e), problems, axe: axeReport })}`);
} finally {
  await browser.close();
}
