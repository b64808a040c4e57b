// Accessibility of the web app against the real server and Chromium: axe-core
// (WCAG 2 A and AA rules) on every main screen, and one task done by keyboard
// alone. Backs the claim "labels on every control, usable by keyboard alone,
// readable contrast".
// Run: SERVICEDESK_BIN=build/release/src/servicedesk node --test tests/browser/a11y.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { repo, startServer, launchBrowser, signIn, shot, USERS } from './harness.mjs';

const WAIT = 15_000; // the longest any single expectation may take

// axe-core comes from web/node_modules, like playwright-core in the harness.
const require = createRequire(path.join(repo, 'web/package.json'));
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_OPTIONS = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } };
const BLOCKING = new Set(['serious', 'critical']);

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Calls the API from the page, with its cookie (GET only). */
async function apiGet(page, p) {
  return page.evaluate(async (u) => {
    const r = await fetch(`/api/v1${u}`, { credentials: 'same-origin' });
    return { status: r.status, body: await r.json() };
  }, p);
}

/** Calls the API from the page with its session and CSRF token. */
async function call(page, method, p, body, headers = {}) {
  return page.evaluate(
    async ([m, u, b, h]) => {
      const r = await fetch(`/api/v1${u}`, {
        method: m,
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': sessionStorage.getItem('sd.csrf') ?? '', ...h },
        body: b === undefined ? undefined : JSON.stringify(b),
        credentials: 'same-origin',
      });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : null, etag: r.headers.get('ETag') };
    },
    [method, p, body, headers],
  );
}

async function waitLive(page) {
  await page.locator('[data-testid=live-state].live-open').waitFor({ timeout: WAIT });
}

function describe(violations) {
  return violations
    .map((v) => {
      const targets = v.nodes.slice(0, 3).map((n) => `      ${n.target.join(' ')}`);
      const more = v.nodes.length > 3 ? [`      … and ${v.nodes.length - 3} more`] : [];
      const why = v.nodes[0]?.failureSummary ? [`      ${v.nodes[0].failureSummary.replace(/\n\s*/g, ' ')}`] : [];
      return [`  ${v.id} [${v.impact}] ${v.help}`, ...targets, ...more, ...why].join('\n');
    })
    .join('\n');
}

/**
 * Runs axe-core on the whole document as it stands; fails on any serious or
 * critical violation. The script goes in through the DevTools protocol, which
 * the page's Content-Security-Policy does not govern.
 */
async function audit(t, page, screen) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const result = await page.evaluate((options) => window.axe.run(document, options), AXE_OPTIONS);
  const blocking = result.violations.filter((v) => BLOCKING.has(v.impact));
  const minor = result.violations.filter((v) => !BLOCKING.has(v.impact));
  if (minor.length) t.diagnostic(`${screen}: not blocking:\n${describe(minor)}`);
  if (result.incomplete.length)
    t.diagnostic(`${screen}: for a person to review: ${result.incomplete.map((v) => v.id).join(', ')}`);
  t.diagnostic(`${screen}: ${result.passes.length} rules pass, ${result.violations.length} violated`);
  assert.equal(blocking.length, 0, `${screen}: serious or critical accessibility violations:\n${describe(blocking)}`);
}

test('axe: sign-in page, empty and with an error', async (t) => {
  const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1400, height: 900 }, locale: 'es-MX' });
  const page = await context.newPage();
  try {
    await page.goto('/#/');
    await page.locator('[data-testid=login-form] input[name=email]').waitFor({ timeout: WAIT });
    await audit(t, page, 'sign-in');
    await page.locator('input[name=email]').fill('nadie@demo.example.com');
    await page.locator('input[name=password]').fill('incorrecta');
    await page.locator('[data-testid=login-form] button[type=submit]').click();
    await page.locator('[data-testid=login-form] [role=alert]').waitFor({ timeout: WAIT });
    await audit(t, page, 'sign-in with an error');
  } finally {
    await context.close();
  }
});

