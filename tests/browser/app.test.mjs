// End-to-end scenarios of the web app against the real server and Chromium.
// Run: SERVICEDESK_BIN=build/release/src/servicedesk node --test tests/browser/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, launchBrowser, signIn, shot, USERS, chooseLanguage } from './harness.mjs';

const WAIT = 15_000; // the longest any single expectation may take

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

const unique = (label) => `${label} ${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

async function selectByText(select, text) {
  const value = await select.evaluate(
    (el, t) => [...el.options].find((o) => o.textContent.trim() === t)?.value ?? null,
    text,
  );
  assert.ok(value !== null, `no option "${text}"`);
  await select.selectOption(value);
}

/** Calls the API from the page, with its cookie (GET only). */
async function apiGet(page, path) {
  return page.evaluate(async (p) => {
    const r = await fetch(`/api/v1${p}`, { credentials: 'same-origin' });
    return { status: r.status, body: await r.json() };
  }, path);
}

/**
 * Runs SQL on the server's SQLite file with the sqlite3 CLI, for a state no
 * API call makes (a job of a kind no handler knows). Waits out the server's locks.
 */
function sql(statement) {
  const r = spawnSync('sqlite3', [server.db, '.timeout 5000', statement], { encoding: 'utf8' });
  assert.equal(r.status, 0, `sqlite3 failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Presses the jobs page's Refresh until `locator` shows (the runner works on its own time). */
