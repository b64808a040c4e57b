// Starts the real servicedesk on a loopback port with a fresh demo database,
// and Debian's Chromium through playwright-core (installed by `npm ci` in web/).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../..');
export const webDist = path.join(repo, 'web/dist');
export const artifacts = path.join(here, 'artifacts');

const require = createRequire(path.join(repo, 'web/package.json'));
const { chromium } = require('playwright-core');

export const PASSWORD = 'demo-2026';
export const USERS = {
  agent: 'agente1@demo.example.com',
  agent2: 'agente2@demo.example.com',
  requester: 'usuario@demo.example.com',
  admin: 'admin@demo.example.com',
  supervisor: 'supervisor@demo.example.com',
};

function binary() {
  const bin = process.env.SERVICEDESK_BIN ?? path.join(repo, 'build/release/src/servicedesk');
  if (!existsSync(bin)) throw new Error(`no servicedesk binary at ${bin}; set SERVICEDESK_BIN`);
  if (!existsSync(path.join(webDist, 'index.html')))
    throw new Error(`no built web app in ${webDist}; run "npm ci && npm run build" in web/`);
  return bin;
}

/** Reads stdout until the listening line, then keeps draining it. */
function waitForListening(child, timeoutMs) {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let found = false;
    const timer = setTimeout(() => reject(new Error(`server did not start in ${timeoutMs} ms:\n${buffer}`)), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      if (found) return; // drained, so the server never blocks on a full pipe
      buffer += chunk;
      const m = buffer.match(/servicedesk listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        found = true;
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      if (!found) {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code} before listening:\n${buffer}`));
      }
    });
  });
}

export async function startServer() {
  const bin = binary();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sd-browser-'));
  const db = path.join(dir, 'desk.db');
  const demo = spawnSync(bin, ['--db', db, 'demo'], { encoding: 'utf8' });
  if (demo.status !== 0) throw new Error(`demo failed: ${demo.stderr}${demo.stdout}`);
  const args = ['--db', db, '--log-level', 'warn', 'serve', '--listen', '127.0.0.1:0', '--web-root', webDist];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.setEncoding('utf8');
  let stderr = '';
  child.stderr.on('data', (c) => (stderr = (stderr + c).slice(-20000)));
  const url = await waitForListening(child, 20000);
  return {
    url,
    bin, // the servicedesk binary, for commands run beside the server (ingestMail)
    db, // the SQLite file, for a test that must put the store in a state no API call makes
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        let timer;
        await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
        clearTimeout(timer);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Delivers one message to the desk as the MTA does: `servicedesk --db DB
 * mail-ingest [--mailbox ADDRESS]` with the message on standard input,
 * beside the running server and on its database. Returns the command's exit
 * code and its one-line answer ("ticket SD-000301", "set_aside auto_submitted").
 */
export function ingestMail(server, raw, { mailbox } = {}) {
  const args = ['--db', server.db, 'mail-ingest', ...(mailbox ? ['--mailbox', mailbox] : [])];
  const r = spawnSync(server.bin, args, { input: raw, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: (r.stdout ?? '').trim(), stderr: r.stderr ?? '' };
}

export async function launchBrowser() {
  mkdirSync(artifacts, { recursive: true });
  // launch() gives every run a fresh temporary user-data-dir of its own.
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A new browser context signed in as `email`, showing the app. */
export async function signIn(browser, baseUrl, email, hash = '/') {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1400, height: 900 }, locale: 'es-MX' });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[${email}] page error:`, e.message));
  await page.goto(`/#${hash}`);
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.locator('[data-testid=login-form] button[type=submit]').click();
  await page.locator('header.topbar').waitFor();
  return { context, page };
}

/** Switches the app's language and waits until the user's choice is saved. */
export async function chooseLanguage(page, lang) {
  const select = page.locator('[data-testid=language]');
  if ((await select.inputValue()) === lang) return;
  const saved = page.waitForResponse(
    (r) => r.request().method() === 'PATCH' && /\/api\/v1\/users\/\d+$/.test(new URL(r.url()).pathname),
  );
  await select.selectOption(lang);
  await saved;
}

export async function shot(page, name, { fullPage = true } = {}) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage });
}

/** Calls the API from the page with its session (and CSRF token); JSON in and out. */
export async function call(page, method, path, body, headers = {}) {
  return page.evaluate(
    async ([m, p, b, h]) => {
      const csrf = sessionStorage.getItem('sd.csrf') ?? '';
      const r = await fetch(`/api/v1${p}`, {
        method: m,
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf, ...h },
        body: b === undefined ? undefined : JSON.stringify(b),
        credentials: 'same-origin',
      });
      const text = await r.text();
      let json = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = text;
      }
      return { status: r.status, body: json, etag: r.headers.get('ETag') };
    },
    [method, path, body, headers],
  );
}

/**
 * A demo server and a browser for one test file: started before its tests
 * and stopped after them. Read `desk.server` and `desk.browser` in a test.
 */
export function useDesk() {
  const desk = { server: null, browser: null };
  before(async () => {
    desk.server = await startServer();
    desk.browser = await launchBrowser();
  });
  after(async () => {
    await desk.browser?.close();
    await desk.server?.stop();
  });
  return desk;
}