test('axe: requester portal list, new request form, ticket view', async (t) => {
  const { context, page } = await signIn(browser, server.url, USERS.requester, '/');
  try {
    await page.locator('[data-testid=portal-list] tbody tr').first().waitFor({ timeout: WAIT });
    await waitLive(page);
    await audit(t, page, 'portal list');

    await page.goto('/#/new');
    await page.locator('[data-testid=new-request] #nr-category option').nth(1).waitFor({ state: 'attached', timeout: WAIT });
    await audit(t, page, 'new request form');

    // A ticket still open (reply box) and, when the demo has one, a resolved
    // one (the confirm-or-reopen callout).
    const open = await apiGet(page, '/tickets?status=open&limit=1');
    const resolved = await apiGet(page, '/tickets?status=resolved&limit=1');
    const ids = [open.body.items[0]?.id, resolved.body.items[0]?.id].filter(Boolean);
    assert.ok(ids.length > 0, 'the demo requester has no tickets');
    for (const id of ids) {
      await page.goto(`/#/tickets/${id}`);
      await page.locator('[data-testid=portal-ticket] h1').waitFor({ timeout: WAIT });
      await page.locator('[data-testid=timeline] li').first().waitFor({ timeout: WAIT });
      await audit(t, page, `requester ticket view #${id}`);
    }
  } finally {
    await context.close();
  }
});

test('axe: agent queue, ticket view, phone call form, help overlay', async (t) => {
  const { context, page } = await signIn(browser, server.url, USERS.agent, '/queue/open');
  try {
    const rows = page.locator('[data-testid=queue] tbody tr');
    await rows.first().waitFor({ timeout: WAIT });
    await page.locator('[data-testid=count-open]').waitFor({ timeout: WAIT });
    await waitLive(page);
    await audit(t, page, 'agent queue (all open)');

    const id = await rows.first().getAttribute('data-ticket-id');
    await page.goto(`/#/tickets/${id}`);
    const view = page.locator('[data-testid=agent-ticket]');
    await view.locator('h1').waitFor({ timeout: WAIT });
    await view.locator('[data-testid=timeline] li').first().waitFor({ timeout: WAIT });
    await view.locator('#at-assignee option').nth(1).waitFor({ state: 'attached', timeout: WAIT });
    await audit(t, page, 'agent ticket view (reply)');
    await view.locator('[data-testid=composer-text]').fill('Borrador de nota');
    await page.keyboard.press('Escape'); // leaves the text box
    await page.keyboard.press('i');
    await page.locator('[data-testid=composer].internal').waitFor();
    await audit(t, page, 'agent ticket view (internal note)');
    await view.locator('[data-testid=composer-text]').fill('');

    await page.goto('/#/phone');
    const phone = page.locator('[data-testid=phone-form]');
    await phone.waitFor({ timeout: WAIT });
    await audit(t, page, 'phone call form');
    await page.locator('#pc-search').fill('Nadie Conocido Zzz');
    await phone.getByText('Nadie coincide').waitFor({ timeout: WAIT });
    await page.locator('[data-testid=add-caller]').click();
    await page.locator('[data-testid=add-caller-form]').waitFor();
    await audit(t, page, 'phone call form, adding a caller');

    await page.locator('#pc-description').focus();
    await page.keyboard.press('Escape');
    await page.keyboard.press('?');
    await page.locator('[data-testid=help-overlay]').waitFor();
    await audit(t, page, 'help overlay');
  } finally {
    await context.close();
  }
});