async function refreshUntil(page, locator) {
  const deadline = Date.now() + WAIT;
  for (;;) {
    try {
      await locator.first().waitFor({ timeout: 500 });
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    await page.locator('[data-testid=jobs-refresh]').click();
  }
}

async function waitLive(page) {
  await page.locator('[data-testid=live-state].live-open').waitFor({ timeout: WAIT });
}

test('requester ticket reaches the agent live; reply yes, note never; resolve and confirm', async () => {
  const agent = await signIn(browser, server.url, USERS.agent, '/queue/open');
  const requester = await signIn(browser, server.url, USERS.requester, '/');
  try {
    const { page: ap } = agent;
    const { page: rp } = requester;
    await ap.locator('[data-testid=queue] tbody tr').first().waitFor({ timeout: WAIT });
    await waitLive(ap);
    await waitLive(rp);
    await shot(rp, 'portal-list');
    await shot(ap, 'queue-open');
    const openCount = ap.locator('[data-testid=count-open]');
    await openCount.waitFor({ timeout: WAIT });
    const openBefore = Number(await openCount.innerText());

    // The requester files a request in plain words.
    const subject = unique('No funciona el escáner');
    await rp.getByRole('link', { name: 'Nueva solicitud' }).first().click();
    const form = rp.locator('[data-testid=new-request]');
    await form.waitFor();
    await form.locator('input[name=type][value=incident]').check();
    await selectByText(form.locator('#nr-category'), 'Impresoras');
    await form.locator('input[name=impact][value=critical]').check();
    await form.locator('input[name=criticality][value=medium]').check();
    await form.locator('#nr-subject').fill(subject);
    await form.locator('#nr-description').fill('El escáner del piso 2 marca error al digitalizar.');
    await shot(rp, 'portal-new-request');
    await form.locator('button[type=submit]').click();
    await rp.locator('[data-testid=portal-ticket] h1', { hasText: subject }).waitFor({ timeout: WAIT });
    const ticketId = Number(new URL(rp.url()).hash.split('/').pop());
    assert.ok(ticketId > 0);

    // It appears in the agent's open queue without a reload.
    const row = ap.locator(`[data-testid=queue] tbody tr[data-ticket-id="${ticketId}"]`);
    await row.waitFor({ timeout: WAIT });
    assert.match(await row.innerText(), /Incidente/);
    await ap.locator('[data-testid=count-open]', { hasText: String(openBefore + 1) }).waitFor({ timeout: WAIT });
    await shot(ap, 'queue-new-ticket-live');

    // The agent opens it, replies, and writes an internal note.
    await row.click();
    const view = ap.locator('[data-testid=agent-ticket]');
    await view.locator('h1', { hasText: subject }).waitFor({ timeout: WAIT });
    await ap.locator('[data-testid=ticket-priority]').waitFor();
    const replyText = unique('Hola, ya revisamos el escáner');
    const noteText = unique('NOTA INTERNA: revisar controlador');
    await ap.keyboard.press('r');
    await ap.locator('[data-testid=composer-text]').fill(replyText);
    await ap.locator('[data-testid=composer-send]').click();
    await view.locator('.ev-reply', { hasText: replyText }).waitFor({ timeout: WAIT });
    await ap.keyboard.press('i');
    await ap.locator('[data-testid=composer].internal').waitFor();
    await ap.locator('[data-testid=composer-text]').fill(noteText);
    await ap.locator('[data-testid=composer-send]').click();
    const note = view.locator('.ev-note', { hasText: noteText });
    await note.waitFor({ timeout: WAIT });
    assert.equal(await note.getAttribute('data-internal'), 'true');
    await shot(ap, 'agent-ticket-view');

    // The requester sees the reply live.
    await rp.locator('[data-testid=timeline] .ev-reply', { hasText: replyText }).waitFor({ timeout: WAIT });

    // The agent starts work and resolves.
    await view.locator('[data-testid=transitions] button[data-to=in_progress]').click();
    await ap.locator('[data-testid=ticket-status].status-in_progress').waitFor({ timeout: WAIT });
    await view.locator('[data-testid=transitions] button[data-to=resolved]').click();
    await ap.locator('[data-testid=ticket-status].status-resolved').waitFor({ timeout: WAIT });

    // The requester sees it resolved (live), and never the note.
    await rp.locator('[data-testid=ticket-status].status-resolved').waitFor({ timeout: WAIT });
    assert.equal(await rp.getByText(noteText).count(), 0, 'the internal note leaked to the requester page');
    const evs = await apiGet(rp, `/tickets/${ticketId}/events`);
    assert.equal(evs.status, 200);
    assert.ok(evs.body.items.every((e) => !e.internal && e.kind !== 'note'));
    await shot(rp, 'portal-ticket-resolved');

    // The requester confirms: closed.
    await rp.locator('[data-testid=confirm]').click();
    await rp.locator('[data-testid=ticket-status].status-closed').waitFor({ timeout: WAIT });
    await ap.locator('[data-testid=ticket-status].status-closed').waitFor({ timeout: WAIT });
    assert.equal(await rp.getByText(noteText).count(), 0);
    const final = await apiGet(ap, `/tickets/${ticketId}`);
    assert.equal(final.body.status, 'closed');
  } finally {
    await agent.context.close();
    await requester.context.close();
  }
});

test('an agent logs a phone call for a caller created on the fly', async () => {
  const { context, page } = await signIn(browser, server.url, USERS.agent, '/queue/mine');
  try {
    await page.locator('[data-testid=queue]').waitFor();
    await page.keyboard.press('p');
    const phone = page.locator('[data-testid=phone-form]');
    await phone.waitFor();
    const tag = Date.now().toString(36);
    const name = `Rogelio Llamada ${tag}`;
    await page.locator('#pc-search').fill(name);
    await phone.getByText('Nadie coincide').waitFor({ timeout: WAIT });
    await page.locator('[data-testid=add-caller]').click();
    await page.locator('#pc-name').fill(name);
    await page.locator('#pc-email').fill(`rogelio.${tag}@demo.example.com`);
    await page.locator('#pc-phone').fill('+52 55 0300 0099');
    await page.locator('[data-testid=add-caller-form] button[type=submit]').click();
    await page.locator('[data-testid=caller-chosen]', { hasText: name }).waitFor({ timeout: WAIT });
    await page.locator('#pc-type').selectOption('incident');
    await page.locator('#pc-impact').selectOption('loss_of_functionality');
    await page.locator('#pc-crit').selectOption('high');
    await page.locator('#pc-subject').fill(`Sin red en oficina ${tag}`);
    await page.locator('#pc-description').fill('Llama para reportar que toda la oficina está sin red.');
    await shot(page, 'phone-form');
    await page.locator('[data-testid=phone-save]').click();
    const done = page.locator('[data-testid=phone-created]');
    await done.waitFor({ timeout: WAIT });
    await done.getByRole('link').click();
    await page.locator('[data-testid=agent-ticket]').waitFor();
    await page.locator('[data-testid=ticket-channel]', { hasText: 'Teléfono' }).waitFor({ timeout: WAIT });
    const id = Number(new URL(page.url()).hash.split('/').pop());
    const tk = await apiGet(page, `/tickets/${id}`);
    assert.equal(tk.body.channel, 'phone');
    assert.equal(tk.body.priority, 'critical');
    const caller = await apiGet(page, `/users/${tk.body.requester_id}`);
    assert.equal(caller.body.name, name);
    assert.equal(caller.body.role, 'requester');
  } finally {
    await context.close();
  }
});

test('Spanish by default, English on switch, kept per user', async () => {
  const { context, page } = await signIn(browser, server.url, USERS.admin, '/queue/open');
  try {
    const header = page.locator('header.topbar');
    await header.getByRole('button', { name: 'Cerrar sesión' }).waitFor();
    await header.getByRole('link', { name: 'Colas' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'es-MX');
    const saved = page.waitForResponse(
      (r) => r.url().includes('/api/v1/users/') && r.request().method() === 'PATCH',
      { timeout: WAIT },
    );
    await chooseLanguage(page, 'en');
    assert.equal((await saved).status(), 200);
    await header.getByRole('button', { name: 'Sign out' }).waitFor();
    await header.getByRole('link', { name: 'Queues' }).waitFor();
    await page.getByRole('link', { name: /All open/ }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    // Saved on the user: a reload keeps English.
    await page.reload();
    await page.locator('header.topbar').getByRole('button', { name: 'Sign out' }).waitFor({ timeout: WAIT });
    await shot(page, 'queue-english');

    // The admin pages, in English, then back to Spanish.
    for (const section of ['users', 'groups', 'organisations', 'categories', 'matrix', 'auto-close', 'escalation', 'jobs']) {
      await page.goto(`/#/admin/${section}`);
      await page.locator('[data-testid=admin]').waitFor();
      if (section === 'matrix') {
        await page.locator('[data-testid=admin-matrix] select').nth(8).waitFor({ timeout: WAIT });
        assert.equal(await page.locator('[data-testid=admin-matrix] select').count(), 9);
      } else {
        await page.locator(`[data-testid=admin-${section}]`).waitFor({ timeout: WAIT });
      }
      await page.waitForLoadState('networkidle');
      await shot(page, `admin-${section}`);
    }
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    await chooseLanguage(page, 'es-MX');
    await page.getByRole('heading', { name: 'Administración' }).waitFor();
    await page.getByRole('link', { name: 'Matriz de prioridad' }).waitFor();
  } finally {
    await context.close();
  }
});

test('admin: escalation directory, priority matrix, category tree, groups', async () => {
  const { context, page } = await signIn(browser, server.url, USERS.admin, '/admin/escalation');
  try {
    // A contact of the escalation directory (fictional).
    await page.locator('[data-testid=admin-escalation]').waitFor({ timeout: WAIT });
    await page.getByRole('button', { name: 'Nuevo contacto' }).click();
    await page.locator('#e-level').selectOption('2');
    await page.locator('#e-role').fill('Responsable de la mesa de servicio');
    await page.locator('#e-name').fill('Teresa Quintana Demo');
    await page.locator('#e-office').fill('+52 55 0100 0200');
    await page.locator('#e-email').fill('teresa.quintana@demo.example.com');
    await page.locator('#e-mobile').fill('ext. 2200');
    await page.getByRole('button', { name: 'Guardar' }).click();
    const row = page.locator('[data-testid=admin-escalation] tbody tr', { hasText: 'Teresa Quintana Demo' });
    await row.waitFor({ timeout: WAIT });
    assert.match(await row.innerText(), /ext\. 2200/);
    await shot(page, 'admin-escalation-filled');

    // One cell of the priority matrix.
    await page.getByRole('link', { name: 'Matriz de prioridad' }).click();
    const cell = page.getByLabel('Prioridad con impacto No crítico y criticidad Baja');
    await cell.waitFor({ timeout: WAIT });
    await cell.selectOption('medium');
    await page.locator('[data-testid=admin-matrix] button[type=submit]').click();
    await page.locator('[data-testid=admin-matrix] .ok').waitFor({ timeout: WAIT });
    const m = await apiGet(page, '/settings/priority-matrix');
    assert.equal(m.body.matrix.not_critical.low, 'medium');

    // A category under Hardware.
    await page.getByRole('link', { name: 'Categorías' }).click();
    await page.getByRole('button', { name: 'Nueva categoría' }).click();
    await page.locator('#c-name').fill('Escáneres');
    await selectByText(page.locator('#c-parent'), 'Hardware');
    await page.getByRole('button', { name: 'Guardar' }).click();
    await page.locator('[data-testid=admin-categories] li', { hasText: 'Escáneres' }).waitFor({ timeout: WAIT });
    const cats = await apiGet(page, '/categories');
    const hw = cats.body.items.find((c) => c.name === 'Hardware');
    assert.equal(cats.body.items.find((c) => c.name === 'Escáneres').parent_id, hw.id);

    // A group serving level 2 with a member.
    await page.getByRole('link', { name: 'Grupos' }).click();
    await page.getByRole('button', { name: 'Nuevo grupo' }).click();
    await page.locator('#g-name').fill('Guardia nocturna');
    await page.locator('#g-level').selectOption('2');
    await page.getByLabel('Ana Torres Demo').check();
    await page.getByRole('button', { name: 'Guardar' }).click();
    const g = page.locator('[data-testid=admin-groups] tbody tr', { hasText: 'Guardia nocturna' });
    await g.waitFor({ timeout: WAIT });
    assert.match(await g.innerText(), /Ana Torres Demo/);
  } finally {
    await context.close();
  }
});

test('two agents on one ticket see each other', async () => {
  const a = await signIn(browser, server.url, USERS.agent, '/queue/open');
  const b = await signIn(browser, server.url, USERS.agent2, '/queue/open');
  try {
    await a.page.locator('[data-testid=queue] tbody tr').first().waitFor({ timeout: WAIT });
    const id = await a.page.locator('[data-testid=queue] tbody tr').first().getAttribute('data-ticket-id');
    await waitLive(a.page);
    await waitLive(b.page);
    await a.page.goto(`/#/tickets/${id}`);
    await b.page.goto(`/#/tickets/${id}`);
    await a.page.locator('[data-testid=presence]', { hasText: 'Ana Torres Demo está viendo' }).waitFor({ timeout: WAIT });
    await b.page.locator('[data-testid=presence]', { hasText: 'Luis Hernández Demo está viendo' }).waitFor({ timeout: WAIT });
    await b.page.locator('[data-testid=composer-text]').fill('Estoy redactando una respuesta');
    await a.page.locator('[data-testid=presence]', { hasText: 'Ana Torres Demo está respondiendo' }).waitFor({ timeout: WAIT });
    await shot(a.page, 'collision');
    // Leaving the ticket clears the presence.
    await b.page.goto('/#/queue/open');
    await a.page.locator('[data-testid=presence]', { hasText: 'Ana Torres' }).waitFor({ state: 'detached', timeout: WAIT });
  } finally {
    await a.context.close();
    await b.context.close();
  }
});

test('keyboard: help overlay, j/k and Enter in a queue, Escape back', async () => {
  const { context, page } = await signIn(browser, server.url, USERS.agent, '/queue/open');
  try {
    await page.locator('[data-testid=queue] tbody tr').nth(2).waitFor({ timeout: WAIT });
    await page.keyboard.press('?');
    await page.locator('[data-testid=help-overlay]').waitFor();
    await shot(page, 'help-overlay', { fullPage: false });
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=help-overlay]').waitFor({ state: 'detached' });
    await page.locator('body').click({ position: { x: 5, y: 400 } });
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    const selected = page.locator('[data-testid=queue] tbody tr.selected');
    const id = await selected.getAttribute('data-ticket-id');
    assert.equal(await selected.getAttribute('data-index'), '1');
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`#/tickets/${id}$`));
    await page.locator('[data-testid=agent-ticket]').waitFor();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Escape');
    await page.waitForURL(/#\/queue\/open$/);
    await page.locator('[data-testid=queue] tbody tr').nth(2).waitFor({ timeout: WAIT });
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.hasAttribute('data-search')), true);

    // Cursor paging: the next page joins the list.
    const rows = page.locator('[data-testid=queue] tbody tr');
    const before = await rows.count();
    await page.locator('[data-testid=load-more]').click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=queue] tbody tr').length > n, before, { timeout: WAIT });
  } finally {
    await context.close();
  }
});

