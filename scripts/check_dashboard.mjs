// Drive the live dashboard in headless Chromium as an analyst would: start `lockstep serve`, post
// events, flush, then in the browser sign in, open a case (its charts must render), give a
// verdict and see it in the audit log. Fails on console errors or exceptions. Needs only Node and
// Chromium (DevTools protocol over --remote-debugging-pipe). Bounded: 120 s in all.
// Usage: node scripts/check_dashboard.mjs path/to/lockstep events.csv[.gz] [chromium binary]
// (LOCKSTEP_SCREENSHOT=page.png also saves a screenshot of the dashboard after the verdict.)
import { spawn } from "node:child_process";
import { launch } from "./cdp.mjs";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

const [lockstep, eventsPath, binary = "chromium"] = process.argv.slice(2);
if (!lockstep || !eventsPath) {
  console.error("usage: node scripts/check_dashboard.mjs LOCKSTEP_BINARY EVENTS.csv[.gz] [CHROMIUM]");
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), "lockstep-dashboard-"));
const T = { ingest: "dash-ingest-token", analyst: "dash-analyst-token", admin: "dash-admin-token" };
writeFileSync(join(dir, "tokens.txt"), `ingest ${T.ingest}\nanalyst ${T.analyst} ana\nadmin ${T.admin}\n`);
const children = [];
const problems = [];
const timer = setTimeout(() => { console.error("check_dashboard: timed out"); done(1); }, 120000);
function done(code) {
  clearTimeout(timer);
  for (const c of children) { try { c.kill("SIGKILL"); } catch {} }
  process.exit(code);
}
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// 1. The server, on a free port.
const server = spawn(lockstep, ["serve", "--data", join(dir, "data"), "--listen", "127.0.0.1:0", "--tokens", join(dir, "tokens.txt")],
  { stdio: ["ignore", "pipe", "inherit"] });
children.push(server);
const addr = await new Promise((ok, fail) => {
  let out = "";
  server.stdout.on("data", (d) => {
    out += d.toString();
    const m = out.match(/http:\/\/([0-9.]+:[0-9]+)/);
    if (m) ok(m[1]);
  });
  server.on("exit", (c) => fail(new Error("server exited with " + c)));
  server.on("error", (e) => fail(new Error("cannot start " + lockstep + ": " + e.message)));
}).catch((e) => { console.error("check_dashboard: " + e.message); done(1); });
const base = `http://${addr}`;

// 2. Events in, one pass.
let body = readFileSync(eventsPath);
if (eventsPath.endsWith(".gz")) body = gunzipSync(body);
let r = await fetch(base + "/v1/events", { method: "POST", body, headers: { Authorization: "Bearer " + T.ingest, "Content-Type": "text/csv" } });
if (r.status !== 200) { console.error("check_dashboard: ingest failed: " + r.status + " " + await r.text()); done(1); }
const accepted = (await r.json()).accepted;
r = await fetch(base + "/v1/flush", { method: "POST", headers: { Authorization: "Bearer " + T.admin } });
const pass = await r.json();
if (!(pass.groups > 0)) { console.error("check_dashboard: the pass found no groups: " + JSON.stringify(pass)); done(1); }

// 3. The browser.
const { browser, send, problems: seen, page } = launch(binary);
children.push(browser);
try {
  const sessionId = await page();
  const js = async (expression) => (await send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true }, sessionId)).result.value;
  const until = async (what, expression, ms = 20000) => {
    for (let t = 0; t < ms; t += 100) { if (await js(expression)) return; await sleep(100); }
    throw new Error("waited in vain for " + what);
  };
  await send("Page.navigate", { url: base + "/" }, sessionId);
  await until("the page", `document.readyState === "complete" && !!document.getElementById("token")`);
  // Sign in as the analyst.
  await js(`document.getElementById("token").value = ${JSON.stringify(T.analyst)}; document.getElementById("signin-button").click(); true`);
  await until("the case queue", `document.querySelectorAll("#cases tbody a.case-link").length > 0`);
  const caseId = await js(`document.querySelector("#cases tbody a.case-link").dataset.id`);
  // Open the first case: its report section and charts render.
  await js(`document.querySelector("#cases tbody a.case-link").click(); true`);
  await until("the case's charts", `document.querySelectorAll("#case-report svg.chart").length > 0`);
  const charts = await js(`[...document.querySelectorAll("#case-report svg.chart")].map((s) => { const b = s.getBoundingClientRect(); return { w: b.width, h: b.height, marks: s.querySelectorAll("rect,circle,line").length }; })`);
  for (const c of charts) if (!(c.w > 0 && c.h > 0 && c.marks > 0)) problems.push("empty case chart " + JSON.stringify(c));
  // Give a verdict; it shows in the case and in the audit log, by name.
  await js(`document.getElementById("note").value = "checked in CI"; document.getElementById("v-confirmed").click(); true`);
  await until("the verdict in the audit log", `[...document.querySelectorAll("#audit tbody tr")].some((tr) => tr.textContent.includes("verdict") && tr.textContent.includes(${JSON.stringify(caseId)}) && tr.textContent.includes("ana"))`);
  await until("the case's new status", `document.getElementById("case-title").textContent.includes("confirmed")`);
  // The live view has the stored events and draws its chart.
  await until("the live view", `document.getElementById("k-events").textContent.replace(/[^0-9]/g, "") === ${JSON.stringify(String(accepted))}`);
  await until("the live chart", `document.querySelectorAll("#live-chart rect").length > 0`, 8000);
  if (process.env.LOCKSTEP_SCREENSHOT) {
    await send("Emulation.setDeviceMetricsOverride", { width: 1280, height: 1800, deviceScaleFactor: 1, mobile: false }, sessionId);
    const shot = await send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true }, sessionId);
    writeFileSync(process.env.LOCKSTEP_SCREENSHOT, Buffer.from(shot.data, "base64"));
  }
  // And the server agrees.
  const audit = await (await fetch(base + "/v1/audit", { headers: { Authorization: "Bearer " + T.analyst } })).json();
  if (!audit.some((e) => e.action === "verdict" && e.case_id === caseId && e.who === "ana")) problems.push("verdict not in the server's audit log");
  problems.push(...seen);
  console.log(`check_dashboard: ${base}: ${accepted} events, ${pass.groups} cases, opened ${caseId} (${charts.length} charts), verdict recorded, ${problems.length} problems`);
  for (const p of problems) console.log("  " + p);
  await send("Browser.close").catch(() => {});
  done(problems.length === 0 ? 0 : 1);
} catch (e) {
  console.error("check_dashboard: " + e.message);
  for (const p of problems.concat(seen)) console.error("  " + p);
  done(1);
}