test('axe: every admin page, with its editor open', async (t) => {
  const { context, page } = await signIn(browser, server.url, USERS.admin, '/admin/users');
  try {
    const sections = [
      ['users', 'Editar: '],
      ['groups', 'Nuevo grupo'],
      ['organisations', 'Nueva organización'],
      ['categories', 'Nueva categoría'],
      ['matrix', null],
      ['auto-close', null],
      ['routing', null],
      ['api-tokens', null],
      ['knowledge', null],
      ['jobs', null],
      ['mailboxes', 'Nuevo buzón'],
      ['inbound-mail', null],
      ['outbox', null],
      ['escalation', 'Nuevo contacto'], // last: the directory is filled in below
    ];
    for (const [section, opener] of sections) {
      await page.goto(`/#/admin/${section}`);
      await page.locator('[data-testid=admin]').waitFor({ timeout: WAIT });
      if (section === 'matrix') {
        await page.locator('[data-testid=admin-matrix] select').nth(8).waitFor({ timeout: WAIT });
      } else if (section === 'auto-close') {
        await page.locator('[data-testid=admin-auto-close] #ac-hours').waitFor({ timeout: WAIT });
      } else if (section === 'routing') {
        await page.locator('[data-testid=routing-by-level]').waitFor({ timeout: WAIT });
      } else if (section === 'api-tokens') {
        await page.locator('[data-testid=admin-token-policy] input[type=radio]').first().waitFor({ timeout: WAIT });
      } else if (section === 'knowledge') {
        await page.locator('[data-testid=kb-agents-publish]').waitFor({ timeout: WAIT });
      } else if (section === 'jobs') {
        await page.locator('[data-testid=admin-jobs] [data-testid=job-count-queued]').waitFor({ timeout: WAIT });
        await page.locator('[data-testid=admin-jobs] tbody tr').first().waitFor({ timeout: WAIT });
      } else if (section === 'mailboxes') {
        await page.locator('[data-testid=admin-mailboxes]').waitFor({ timeout: WAIT });
      } else if (section === 'inbound-mail') {
        await page.locator('[data-testid=admin-inbound] [data-testid=inbound-list]').waitFor({ timeout: WAIT });
      } else if (section === 'outbox') {
        await page.locator('[data-testid=admin-outbox] tbody tr').first().waitFor({ timeout: WAIT });
      } else if (section === 'escalation') {
        // The table, whether or not the demo filled it.
        await page.locator('[data-testid=admin-escalation]').waitFor({ timeout: WAIT });
      } else {
        await page.locator(`[data-testid=admin-${section}] :is(tbody tr, li)`).first().waitFor({ timeout: WAIT });
      }
      await page.waitForLoadState('networkidle');
      await audit(t, page, `admin ${section}`);
      if (opener) {
        // The users page opens an existing user: more controls than a new one.
        await page.getByRole('button', { name: opener }).first().click();
        await page.locator('form.editor').waitFor({ timeout: WAIT });
        await audit(t, page, `admin ${section}, editor open`);
      }
      if (section === 'auto-close') {
        // A field error from the server, tied to its box.
        await page.locator('#ac-hours').fill('0');
        await page.locator('[data-testid=admin-auto-close] button[type=submit]').click();
        await page.locator('#ac-hours-error').waitFor({ timeout: WAIT });
        await audit(t, page, 'admin auto-close, with a field error');
      }
      if (section === 'jobs') {
        // Done jobs: finish times and ticket links.
        await page.goto('/#/admin/jobs/done');
        await page.locator('[data-testid=admin-jobs] tbody tr[data-job-status=done]').first().waitFor({ timeout: WAIT });
        await audit(t, page, 'admin jobs, done');
      }
    }

    // The escalation directory with a contact in it: links and row buttons.
    await page.locator('#e-level').selectOption('2');
    await page.locator('#e-role').fill('Responsable de la mesa de servicio');
    await page.locator('#e-name').fill('Teresa Quintana Demo');
    await page.locator('#e-office').fill('+52 55 0100 0200');
    await page.locator('#e-email').fill('teresa.quintana@demo.example.com');
    await page.locator('#e-mobile').fill('ext. 2200');
    await page.locator('form.editor button[type=submit]').click();
    await page.locator('[data-testid=admin-escalation] tbody tr', { hasText: 'Teresa Quintana Demo' }).waitFor({ timeout: WAIT });
    await audit(t, page, 'admin escalation, one contact');
  } finally {
    await context.close();
  }
});

