// Headless Chromium over the DevTools protocol (--remote-debugging-pipe): all the browser checks
// need, with nothing but Node. `launch(binary)` starts a browser with the flags this machine's
// closed network wants and returns `send(method, params, sessionId)`, the console errors and
// exceptions seen so far (`problems`) and `close()`.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function launch(binary = "chromium") {
  const profile = mkdtempSync(join(tmpdir(), "lockstep-chromium-"));
  const browser = spawn(binary, [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    `--user-data-dir=${profile}`, "--remote-debugging-pipe", "about:blank",
  ], { stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"] });
  const toBrowser = browser.stdio[3], fromBrowser = browser.stdio[4];
  let nextId = 1, buffer = "";
  const pending = new Map();
  const problems = [];
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
        const d = msg.params.exceptionDetails;
        problems.push("exception: " + JSON.stringify(d.exception?.description ?? d.text));
      } else if (msg.method === "Runtime.consoleAPICalled" && msg.params.type === "error") {
        problems.push("console.error: " + JSON.stringify(msg.params.args));
      } else if (msg.method === "Log.entryAdded" && msg.params.entry.level === "error") {
        problems.push("log error: " + msg.params.entry.text);
      }
    }
  });
  async function close() {
    await send("Browser.close").catch(() => {});
    browser.kill();
  }
  /// A new page with runtime, log and page events on; returns its session id.
  async function page() {
    const { targetId } = await send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
    await send("Runtime.enable", {}, sessionId);
    await send("Log.enable", {}, sessionId);
    await send("Page.enable", {}, sessionId);
    return sessionId;
  }
  return { browser, send, problems, close, page };
}
