// Open report.html in headless Chromium and check that it renders: no console errors or
// exceptions, every chart (svg.chart) has a non-zero size, and the page has its sections.
// Talks the DevTools protocol over --remote-debugging-pipe, so it needs nothing but Node.
// Usage: node scripts/check_report.mjs path/to/report.html [chromium binary]
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { launch } from "./cdp.mjs";

const report = resolve(process.argv[2] ?? "report.html");
const binary = process.argv[3] ?? "chromium";
const { browser, send, problems, page: newPage } = launch(binary);

const timer = setTimeout(() => { console.error("check_report: timed out"); browser.kill(); process.exit(1); }, 60000);
try {
  const sessionId = await newPage();
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