test('axe: my account, my API tokens, a change review (412), a closed request\'s follow-up, a forced new password', async (t) => {
  const agent = await signIn(browser, server.url, USERS.agent, '/account');
  const other = await signIn(browser, server.url, USERS.agent2, '/queue/open');
  const req = await signIn(browser, server.url, USERS.requester, '/');
  try {
    const { page } = agent;
    await page.locator('[data-testid=account] #acc-tz').waitFor({ timeout: WAIT });
    await audit(t, page, 'my account');
    await page.locator('[data-testid=tokens-link]').click();
    await page.locator('[data-testid=token-form]').waitFor({ timeout: WAIT });
    await page.locator('#tk-name').fill('Para axe');
    await page.locator('[data-testid=token-create]').click();
    await page.locator('[data-testid=token-secret]').waitFor({ timeout: WAIT });
    await audit(t, page, 'my API tokens, a new one shown');
    await page.getByRole('button', { name: 'Revocar el token Para axe' }).click();
    await audit(t, page, 'my API tokens, revoke asked');
    await page.locator('[data-testid=token-list] .confirm button.danger').click();

    // A ticket two agents change at once: the review of what changed.
    const tk = (await call(req.page, 'POST', '/tickets', {
      type: 'incident', subject: 'Revisión de cambios', description: 'Para axe.', impact: 'not_critical', criticality: 'low',
    })).body;
    await page.goto(`/#/tickets/${tk.id}`);
    await page.locator('[data-testid=agent-ticket] h1').waitFor({ timeout: WAIT });
    const seen = await call(other.page, 'GET', `/tickets/${tk.id}`);
    assert.equal((await call(other.page, 'PATCH', `/tickets/${tk.id}`, { criticality: 'high' }, { 'If-Match': seen.etag })).status, 200);
    await page.locator('[data-testid=composer-text]').fill('Respuesta que llega tarde');
    await page.locator('[data-testid=composer-send]').click();
    await page.locator('[data-testid=conflict]').waitFor({ timeout: WAIT });
    await audit(t, page, 'agent ticket view, a change review');
    await page.locator('[data-testid=conflict-discard]').click();
    await page.locator('[data-testid=composer-text]').fill('');

    // The escalation directory, from the agents' menu.
    await page.locator('[data-testid=nav-escalation]').click();
    await page.locator('[data-testid=admin-escalation] tbody tr').first().waitFor({ timeout: WAIT });
    await audit(t, page, 'escalation directory (agent)');

    // The requester: the cancel question, then a closed request and its follow-up.
    const rp = req.page;
    await rp.goto(`/#/tickets/${tk.id}`);
    await rp.locator('[data-testid=cancel-own]').click();
    await rp.locator('[data-testid=cancel-own-confirm]').waitFor();
    await audit(t, rp, 'requester ticket view, cancel asked');
    await rp.locator('[data-testid=cancel-own-yes]').click();
    await rp.locator('[data-testid=closed-note]').waitFor({ timeout: WAIT });
    await audit(t, rp, 'requester ticket view, closed');
    await rp.locator('[data-testid=follow-up]').click();
    await rp.locator('[data-testid=follow-up-intro]').waitFor({ timeout: WAIT });
    await rp.locator('[data-testid=new-request] button[type=submit]').click();
    await rp.locator('[data-testid=new-request] small.error').first().waitFor({ timeout: WAIT });
    await audit(t, rp, 'follow-up request, with an error');

    // At a phone's width, the header's menu open.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/#/queue/open');
    await page.locator('[data-testid=queue] tbody tr').first().waitFor({ timeout: WAIT });
    await page.locator('[data-testid=menu-toggle]').click();
    await audit(t, page, 'queue at 390 px, menu open');
  } finally {
    await agent.context.close();
    await other.context.close();
    await req.context.close();
  }

  // Someone else set the password: the page that asks for a new one.
  const admin = await signIn(browser, server.url, USERS.admin, '/admin/users');
  const email = `axe.clave.${Date.now().toString(36)}@demo.example.com`;
  try {
    const made = await call(admin.page, 'POST', '/users', { role: 'requester', name: 'Clave Axe', email, password: 'primera-clave' });
    assert.equal((await call(admin.page, 'PATCH', `/users/${made.body.id}`, { password: 'puesta-por-admin' })).status, 200);
  } finally {
    await admin.context.close();
  }
  const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1400, height: 900 }, locale: 'es-MX' });
  try {
    const page = await context.newPage();
    await page.goto('/#/');
    await page.locator('input[name=email]').fill(email);
    await page.locator('input[name=password]').fill('puesta-por-admin');
    await page.locator('[data-testid=login-form] button[type=submit]').click();
    await page.locator('[data-testid=change-password]').waitFor({ timeout: WAIT });
    await audit(t, page, 'forced new password');
    await page.locator('[data-testid=password-submit]').click();
    await page.locator('#pw-current-error').waitFor({ timeout: WAIT });
    await audit(t, page, 'forced new password, with errors');
  } finally {
    await context.close();
  }
});

