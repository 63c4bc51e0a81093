// Load pages in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core, which never downloads a browser of its own) and report
// what they show, for aiomsg's browser tests.
//
//   node browser.js '{"chromium": "/usr/bin/chromium", "userDataDir": "...",
//                     "args": [...], "timeoutMs": 10000,
//                     "pages": [{"url": "...", "rows": 5, "screenshot": "....png"}]}'
//
// For each page: wait (bounded by timeoutMs) until #updates has at least
// "rows" rows, save a screenshot, and print one JSON line:
//   {"url", "status", "count", "rows": [[cell, ...], ...]}  or  {"url", "error", "status"}
// One browser serves every page. Exits 0 once every page is reported.
"use strict"

const {chromium} = require("playwright-core")

async function visit(context, page, timeoutMs) {
  const tab = await context.newPage()
  const console_ = []
  tab.on("console", message => console_.push(message.text()))
  tab.on("pageerror", error => console_.push(`pageerror: ${error.message}`))
  try {
    await tab.goto(page.url, {timeout: timeoutMs})
    await tab.waitForFunction(
      rows => document.querySelectorAll("#updates tr").length >= rows,
      page.rows, {timeout: timeoutMs, polling: 50})
    const shown = await tab.evaluate(() => ({
      status: document.getElementById("status").textContent,
      count: Number(document.getElementById("count").textContent),
      rows: [...document.querySelectorAll("#updates tr")].map(
        row => [...row.cells].map(cell => cell.textContent)),
    }))
    await tab.screenshot({path: page.screenshot, fullPage: true})
    return {url: page.url, ...shown}
  } catch (error) {
    const status = await tab.evaluate(() => document.getElementById("status")?.textContent)
      .catch(() => null)
    return {url: page.url, error: String(error.message || error).split("\n")[0], status,
            console: console_}
  } finally {
    await tab.close()
  }
}

async function main() {
  const request = JSON.parse(process.argv[2])
  const context = await chromium.launchPersistentContext(request.userDataDir, {
    executablePath: request.chromium,
    headless: true,
    args: request.args,
    timeout: request.timeoutMs,
  })
  try {
    for (const page of request.pages) {
      process.stdout.write(JSON.stringify(await visit(context, page, request.timeoutMs)) + "\n")
    }
  } finally {
    await context.close()
  }
}

main().then(() => process.exit(0), error => {
  process.stderr.write(`browser.js: ${error.stack || error}\n`)
  process.exit(1)
})
