// Open report.html in headless Chromium and check that it renders: no console errors or
// exceptions, every chart (svg.chart) has a non-zero size, and the page has its sections.
// Talks the DevTools protocol over --remote-debugging-pipe, so it needs nothing but Node.
// Usage: node scripts/check_report.mjs path/to/report.html [chromium binary]
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const report = resolve(process.argv[2] ?? "report.html");
const binary = process.argv[3] ?? "chromium";
const profile = mkdtempSync(join(tmpdir(), "lockstep-chromium-"));
const browser = spawn(binary, [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  `--user-data-dir=${profile}`, "--remote-debugging-pipe", "about:blank",
], { stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"] });

const toBrowser = browser.stdio[3];
const fromBrowser = browser.stdio[4];
let nextId = 1;
const pending = new Map();
const problems = [];
let buffer = "";
function send(method, params = {}, sessionId) {
  const id = nextId++;
  toBrowser.write(JSON.stringify({ id, method, params, sessionId }) + "\0");
  return new Promise((ok, fail) => pending.set(id, { ok, fail }));
}
fromBrowser.on("data", (chunk) => {
  buffer += chunk.toString("utf8");
  let end;
  while ((end = buffer.indexOf("\0")) >= 0) {
    const msg = JSON.parse(buffer.slice(0, end));
    buffer = buffer.slice(end + 1);
    if (msg.id && pending.has(msg.id)) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      msg.error ? p.fail(new Error(JSON.stringify(msg.error))) : p.ok(msg.result);
    } else if (msg.method === "Runtime.exceptionThrown") {
      problems.push("exception: " + JSON.stringify(msg.params.exceptionDetails.text));
    } else if (msg.method === "Runtime.consoleAPICalled" && msg.params.type === "error") {
      problems.push("console.error: " + JSON.stringify(msg.params.args));
    } else if (msg.method === "Log.entryAdded" && msg.params.entry.level === "error") {
      problems.push("log error: " + msg.params.entry.text);
    }
  }
});

const timer = setTimeout(() => { console.error("check_report: timed out"); browser.kill(); process.exit(1); }, 60000);
try {
  const { targetId } = await send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
  await send("Runtime.enable", {}, sessionId);
  await send("Log.enable", {}, sessionId);
  await send("Page.enable", {}, sessionId);
  await send("Page.navigate", { url: pathToFileURL(report).href }, sessionId);
  // Wait for the document to finish loading.
  for (let i = 0; i < 100; i++) {
    const r = await send("Runtime.evaluate", { expression: "document.readyState", returnByValue: true }, sessionId);
    if (r.result.value === "complete") break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  const r = await send("Runtime.evaluate", {
    returnByValue: true,
    expression: `(() => {
      const charts = [...document.querySelectorAll("svg.chart")].map((s) => {
        const b = s.getBoundingClientRect();
        return { cls: s.getAttribute("class"), w: b.width, h: b.height, marks: s.querySelectorAll("rect,circle,line").length };
      });
      return { title: document.title, overview: !!document.querySelector("#overview"),
               groups: document.querySelectorAll("section[id^=G]").length, charts };
    })()`,
  }, sessionId);
  const page = r.result.value;
  if (!page.overview) problems.push("no overview section");
  if (page.charts.length === 0) problems.push("no charts");
  for (const c of page.charts) {
    if (!(c.w > 0 && c.h > 0)) problems.push(`chart ${c.cls} has size ${c.w}×${c.h}`);
    if (c.marks === 0) problems.push(`chart ${c.cls} draws nothing`);
  }
  console.log(`check_report: ${report}: "${page.title}", ${page.groups} group sections, ${page.charts.length} charts, ${problems.length} problems`);
  for (const p of problems) console.log("  " + p);
  clearTimeout(timer);
  await send("Browser.close").catch(() => {});
  browser.kill();
  process.exit(problems.length === 0 ? 0 : 1);
} catch (e) {
  console.error("check_report: " + e.message);
  browser.kill();
  process.exit(1);
}