test('axe: knowledge base, its editor and versions, search, help, suggestions, knowledge report', async (t) => {
  const word = `zq${Date.now().toString(36)}`;
  const sup = await signIn(browser, server.url, USERS.supervisor, '/queue/open');
  const req = await signIn(browser, server.url, USERS.requester, '/help');
  try {
    let page = sup.page;
    const made = await call(page, 'POST', '/articles', {
      title: `Impresora atascada ${word}`,
      body: '# Pasos\n\n1. Abra la **bandeja** de la impresora.\n2. Retire el papel.\n\n| Modelo | Bandeja |\n|---|---|\n| A4 | 2 |\n',
      language: 'es-MX',
      visibility: 'public',
      status: 'published',
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const id = made.body.id;
    const edited = await call(page, 'PATCH', `/articles/${id}`, { body: made.body.body + '3. Cierre la bandeja.\n' });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));

    await page.goto('/#/kb');
    await page.locator(`[data-testid=kb-table] tr[data-article-id="${id}"]`).waitFor({ timeout: WAIT });
    await audit(t, page, 'knowledge base list');
    await page.goto(`/#/kb/${id}`);
    await page.locator('[data-testid=article-view] [data-testid=article-body] table').waitFor({ timeout: WAIT });
    await audit(t, page, 'article');
    await page.goto(`/#/kb/${id}/versions`);
    await page.locator('[data-testid=versions] > li').nth(1).waitFor({ timeout: WAIT });
    await audit(t, page, 'article versions');
    await page.goto(`/#/kb/${id}/edit`);
    await page.locator('[data-testid=article-preview] table').waitFor({ timeout: WAIT });
    await audit(t, page, 'article editor with preview');
    await page.goto(`/#/search?q=impresora ${word}`);
    await page.locator('[data-testid=search-results] li mark').first().waitFor({ timeout: WAIT });
    await audit(t, page, 'search results');
    await page.goto('/#/reports/knowledge');
    await page.locator('[data-testid=kb-report-deflections]').waitFor({ timeout: WAIT });
    await audit(t, page, 'knowledge report');

    page = req.page;
    await page.locator('[data-testid=help]').waitFor({ timeout: WAIT });
    await page.locator('[data-testid=help-results] li').first().waitFor({ timeout: WAIT });
    await audit(t, page, 'help');
    await page.goto(`/#/help/${id}`);
    await page.locator('[data-testid=vote-yes]').click();
    await page.locator('[data-testid=vote-notice]', { hasText: /\S/ }).waitFor({ timeout: WAIT });
    await audit(t, page, 'help article, voted');
    await page.goto('/#/new');
    await page.locator('#nr-subject').fill(`impresora atascada ${word}`);
    await page.locator(`[data-testid=suggestions] li[data-article-id="${id}"] [data-testid=suggestion]`).click();
    await page.locator('[data-testid=deflect]').waitFor({ timeout: WAIT });
    await audit(t, page, 'new request with a suggestion open');
  } finally {
    await req.context.close();
    await sup.context.close();
  }
});