test('admin: background jobs, the daily maintenance queued, a failed job retried', async () => {
  const { context, page } = await signIn(browser, server.url, USERS.admin, '/admin/users');
  try {
    await page.getByRole('link', { name: 'Tareas en segundo plano' }).click();
    await page.waitForURL(/#\/admin\/jobs$/);
    const jobs = page.locator('[data-testid=admin-jobs]');

    // Every server start enqueues the daily maintenance; the queued tab is the first.
    // (Service-level checks of the demo's open tickets are queued too: filter by kind.)
    assert.equal(await jobs.locator('[data-job-tab=queued]').getAttribute('aria-current'), 'page');
    await jobs.locator('[data-testid=job-kind]').selectOption('maintenance.daily');
    const daily = jobs.locator('tbody tr[data-job-kind="maintenance.daily"][data-job-status=queued]');
    await daily.first().waitFor({ timeout: WAIT });
    assert.match(await daily.first().innerText(), /Mantenimiento diario/);
    assert.match(await daily.first().innerText(), /En cola/);
    assert.equal(await daily.first().locator('[data-testid=job-attempts]').innerText(), '0 de 8');
    assert.ok(Number(await jobs.locator('[data-testid=job-count-queued]').innerText()) >= 1);
    assert.equal(await jobs.locator('[data-job-tab=queued]').getAttribute('aria-current'), 'page');

    // The demo's resolved tickets wait for their auto-close; each job links its ticket.
    await jobs.locator('[data-testid=job-kind]').selectOption('ticket.auto_close');
    const closing = jobs.locator('tbody tr[data-job-kind="ticket.auto_close"]').first();
    await closing.waitFor({ timeout: WAIT });
    assert.match(await closing.innerText(), /Cierre automático de ticket/);
    const closingId = Number(await closing.getAttribute('data-job-id'));
    const listed = await apiGet(page, '/admin/jobs?status=queued&kind=ticket.auto_close&limit=200');
    const closingJob = listed.body.items.find((j) => j.id === closingId);
    assert.ok(closingJob, 'the auto-close job shown is not queued');
    assert.equal(await closing.locator('[data-testid=job-ticket]').getAttribute('href'), `#/tickets/${closingJob.payload.ticket_id}`);
    await page.waitForLoadState('networkidle');
    await shot(page, 'admin-jobs-queued');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'admin-jobs-phone');
    await page.setViewportSize({ width: 1400, height: 900 });

    // A job of a kind no handler knows, with a single attempt, due a minute ago.
    const now = Date.now();
    const id = Number(
      sql(
        `INSERT INTO jobs (kind, payload, status, due_at, max_attempts, created_at, updated_at) ` +
          `VALUES ('test.unknown', '{}', 'queued', ${now - 60_000}, 1, ${now}, ${now}); SELECT last_insert_rowid();`,
      ),
    );
    assert.ok(id > 0);
    await jobs.locator('[data-testid=job-kind]').selectOption('');
    await jobs.locator('[data-job-tab=failed]').click();
    await page.waitForURL(/#\/admin\/jobs\/failed$/);
    const row = jobs.locator(`tbody tr[data-job-id="${id}"][data-job-status=failed]`);
    await refreshUntil(page, row);
    assert.match(await row.innerText(), /test\.unknown/);
    assert.match(await row.innerText(), /Fallida/);
    assert.equal(await row.locator('[data-testid=job-attempts]').innerText(), '1 de 1');
    assert.match(await row.locator('.job-error').innerText(), /no handler for jobs of kind test\.unknown/);
    await jobs.locator('[data-testid=job-count-failed].count-alert').waitFor({ timeout: WAIT });
    const failed = (await apiGet(page, '/admin/jobs?status=failed')).body.items.find((j) => j.id === id);
    assert.equal(failed.attempts, 1);
    await shot(page, 'admin-jobs-failed');

    // Retry: queued again with its attempts reset to 0 ...
    const answer = page.waitForResponse(
      (r) => r.url().endsWith(`/api/v1/admin/jobs/${id}/retry`) && r.request().method() === 'POST',
      { timeout: WAIT },
    );
    await row.getByRole('button', { name: `Reintentar la tarea ${id}` }).click();
    const res = await answer;
    assert.equal(res.status(), 200);
    const retried = await res.json();
    assert.equal(retried.status, 'queued');
    assert.equal(retried.attempts, 0);
    const notice = jobs.locator('[data-testid=jobs-notice]', { hasText: `La tarea ${id} volvió a la cola (intento 0 de 1)` });
    await notice.waitFor({ timeout: WAIT });
    assert.equal(await notice.evaluate((el) => el === document.activeElement), true, 'the focus did not go to the outcome');

    // ... and, still without a handler, failed again after one new attempt.
    const again = await (
      await page.waitForFunction(
        async ([jobId, after]) => {
          const r = await fetch('/api/v1/admin/jobs?status=failed', { credentials: 'same-origin' });
          const items = r.ok ? (await r.json()).items : [];
          return items.find((j) => j.id === jobId && j.updated_at > after) ?? null;
        },
        [id, retried.updated_at],
        { timeout: WAIT, polling: 250 },
      )
    ).jsonValue();
    assert.equal(again.attempts, 1);
    assert.equal(again.max_attempts, 1);
    await page.locator('[data-testid=jobs-refresh]').click();
    await row.waitFor({ timeout: WAIT });
    assert.equal(await row.locator('[data-testid=job-attempts]').innerText(), '1 de 1');

    // A done auto-close job leads to its ticket, closed by the desk itself.
    await jobs.locator('[data-job-tab=done]').click();
    await page.waitForURL(/#\/admin\/jobs\/done$/);
    await jobs.locator('[data-testid=job-kind]').selectOption('ticket.auto_close');
    const done = jobs.locator('tbody tr[data-job-kind="ticket.auto_close"][data-job-status=done]');
    await refreshUntil(page, done);
    // The rows of the other kinds go once the filtered page has come.
    await jobs.locator('tbody tr:not([data-job-kind="ticket.auto_close"])').first().waitFor({ state: 'detached', timeout: WAIT });
    assert.equal(await jobs.locator('tbody tr:not([data-job-kind="ticket.auto_close"])').count(), 0);
    await done.first().locator('[data-testid=job-ticket]').click();
    const view = page.locator('[data-testid=agent-ticket]');
    await view.locator('h1').waitFor({ timeout: WAIT });
    await page.locator('[data-testid=ticket-status].status-closed').waitFor({ timeout: WAIT });
    const auto = view.locator('[data-testid=timeline] li[data-actor-type=system]', {
      hasText: 'Mesa de servicio (automático) cerró la solicitud automáticamente porque nadie la confirmó ni la reabrió a tiempo',
    });
    await auto.waitFor({ timeout: WAIT });
    await auto.scrollIntoViewIfNeeded();
    await shot(page, 'agent-ticket-auto-closed');
  } finally {
    await context.close();
  }
});

test('admin: the auto-close policy, with the server errors translated; read-only for a supervisor', async () => {
  const { context, page } = await signIn(browser, server.url, USERS.admin, '/admin/matrix');
  try {
    await page.getByRole('link', { name: 'Cierre automático' }).click();
    const form = page.locator('[data-testid=admin-auto-close]');
    // Found by their labels; the labels change with the language below, the ids do not.
    await form.getByLabel('Horas de espera después de resolver').waitFor({ timeout: WAIT });
    await form.getByLabel('Cerrar automáticamente las solicitudes resueltas').waitFor();
    const enabled = form.locator('[data-testid=auto-close-enabled]');
    const hours = form.locator('#ac-hours');
    assert.equal(await enabled.isChecked(), true);
    assert.equal(await hours.inputValue(), '72');
    await form.locator('[data-testid=auto-close-example]', { hasText: 'se cerraría sola el' }).waitFor();

    // Out of range: the server's field error, by its code, in Spanish ...
    await hours.fill('0');
    await form.getByRole('button', { name: 'Guardar' }).click();
    await form.locator('#ac-hours-error', { hasText: 'Está fuera del rango permitido.' }).waitFor({ timeout: WAIT });
    await form.getByRole('alert').filter({ hasText: 'Revise los datos marcados.' }).waitFor();
    assert.equal(await hours.getAttribute('aria-invalid'), 'true');
    assert.match(await hours.getAttribute('aria-describedby'), /ac-hours-error/);
    await shot(page, 'admin-auto-close-error');

    // ... and in English.
    const saved = page.waitForResponse((r) => r.url().includes('/api/v1/users/') && r.request().method() === 'PATCH', { timeout: WAIT });
    await chooseLanguage(page, 'en');
    await saved;
    await hours.fill('9000');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.locator('#ac-hours-error', { hasText: 'This is out of the allowed range.' }).waitFor({ timeout: WAIT });
    const back = page.waitForResponse((r) => r.url().includes('/api/v1/users/') && r.request().method() === 'PATCH', { timeout: WAIT });
    await chooseLanguage(page, 'es-MX');
    await back;

    // An empty box never reaches the server.
    await hours.fill('');
    await form.getByRole('button', { name: 'Guardar' }).click();
    await form.locator('#ac-hours-error', { hasText: 'Este dato es obligatorio.' }).waitFor({ timeout: WAIT });

    // Off after 48 hours: saved.
    await hours.fill('48');
    await enabled.uncheck();
    await form.locator('[data-testid=auto-close-example]', { hasText: 'Apagado' }).waitFor();
    await form.getByRole('button', { name: 'Guardar' }).click();
    await form.locator('.ok', { hasText: 'Guardado.' }).waitFor({ timeout: WAIT });
    assert.equal(await form.locator('#ac-hours-error').count(), 0);
    assert.deepEqual((await apiGet(page, '/settings/auto-close')).body, { enabled: false, after_hours: 48 });
    await page.reload();
    await hours.waitFor({ timeout: WAIT });
    assert.equal(await hours.inputValue(), '48');
    assert.equal(await enabled.isChecked(), false);
    await shot(page, 'admin-auto-close-off');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'admin-auto-close-phone');
    await page.setViewportSize({ width: 1400, height: 900 });

    // Back as the demo had it.
    await enabled.check();
    await hours.fill('72');
    await form.getByRole('button', { name: 'Guardar' }).click();
    await form.locator('.ok', { hasText: 'Guardado.' }).waitFor({ timeout: WAIT });
    assert.deepEqual((await apiGet(page, '/settings/auto-close')).body, { enabled: true, after_hours: 72 });
  } finally {
    await context.close();
  }

  // A supervisor reads the policy but cannot change it, and has no jobs page.
  const sup = await signIn(browser, server.url, USERS.supervisor, '/admin/auto-close');
  try {
    const form = sup.page.locator('[data-testid=admin-auto-close]');
    const hours = form.getByLabel('Horas de espera después de resolver');
    await hours.waitFor({ timeout: WAIT });
    assert.equal(await hours.inputValue(), '72');
    assert.equal(await hours.isDisabled(), true);
    assert.equal(await form.getByRole('button', { name: 'Guardar' }).count(), 0);
    await form.getByText('Solo un administrador puede cambiar esta política.').waitFor();
    assert.equal(await sup.page.getByRole('link', { name: 'Tareas en segundo plano' }).count(), 0);
    assert.equal((await apiGet(sup.page, '/admin/jobs')).status, 403);
  } finally {
    await sup.context.close();
  }
});
