// Browser measurement of the web app (not a test: it prints figures).
// A release server with SD_BENCH_TICKETS demo tickets (default 100000), Debian's
// Chromium through playwright-core, SD_BENCH_REPS repetitions (default 10).
// Run: SERVICEDESK_BIN=build/release/src/servicedesk node bench/browser.mjs
// Progress goes to stderr; the Markdown tables go to stdout.
//
// Every wait is page.waitForFunction polling on requestAnimationFrame inside the
// page: locator.waitFor polls from Node with a backoff that reaches 500 ms
// between checks, which would round the figures up by as much.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { repo, webDist, launchBrowser, signIn, USERS, PASSWORD } from '../tests/browser/harness.mjs';

const TICKETS = Number(process.env.SD_BENCH_TICKETS ?? 100000);
const REPS = Number(process.env.SD_BENCH_REPS ?? 10);
const BIN = process.env.SERVICEDESK_BIN ?? path.join(repo, 'build/release/src/servicedesk');
const WAIT = { timeout: 60_000 }; // polling: 'raf' is the default
const ROWS = 50; // one queue page

const log = (...a) => console.error('[bench]', ...a);
const now = () => performance.now();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---- server ---------------------------------------------------------------

const dir = mkdtempSync(path.join(os.tmpdir(), 'sd-bench-browser-'));
const db = path.join(dir, 'desk.db');
function cli(...args) {
  const r = spawnSync(BIN, ['--db', db, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`servicedesk ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

async function startServer() {
  // --log-level is an option of the program, so it goes before the subcommand.
  const args = ['--db', db, '--log-level', 'warn', 'serve', '--listen', '127.0.0.1:0', '--web-root', webDist];
  const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c) => {
      out += c;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
  return { child, url };
}

async function stopServer(child) {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

// ---- predicates, run inside the page on every animation frame ---------------

/** The queue has loaded and its 50th row (or its last, if fewer) is rendered. */
function queueShown(n) {
  const table = document.querySelector('[data-testid=queue] table');
  if (!table || table.getAttribute('aria-busy') !== 'false') return false;
  const rows = table.tBodies[0].rows;
  const row = rows[Math.min(n, rows.length) - 1];
  return !!row && row.checkVisibility() && row.getBoundingClientRect().height > 0;
}

/** Some element matching `sel` has exactly `text` and is rendered. */
function textShown([sel, text]) {
  return [...document.querySelectorAll(sel)].some(
    (el) => el.textContent.trim() === text && el.checkVisibility() && el.getBoundingClientRect().height > 0,
  );
}

// ---- measurements -----------------------------------------------------------

/** Fresh context: open the sign-in page, sign in, until the open queue shows 50 rows. */
async function coldLoad(browser, url) {
  const context = await browser.newContext({ baseURL: url, viewport: { width: 1400, height: 900 }, locale: 'es-MX' });
  const page = await context.newPage();
  const t0 = now();
  await page.goto('/#/queue/open');
  const submit = '[data-testid=login-form] button[type=submit]';
  await page.waitForFunction((sel) => document.querySelector(sel)?.checkVisibility(), submit, WAIT);
  const form = now() - t0;
  await page.locator('input[name=email]').fill(USERS.agent);
  await page.locator('input[name=password]').fill(PASSWORD);
  const t1 = now();
  await page.locator(submit).click();
  await page.waitForFunction(queueShown, ROWS, WAIT);
  const t2 = now();
  await context.close();
  return { total: t2 - t0, form, signIn: t2 - t1 };
}

/** On a queue page: sort descending by the column `label` (header clicks, as an
 * agent would), let that load, then leave for a page without a queue. */
async function sortThenLeave(page, label) {
  const button = page.getByRole('button', { name: `Ordenar por ${label}` });
  const th = page.locator('[data-testid=queue] thead th', { has: button });
  while ((await th.getAttribute('aria-sort')) !== 'descending') await button.click();
  await page.waitForFunction(queueShown, ROWS, WAIT);
  await page.evaluate(() => (location.hash = '#/bench-blank')); // a page without a queue
  await page.waitForFunction(() => !document.querySelector('[data-testid=queue]'), null, WAIT);
}

/** In-app navigation (as a click on the tab) to the open queue, until 50 rows show. */
async function showOpenQueue(page) {
  const t0 = now();
  await page.evaluate(() => (location.hash = '#/queue/open'));
  await page.waitForFunction(queueShown, ROWS, WAIT);
  return now() - t0;
}

/** From just before the POST until `text` is rendered in `page` under `sel`. */
async function postUntilShown(page, sel, text, url, token, body) {
  const shown = page.waitForFunction(textShown, [sel, text], WAIT);
  shown.catch(() => {}); // awaited below; no unhandled rejection if the POST fails first
  const t0 = now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answered = now() - t0;
  if (res.status !== 201) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
  await shown;
  return { ms: now() - t0, answered, created: await res.json() };
}

// ---- main -------------------------------------------------------------------

const figures = []; // [label, values in ms]
let server;
let browser;
const loadAtStart = os.loadavg()[0];
try {
  log(`loading ${TICKETS} demo tickets into ${db}`);
  let t = now();
  cli('demo', '--tickets', String(TICKETS));
  const demoSeconds = (now() - t) / 1000;
  const requesterToken = cli('token', 'create', USERS.requester, '--name', 'bench');
  const agentToken = cli('token', 'create', USERS.agent, '--name', 'bench');
  server = await startServer();
  process.on('exit', () => server.child.kill('SIGKILL')); // only if we die before the SIGTERM below
  const api = `${server.url}/api/v1`;
  await fetch(`${server.url}/healthz`); // Node's connection pool is warm for the POSTs
  log(`serving ${server.url}`);

  const shipped = (ext) => {
    const files = readdirSync(path.join(webDist, 'assets')).filter((f) => f.endsWith(ext));
    const raw = files.map((f) => readFileSync(path.join(webDist, 'assets', f)));
    const kib = (f) => (raw.reduce((sum, b) => sum + f(b).length, 0) / 1024).toFixed(1);
    return `${kib(gzipSync)} KiB gzip (${kib((b) => b)} KiB raw, ${files.length} file(s))`;
  };

  browser = await launchBrowser();

  log('cold load');
  const cold = await coldLoad(browser, server.url);

  log(`queue navigations x${REPS}`);
  const nav = { id: [], priority: [] };
  const agent = await signIn(browser, server.url, USERS.agent, '/queue/open');
  for (let i = 0; i < REPS; i++) {
    for (const [key, label] of [['id', 'Folio'], ['priority', 'Prioridad']]) {
      await sortThenLeave(agent.page, label); // the sort is kept while the agent moves around
      nav[key].push(await showOpenQueue(agent.page));
    }
  }
  await agent.context.close();
  figures.push([`"All open" queue, sort=-id (default): navigation → ${ROWS} rows shown`, nav.id]);
  figures.push([`"All open" queue, sort=-priority: navigation → ${ROWS} rows shown`, nav.priority]);

  log(`live: new ticket x${REPS}, public reply x${REPS}`);
  const watcher = await signIn(browser, server.url, USERS.agent, '/queue/open');
  const requester = await signIn(browser, server.url, USERS.requester, '/');
  const liveOpen = (page) =>
    page.waitForFunction(() => document.querySelector('[data-testid=live-state].live-open'), null, WAIT);
  await watcher.page.waitForFunction(queueShown, ROWS, WAIT);
  await liveOpen(watcher.page);
  const tag = Date.now().toString(36);
  const arrivals = [];
  const createAnswered = [];
  let ticket;
  for (let i = 0; i < REPS; i++) {
    const subject = `Bench ${tag} ticket ${i}`;
    const body = { type: 'incident', subject, description: 'Medición en vivo.', impact: 'critical', criticality: 'medium' };
    const r = await postUntilShown(watcher.page, '[data-testid=queue] tbody td.subject', subject, `${api}/tickets`,
      requesterToken, body);
    arrivals.push(r.ms);
    createAnswered.push(r.answered);
    ticket ??= r.created;
  }
  figures.push(['New ticket: requester POST → row in agent\'s open queue', arrivals]);
  figures.push(['… of which: POST answered (201)', createAnswered]);

  await requester.page.evaluate((id) => (location.hash = `#/tickets/${id}`), ticket.id);
  await requester.page.waitForFunction(textShown, ['[data-testid=portal-ticket] h1 .num', ticket.number], WAIT);
  await liveOpen(requester.page);
  const replies = [];
  const replyAnswered = [];
  for (let i = 0; i < REPS; i++) {
    const text = `Bench ${tag} reply ${i}`;
    const r = await postUntilShown(requester.page, '[data-testid=timeline] .ev-reply .ev-body', text,
      `${api}/tickets/${ticket.id}/comments`, agentToken, { body: text, internal: false });
    replies.push(r.ms);
    replyAnswered.push(r.answered);
  }
  figures.push(['Public reply: agent POST → in requester\'s open ticket', replies]);
  figures.push(['… of which: POST answered (201)', replyAnswered]);
  await watcher.context.close();
  await requester.context.close();

  const chromium = browser.version();
  const cpus = os.cpus();
  const ms = (x) => `${Math.round(x)} ms`;
  const out = [
    `## Web app in the browser: ${TICKETS} tickets, ${REPS} repetitions`,
    '',
    '| Setup | |',
    '|---|---|',
    `| Machine | ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()} |`,
    `| Load average, 1 min (start → end) | ${loadAtStart.toFixed(2)} → ${os.loadavg()[0].toFixed(2)} |`,
    `| Browser | Chromium ${chromium} (headless), Node ${process.version} |`,
    `| Demo load of ${TICKETS} tickets | ${demoSeconds.toFixed(1)} s |`,
    `| JavaScript shipped | ${shipped('.js')} |`,
    `| CSS shipped | ${shipped('.css')} |`,
    '',
    '| Timing | n | Median | Max |',
    '|---|--:|--:|--:|',
    `| Cold load (fresh context): sign-in page → "All open" queue, ${ROWS} rows shown (incl. filling the form) | 1 | ${ms(cold.total)} | |`,
    `| … of which: sign-in page shown | 1 | ${ms(cold.form)} | |`,
    `| … of which: "Entrar" → ${ROWS} rows shown | 1 | ${ms(cold.signIn)} | |`,
    ...figures.map(([label, xs]) => `| ${label} | ${xs.length} | ${ms(median(xs))} | ${ms(Math.max(...xs))} |`),
  ];
  console.log(out.join('\n'));
} finally {
  await browser?.close();
  await stopServer(server?.child);
  rmSync(dir, { recursive: true, force: true });
}