test('keyboard alone: from the queue, open a ticket and save an internal note', async () => {
  const { context, page } = await signIn(browser, server.url, USERS.agent, '/queue/open');
  try {
    // Start from a freshly loaded queue, with nothing focused.
    await page.reload();
    const rows = page.locator('[data-testid=queue] tbody tr');
    await rows.nth(1).waitFor({ timeout: WAIT });
    await waitLive(page);
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        return el ? { tag: el.tagName.toLowerCase(), testid: el.getAttribute('data-testid'), cls: el.className, id: el.id } : null;
      });

    // Tab reaches the skip link first; it moves focus to the main content.
    await page.keyboard.press('Tab');
    assert.equal((await focused())?.cls, 'skip', 'the first Tab stop is not the skip link');
    await page.keyboard.press('Enter');
    assert.equal((await focused())?.id, 'main', 'the skip link did not focus the main content');

    // The help overlay opens on ? and closes on Escape, giving the focus back.
    await page.keyboard.press('?');
    await page.locator('[data-testid=help-overlay]').waitFor();
    assert.equal(await page.evaluate(() => !!document.activeElement?.closest('dialog')), true, 'the overlay did not take the focus');
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=help-overlay]').waitFor({ state: 'detached' });
    assert.equal((await focused())?.id, 'main', 'closing the help overlay lost the focus');

    // j and k move through the queue, focusing the row's link; Enter opens it.
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    const selected = page.locator('[data-testid=queue] tbody tr.selected');
    assert.equal(await selected.getAttribute('data-index'), '1');
    const id = await selected.getAttribute('data-ticket-id');
    assert.equal(
      await page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-ticket-id')),
      id,
      'k did not move the focus to the selected row',
    );
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`#/tickets/${id}$`), { timeout: WAIT });
    const view = page.locator('[data-testid=agent-ticket]');
    await view.locator('h1').waitFor({ timeout: WAIT });

    // i switches the composer to an internal note and focuses its text box.
    await page.keyboard.press('i');
    await page.locator('[data-testid=composer].internal').waitFor({ timeout: WAIT });
    assert.equal((await focused())?.testid, 'composer-text');
    const note = `Nota solo con teclado ${Date.now().toString(36)}`;
    await page.keyboard.type(note);

    // Tab goes to the save button; Enter saves.
    await page.keyboard.press('Tab');
    assert.equal((await focused())?.testid, 'composer-send', 'Tab from the text box does not reach the save button');
    await page.keyboard.press('Enter');
    await view.locator('.ev-note', { hasText: note }).waitFor({ timeout: WAIT });

    // Saved, and internal.
    const evs = await apiGet(page, `/tickets/${id}/events`);
    assert.equal(evs.status, 200);
    const saved = evs.body.items.find((e) => e.body === note);
    assert.ok(saved, 'the note is not among the ticket events');
    assert.equal(saved.kind, 'note');
    assert.equal(saved.internal, true);
    await shot(page, 'keyboard-note');

    // Escape goes back to the queue.
    await page.keyboard.press('Escape');
    await page.waitForURL(/#\/queue\/open$/, { timeout: WAIT });
    await rows.first().waitFor({ timeout: WAIT });
  } finally {
    await context.close();
  }
});
