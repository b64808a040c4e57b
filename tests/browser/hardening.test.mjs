// The web app's part of issue 7 ("Hardening: the weaknesses and defects
// found by trying the desk as an attacker and as its users"): one test per
// item of "The web app, as its users found it" and per web part of the
// security items 6, 8, 13 and 14, against the real server and Chromium.
// Run: SERVICEDESK_BIN=build/release/src/servicedesk node --test tests/browser/hardening.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, signIn, shot, call, USERS, PASSWORD, chooseLanguage } from './harness.mjs';

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

const tag = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

/** Runs `fn` with the demo requester and agent signed in (the agent on the open queue). */
async function withRequesterAndAgent(fn) {
  const req = await signIn(browser, server.url, USERS.requester, '/');
  const agent = await signIn(browser, server.url, USERS.agent, '/queue/open');
  try {
    await fn(req, agent);
  } finally {
    await agent.context.close();
    await req.context.close();
  }
}

/** A request filed by the demo requester through the API, as the portal would. */
async function fileRequest(page, fields = {}) {
  const r = await call(page, 'POST', '/tickets', {
    type: 'incident',
    subject: `Solicitud de prueba ${tag()}`,
    description: 'Creada por la prueba del navegador.',
    impact: 'not_critical',
    criticality: 'low',
    ...fields,
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

/** Moves a ticket through statuses as staff. */
async function moveTo(page, id, ...statuses) {
  for (const to of statuses) {
    const r = await call(page, 'POST', `/tickets/${id}/transitions`, { to });
    assert.equal(r.status, 200, `${to}: ${JSON.stringify(r.body)}`);
  }
}

async function waitLive(page) {
  await page.locator('[data-testid=live-state].live-open').waitFor({ timeout: WAIT });
}

/** Nothing on the page is wider than the viewport (no sideways scrolling). */
async function assertNoSidewaysScroll(page, screen) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert.ok(scroll <= width, `${screen}: the page is ${scroll} px wide in a ${width} px window`);
}

async function pressCtrlEnter(page) {
  await page.keyboard.down('Control');
  await page.keyboard.press('Enter');
  await page.keyboard.up('Control');
}

// ---- The web app, as its users found it ----

test('1: shortcuts never act inside a text box; the reply/note mode is unmistakable; a note stays a note', async () => {
  await withRequesterAndAgent(async (req, agent) => {
    const tk = await fileRequest(req.page);
    const { page } = agent;
    await page.goto(`/#/tickets/${tk.id}`);
    const view = page.locator('[data-testid=agent-ticket]');
    await view.locator('h1', { hasText: tk.subject }).waitFor({ timeout: WAIT });
    const composer = page.locator('[data-testid=composer]');
    const box = page.locator('[data-testid=composer-text]');

    // The incident: a reply sent with Ctrl+Enter, then "i" for a note.
    await page.keyboard.press('r');
    const reply = `Respuesta pública ${tag()}`;
    await page.keyboard.type(reply);
    await pressCtrlEnter(page);
    await view.locator('[data-testid=timeline] .ev-reply', { hasText: reply }).waitFor({ timeout: WAIT });
    await page.keyboard.press('i');
    await page.locator('[data-testid=composer].internal').waitFor({ timeout: WAIT });
    assert.equal(await box.inputValue(), '', 'the "i" went into the box');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'composer-text');
    await page.locator('[data-testid=composer-status]', { hasText: 'Respuesta enviada al solicitante.' }).waitFor();

    // The note mode says so in words, colour, border and placeholder ...
    assert.match(await page.locator('[data-testid=composer-mode]').innerText(), /nota interna.*solo la ve el personal/i);
    assert.match(await box.getAttribute('placeholder'), /el solicitante no la verá/);
    const noteBorder = await composer.evaluate((el) => getComputedStyle(el).borderTopColor);
    await shot(page, 'composer-note-mode');
    // ... and so does the public one (switched with the buttons, on purpose).
    await composer.locator('label', { hasText: 'Respuesta al solicitante' }).click();
    assert.equal(await composer.getAttribute('data-mode'), 'reply');
    assert.match(await page.locator('[data-testid=composer-mode]').innerText(), /respuesta pública.*solicitante/i);
    assert.match(await box.getAttribute('placeholder'), /recibirá el solicitante/);
    assert.match(await page.locator('label[for=at-text]').innerText(), /solicitante/);
    assert.notEqual(await composer.evaluate((el) => getComputedStyle(el).borderTopColor), noteBorder);
    await composer.locator('label', { hasText: 'Nota interna' }).click();
    await box.focus();

    // Inside the box a letter is a letter: "r" does not switch back to public.
    const note = `Nota interna ${tag()} revisar el servidor`;
    await page.keyboard.type(note);
    await page.keyboard.press('r');
    assert.equal(await composer.getAttribute('data-mode'), 'note');
    assert.equal(await box.inputValue(), `${note}r`);
    await page.keyboard.press('Backspace');
    // Out of the box, "r" still does not make a written note public.
    await page.keyboard.press('Escape');
    await page.keyboard.press('r');
    assert.equal(await composer.getAttribute('data-mode'), 'note');
    await page.locator('[data-testid=mode-hint]').waitFor();
    await pressCtrlEnter(page);
    await view.locator('[data-testid=timeline] .ev-note', { hasText: note }).waitFor({ timeout: WAIT });

    const evs = (await call(page, 'GET', `/tickets/${tk.id}/events`)).body.items;
    assert.equal(evs.find((e) => e.body === note)?.internal, true, 'the note was not saved as internal');
    assert.equal(evs.find((e) => e.body === reply)?.internal, false);
    assert.ok(!evs.some((e) => !e.internal && e.body.includes('Nota interna')), 'note text reached the requester');
  });
});

test('2: a reply to a resolved request reopens it and says so; to a closed one it offers a linked follow-up', async () => {
  await withRequesterAndAgent(async (req, agent) => {
    const { page: rp } = req;
    const a = await fileRequest(rp, { subject: `Impresora resuelta ${tag()}` });
    const b = await fileRequest(rp, { subject: `Correo resuelto ${tag()}` });
    await moveTo(agent.page, a.id, 'in_progress', 'resolved');
    await moveTo(agent.page, b.id, 'in_progress', 'resolved');

    // Resolved: the reply reopens it, and the page says so.
    await rp.goto(`/#/tickets/${a.id}`);
    await rp.locator('[data-testid=ticket-status].status-resolved').waitFor({ timeout: WAIT });
    await rp.getByText('Si responde, la solicitud se reabre.').waitFor();
    await rp.locator('[data-testid=portal-reply]').fill('Sigue sin imprimir a doble cara.');
    await rp.locator('[data-testid=portal-send]').click();
    await rp.locator('[data-testid=portal-notice]', { hasText: 'se reabrió' }).waitFor({ timeout: WAIT });
    await rp.locator('[data-testid=ticket-status].status-in_progress').waitFor({ timeout: WAIT });
    assert.equal((await call(rp, 'GET', `/tickets/${a.id}`)).body.status, 'in_progress');

    // Closed while the requester writes: refused (409), said so, and a linked
    // request offered. This page hears no live events (its channel goes
    // nowhere), so the send meets the closed ticket on the server.
    await req.context.routeWebSocket(/\/api\/v1\/live/, () => {});
    await rp.reload();
    await rp.goto(`/#/tickets/${b.id}`);
    await rp.locator('[data-testid=ticket-status].status-resolved').waitFor({ timeout: WAIT });
    const text = `Se volvió a caer el correo ${tag()}`;
    await rp.locator('[data-testid=portal-reply]').fill(text);
    await moveTo(agent.page, b.id, 'closed');
    const refused = rp.waitForResponse((r) => r.url().endsWith(`/tickets/${b.id}/comments`), { timeout: WAIT });
    await rp.locator('[data-testid=portal-send]').click();
    assert.equal((await refused).status(), 409);
    const note = rp.locator('[data-testid=closed-note]');
    await note.waitFor({ timeout: WAIT });
    assert.match(await note.innerText(), /se cerró mientras la escribía/);
    assert.doesNotMatch(await rp.locator('main').innerText(), /follow-up instead|is closed/);
    await shot(rp, 'portal-closed-follow-up');
    await rp.locator('[data-testid=follow-up]').click();
    const form = rp.locator('[data-testid=new-request]');
    await form.waitFor({ timeout: WAIT });
    await rp.locator('[data-testid=follow-up-intro]', { hasText: b.number }).waitFor({ timeout: WAIT });
    assert.equal(await rp.locator('#nr-description').inputValue(), text, 'the unsent reply did not carry over');
    await rp.locator('#nr-subject', { hasText: '' }).waitFor();
    assert.match(await rp.locator('#nr-subject').inputValue(), /Seguimiento/);
    await form.locator('button[type=submit]').click();
    await rp.locator('[data-testid=follow-up-of]', { hasText: b.number }).waitFor({ timeout: WAIT });
    const newId = Number(new URL(rp.url()).hash.split('/').pop());
    const created = (await call(rp, 'GET', `/tickets/${newId}`)).body;
    assert.equal(created.follow_up_of, b.id);
    // And back: the closed one names its follow-up, linked.
    await rp.locator('[data-testid=follow-up-of] a').click();
    const link = rp.locator('[data-testid=timeline] [data-testid=follow-up-link]');
    await link.waitFor({ timeout: WAIT });
    assert.equal(await link.innerText(), created.number);
    assert.equal(await link.getAttribute('href'), `#/tickets/${newId}`);
  });
});

test('2b: tickets with activity the agent has not seen carry an unread mark in the queues', async () => {
  await withRequesterAndAgent(async (req, agent) => {
    const { page } = agent;
    await waitLive(page);
    const tk = await fileRequest(req.page, { subject: `Sin leer ${tag()}` });
    const row = page.locator(`[data-testid=queue] tr[data-ticket-id="${tk.id}"]`);
    // Arrives live, unread.
    await row.locator('[data-testid=unread]').waitFor({ timeout: WAIT });
    assert.match(await row.getAttribute('class'), /\bunread\b/);
    assert.match(await row.locator('[data-testid=unread]').textContent(), /Sin leer/);
    await shot(page, 'queue-unread', { fullPage: false });
    // On a desktop the priority shows once, in its own column (the copy under
    // the status is for phones).
    const shown = await row.evaluate((tr) => [...tr.querySelectorAll('.prio')].filter((e) => e.getClientRects().length).length);
    assert.equal(shown, 1, 'the priority shows twice on a desktop');
    // Opened: read. Back in the queue (loaded from the server), no mark.
    await row.locator('a').click();
    await page.locator('[data-testid=timeline]').waitFor({ timeout: WAIT });
    await page.goto('/#/queue/open');
    await row.waitFor({ timeout: WAIT });
    assert.equal(await row.locator('[data-testid=unread]').count(), 0);
    // What the agent does is not news to them; the requester's answer is.
    await waitLive(page);
    const mine = await call(page, 'POST', `/tickets/${tk.id}/comments`, { body: 'Lo reviso.', internal: true });
    assert.equal(mine.status, 201, JSON.stringify(mine.body));
    await page.waitForTimeout(500);
    assert.equal(await row.locator('[data-testid=unread]').count(), 0);
    const theirs = await call(req.page, 'POST', `/tickets/${tk.id}/comments`, { body: '¿Alguna novedad?' });
    assert.equal(theirs.status, 201, JSON.stringify(theirs.body));
    await row.locator('[data-testid=unread]').waitFor({ timeout: WAIT });
    // And in English.
    await chooseLanguage(page, 'en');
    assert.match(await row.locator('[data-testid=unread]').textContent(), /Unread/);
    await chooseLanguage(page, 'es-MX');
  });
});

test('3: search finds a ticket by its number (Enter opens it) and callers by folded name and phone digits', async () => {
  const { context, page } = await signIn(browser, server.url, USERS.agent, '/queue/open');
  try {
    const search = page.locator('[data-testid=queue] input[data-search]');
    await search.waitFor({ timeout: WAIT });
    assert.match(await search.getAttribute('placeholder'), /folio/i);
    await search.fill('SD-000123');
    await page.locator('[data-testid=queue] tbody tr[data-ticket-id="123"]').waitFor({ timeout: WAIT });
    await search.press('Enter');
    await page.waitForURL(/#\/tickets\/123$/, { timeout: WAIT });
    await page.locator('[data-testid=agent-ticket] .num', { hasText: 'SD-000123' }).waitFor({ timeout: WAIT });
    await page.goto('/#/queue/open');
    await search.fill('123');
    await search.press('Enter');
    await page.waitForURL(/#\/tickets\/123$/, { timeout: WAIT });

    // The caller look-up at the phone: accents, case and spacing aside.
    await page.goto('/#/phone');
    const lookup = page.locator('#pc-search');
    await lookup.fill('5502000001');
    await page.locator('[data-testid=caller-results] button', { hasText: 'Carmen Ortiz Demo' }).waitFor({ timeout: WAIT });
    await lookup.fill('PAULA RIOS');
    await page.locator('[data-testid=caller-results] button', { hasText: 'Paula Ríos Demo' }).waitFor({ timeout: WAIT });
  } finally {
    await context.close();
  }
});

test('4: a second caller with the same name and phone is a warning that offers the first', async () => {
  const { context, page } = await signIn(browser, server.url, USERS.agent, '/phone');
  try {
    const name = `Pedro Páramo ${tag()}`;
    const first = await call(page, 'POST', '/users', { role: 'requester', name, phone: '55 1234 5678' });
    assert.equal(first.status, 201);
    await page.locator('#pc-search').fill('zz nadie se llama así');
    await page.getByText('Nadie coincide').waitFor({ timeout: WAIT });
    await page.locator('[data-testid=add-caller]').click();
    await page.locator('#pc-name').fill(name);
    await page.locator('#pc-phone').fill('5512345678');
    await page.locator('[data-testid=add-caller-form] button[type=submit]').click();
    const warning = page.locator('[data-testid=duplicate-caller]');
    await warning.waitFor({ timeout: WAIT });
    assert.match(await warning.innerText(), /Ya hay alguien dado de alta con ese nombre y teléfono/);
    assert.match(await warning.innerText(), new RegExp(name));
    assert.doesNotMatch(await page.locator('[data-testid=phone-form]').innerText(), /a caller with that name/);
    await shot(page, 'phone-duplicate-caller');
    await page.locator('[data-testid=use-existing]').click();
    await page.locator('[data-testid=caller-chosen]', { hasText: name }).waitFor({ timeout: WAIT });
    const callers = (await call(page, 'GET', `/users?role=requester&q=${encodeURIComponent(name)}`)).body.items;
    assert.equal(callers.length, 1, 'a second caller was created');

    // "Someone else": created anyway, on purpose.
    await page.locator('[data-testid=caller-chosen] button').click();
    await page.locator('#pc-search').fill('zz nadie se llama así tampoco');
    await page.getByText('Nadie coincide').waitFor({ timeout: WAIT });
    await page.locator('[data-testid=add-caller]').click();
    await page.locator('#pc-name').fill(name);
    await page.locator('#pc-phone').fill('55 1234 5678');
    await page.locator('[data-testid=add-caller-form] button[type=submit]').click();
    await page.locator('[data-testid=create-anyway]').click();
    await page.locator('[data-testid=caller-chosen]', { hasText: name }).waitFor({ timeout: WAIT });
    const after = (await call(page, 'GET', `/users?role=requester&q=${encodeURIComponent(name)}`)).body.items;
    assert.equal(after.length, 2);
  } finally {
    await context.close();
  }
});

test('5: one long unbroken word never makes a page wider than the window', async () => {
  await withRequesterAndAgent(async (req, agent) => {
    const word = `https://intranet.example.com/${'carpeta/'.repeat(20)}${'x'.repeat(3000)}`;
    const path = `\\\\servidor\\compartido\\${'a'.repeat(150)}`;
    const tk = await fileRequest(req.page, { subject: path, description: `Ruta: ${word}` });
    assert.equal((await call(agent.page, 'POST', `/tickets/${tk.id}/comments`, { body: word, internal: false })).status, 201);
    for (const width of [1400, 390]) {
      for (const { page } of [agent, req]) await page.setViewportSize({ width, height: 900 });
      await agent.page.goto(`/#/tickets/${tk.id}`);
      await agent.page.locator('[data-testid=timeline] .ev-reply').first().waitFor({ timeout: WAIT });
      await assertNoSidewaysScroll(agent.page, `agent ticket at ${width}`);
      if (width === 390) await shot(agent.page, 'long-word-agent-ticket-phone');
      await agent.page.goto(`/#/queue/open?q=${tk.id}`);
      await agent.page.locator(`[data-testid=queue] tbody tr[data-ticket-id="${tk.id}"]`).waitFor({ timeout: WAIT });
      await assertNoSidewaysScroll(agent.page, `queue at ${width}`);
      await req.page.goto('/#/');
      await req.page.locator(`[data-testid=portal-list] tr[data-ticket-id="${tk.id}"]`).waitFor({ timeout: WAIT });
      await assertNoSidewaysScroll(req.page, `portal list at ${width}`);
      await req.page.goto(`/#/tickets/${tk.id}`);
      await req.page.locator('[data-testid=timeline] .ev-reply').first().waitFor({ timeout: WAIT });
      await assertNoSidewaysScroll(req.page, `portal ticket at ${width}`);
    }
  });
});

test('6: "Cancel my request" asks first', async () => {
  const { context, page } = await signIn(browser, server.url, USERS.requester, '/');
  try {
    const tk = await fileRequest(page);
    await page.goto(`/#/tickets/${tk.id}`);
    await page.locator('[data-testid=ticket-status].status-new').waitFor({ timeout: WAIT });
    let posted = 0;
    page.on('request', (r) => {
      if (r.url().endsWith(`/tickets/${tk.id}/transitions`)) posted++;
    });
    await page.getByRole('button', { name: 'Cancelar mi solicitud' }).click();
    const ask = page.locator('[data-testid=cancel-own-confirm]');
    await ask.waitFor({ timeout: 2000 }).catch(() => {});
    assert.equal(posted, 0, 'one click cancelled the request');
    await ask.waitFor();
    assert.match(await ask.innerText(), new RegExp(`¿Cancelar la solicitud ${tk.number}\\?`));
    await shot(page, 'portal-cancel-confirm');
    await page.locator('[data-testid=cancel-own-no]').click();
    assert.equal((await call(page, 'GET', `/tickets/${tk.id}`)).body.status, 'new');
    await page.locator('[data-testid=cancel-own]').click();
    await page.locator('[data-testid=cancel-own-yes]').click();
    await page.locator('[data-testid=ticket-status].status-cancelled').waitFor({ timeout: WAIT });
    assert.equal(posted, 1);
  } finally {
    await context.close();
  }
});

test('7: a move down a level shows as a return, in both languages', async () => {
  await withRequesterAndAgent(async (req, agent) => {
    const tk = await fileRequest(req.page, { impact: 'critical', criticality: 'medium' });
    assert.equal((await call(agent.page, 'GET', `/tickets/${tk.id}`)).body.support_level, 2);
    const { page } = agent;
    await page.goto(`/#/tickets/${tk.id}`);
    const form = page.locator('[data-testid=escalate]');
    await form.waitFor({ timeout: WAIT });
    await page.locator('#at-esc-level').selectOption('1');
    await page.locator('#at-esc-reason').fill('Es una consulta sencilla de primer nivel.');
    const submit = form.locator('button[type=submit]');
    assert.equal(await submit.innerText(), 'Regresar al nivel 1');
    await submit.click();
    const ret = page.locator('[data-testid=timeline] li[data-kind=return]');
    await ret.waitFor({ timeout: WAIT });
    assert.match(await ret.innerText(), /regresó el ticket del nivel 2 al nivel 1/);
    assert.doesNotMatch(await ret.innerText(), /escaló/);
    await shot(page, 'agent-ticket-return');
    await chooseLanguage(page, 'en');
    await page.locator('[data-testid=timeline] li[data-kind=return]', { hasText: 'returned the ticket from level 2 to level 1' }).waitFor({ timeout: WAIT });
    await chooseLanguage(page, 'es-MX');
    await page.locator('[data-testid=timeline] li[data-kind=return]', { hasText: 'regresó' }).waitFor({ timeout: WAIT });
  });
});

test('8: at 390 px the header folds and lists keep the number, the subject and the status in view', async () => {
  const agent = await signIn(browser, server.url, USERS.supervisor, '/queue/open');
  const req = await signIn(browser, server.url, USERS.requester, '/');
  try {
    for (const { page } of [agent, req]) await page.setViewportSize({ width: 390, height: 844 });
    const { page } = agent;
    await page.locator('[data-testid=queue] tbody tr').nth(5).waitFor({ timeout: WAIT });
    const header = page.locator('header.topbar');
    const folded = await header.boundingBox();
    assert.ok(folded.height <= 64, `the folded header is ${folded.height} px tall`);
    assert.equal(await page.locator('header.topbar nav').isVisible(), false);
    await shot(page, 'queue-phone', { fullPage: false });
    await page.locator('[data-testid=menu-toggle]').click();
    await page.locator('header.topbar nav').getByRole('link', { name: 'Colas' }).waitFor();
    await shot(page, 'queue-phone-menu', { fullPage: false });
    await page.locator('[data-testid=menu-toggle]').click();
    await assertNoSidewaysScroll(page, 'queue at 390');
    const badges = await page.locator('[data-testid=queue] tbody tr [data-testid=row-status]').evaluateAll((els) =>
      els.slice(0, 10).map((el) => {
        const r = el.getBoundingClientRect();
        return { right: r.right, width: r.width };
      }),
    );
    assert.ok(badges.length >= 5);
    for (const b of badges) assert.ok(b.width > 0 && b.right <= 390, `a status is off-screen (${JSON.stringify(b)})`);

    const rp = req.page;
    await rp.locator('[data-testid=portal-list] tbody tr').first().waitFor({ timeout: WAIT });
    await assertNoSidewaysScroll(rp, 'portal list at 390');
    const statuses = await rp.locator('[data-testid=portal-list] [data-testid=status]').evaluateAll((els) =>
      els.slice(0, 10).map((el) => el.getBoundingClientRect().right),
    );
    for (const right of statuses) assert.ok(right <= 390, `a status is off-screen at ${right}`);
    await shot(rp, 'portal-list-phone', { fullPage: false });
  } finally {
    await agent.context.close();
    await req.context.close();
  }
});

test('9: every message in the user’s language: lock-out in minutes, limits, counts, no server English, no browser bubbles', async () => {
  // A throwaway account to lock out (the demo's must keep working).
  const lockEmail = `bloqueo.${tag()}@demo.example.com`;
  const admin = await signIn(browser, server.url, USERS.admin, '/admin/users');
  try {
    const { page } = admin;
    // A taken email: said in Spanish, not the server's English.
    await page.getByRole('button', { name: 'Nuevo usuario' }).click();
    await page.locator('#u-name').fill('Otra Carmen');
    await page.locator('#u-email').fill(USERS.requester);
    await page.locator('form.editor button[type=submit]').click();
    await page.locator('form.editor [role=alert]', { hasText: 'Ya existe un usuario con ese correo.' }).waitFor({ timeout: WAIT });
    assert.doesNotMatch(await page.locator('main').innerText(), /a user with that email exists/);
    assert.equal(await page.evaluate(() => [...document.forms].every((f) => f.noValidate)), true);
    // A name over the limit: the limit is said.
    await page.locator('#u-name').fill('N'.repeat(201));
    await page.locator('#u-email').fill(`largo.${tag()}@demo.example.com`);
    await page.locator('form.editor button[type=submit]').click();
    await page.locator('#u-name-error', { hasText: 'máximo 200 caracteres' }).waitFor({ timeout: WAIT });
    const made = await call(page, 'POST', '/users', { role: 'requester', name: 'Cuenta Bloqueada', email: lockEmail, password: PASSWORD });
    assert.equal(made.status, 201);
  } finally {
    await admin.context.close();
  }

  const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1400, height: 900 }, locale: 'es-MX' });
  try {
    const page = await context.newPage();
    await page.goto('/#/');
    // Empty boxes: our words, no browser bubble (the form does not validate itself).
    await page.locator('[data-testid=login-form] button[type=submit]').click();
    const alert = page.locator('[data-testid=login-form] [role=alert]');
    await alert.filter({ hasText: 'Escriba su correo electrónico.' }).waitFor({ timeout: WAIT });
    assert.equal(await page.locator('[data-testid=login-form]').evaluate((f) => f.noValidate), true);
    // Lock-out time in minutes, pluralised.
    for (let i = 0; i < 6; ++i) {
      await page.locator('input[name=email]').fill(lockEmail);
      await page.locator('input[name=password]').fill(`incorrecta-${i}`);
      await page.locator('[data-testid=login-form] button[type=submit]').click();
      await alert.filter({ hasText: /incorrectos|minuto/ }).waitFor({ timeout: WAIT });
      if (/minuto/.test(await alert.innerText())) break;
    }
    const text = await alert.innerText();
    assert.match(text, /Intente de nuevo en \d+ minutos?\./);
    assert.doesNotMatch(text, /segundos/);
    await shot(page, 'login-locked-out');
  } finally {
    await context.close();
  }

  const agent = await signIn(browser, server.url, USERS.agent, '/queue/open');
  try {
    const { page } = agent;
    // Counts pluralised: one ticket, not "1 tickets".
    await page.goto('/#/queue/open?q=SD-000123&status=all');
    await page.locator('[data-testid=queue-showing]', { hasText: '1 ticket mostrado' }).waitFor({ timeout: WAIT });
    await chooseLanguage(page, 'en');
    await page.locator('[data-testid=queue-showing]', { hasText: '1 ticket shown' }).waitFor({ timeout: WAIT });
    // In English, a reply over the limit says the limit in English.
    await page.goto('/#/tickets/123');
    await page.locator('[data-testid=composer-text]').waitFor({ timeout: WAIT });
    await page.locator('[data-testid=composer-text]').fill('x'.repeat(100_001));
    await page.locator('[data-testid=composer-send]').click();
    await page.locator('[data-testid=composer-error]', { hasText: /100,001 characters and the limit is 100,000/ }).waitFor({ timeout: WAIT });
    await page.locator('[data-testid=composer-text]').fill('');
    await chooseLanguage(page, 'es-MX');
  } finally {
    await agent.context.close();
  }

  // A request with empty boxes, in English, from the portal's own checks.
  const req = await signIn(browser, server.url, USERS.requester, '/new');
  try {
    const { page } = req;
    await chooseLanguage(page, 'en');
    const form = page.locator('[data-testid=new-request]');
    await form.getByRole('button', { name: 'Send request' }).click();
    await page.locator('[data-testid=nr-subject-error]', { hasText: 'This is required.' }).waitFor({ timeout: WAIT });
    assert.equal(await form.evaluate((f) => f.noValidate), true);
    assert.equal(await page.locator('#nr-subject').getAttribute('aria-invalid'), 'true');
    await chooseLanguage(page, 'es-MX');
  } finally {
    await req.context.close();
  }
});

test('10: the requester reads re-triage as a plain sentence, without staff wording or a "public" badge', async () => {
  await withRequesterAndAgent(async (req, agent) => {
    const tk = await fileRequest(req.page, { impact: 'loss_of_functionality', criticality: 'high' });
    const r = await call(agent.page, 'PATCH', `/tickets/${tk.id}`, { impact: 'not_critical', criticality: 'low', type: 'information_request' });
    assert.equal(r.status, 200);
    assert.equal((await call(agent.page, 'POST', `/tickets/${tk.id}/comments`, { body: 'Lo revisamos.', internal: false })).status, 201);
    const { page } = req;
    await page.goto(`/#/tickets/${tk.id}`);
    const timeline = page.locator('[data-testid=timeline]');
    await timeline.locator('.ev-reply').waitFor({ timeout: WAIT });
    const text = await timeline.innerText();
    assert.match(text, /revisó la clasificación de la solicitud/);
    assert.equal((text.match(/revisó la clasificación/g) ?? []).length, 1, 'one sentence for one re-triage');
    assert.doesNotMatch(text, /cambió|impacto|criticidad|Pérdida de funcionalidad|No crítico/);
    assert.equal(await page.locator('[data-testid=timeline] .tag-public').count(), 0);
    assert.doesNotMatch(text, /Pública/);
    await shot(page, 'portal-retriaged');
    // Staff still see the fields.
    await agent.page.goto(`/#/tickets/${tk.id}`);
    await agent.page.locator('[data-testid=timeline] li[data-field=impact]', { hasText: 'Pérdida de funcionalidad → No crítico' }).waitFor({ timeout: WAIT });
  });
});

test('11: "mark as assigned" is not offered while nobody is assigned', async () => {
  await withRequesterAndAgent(async (req, agent) => {
    const tk = await fileRequest(req.page);
    const { page } = agent;
    await page.goto(`/#/tickets/${tk.id}`);
    const buttons = page.locator('[data-testid=transitions]');
    await buttons.locator('button[data-to=in_progress]').waitFor({ timeout: WAIT });
    assert.equal(await buttons.locator('button[data-to=assigned]').count(), 0);
    await page.locator('[data-testid=needs-assignee]').waitFor();
    await page.locator('[data-testid=assign-to-me]').click();
    await page.locator('[data-testid=ticket-status].status-assigned').waitFor({ timeout: WAIT });
    assert.equal((await call(page, 'GET', `/tickets/${tk.id}`)).body.assignee_id, 3);
  });
});

test('12a: reply drafts survive leaving the ticket and an expired session', async () => {
  await withRequesterAndAgent(async (req, agent) => {
    const tk = await fileRequest(req.page);
    const { page, context } = agent;
    await page.goto(`/#/tickets/${tk.id}`);
    await page.locator('[data-testid=composer-text]').waitFor({ timeout: WAIT });
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('i');
    const draft = `Borrador de nota ${tag()}`;
    await page.keyboard.type(draft);
    await page.goto('/#/queue/open');
    await page.locator('[data-testid=queue] tbody tr').first().waitFor({ timeout: WAIT });
    await page.goto(`/#/tickets/${tk.id}`);
    await page.locator('[data-testid=composer].internal').waitFor({ timeout: WAIT });
    assert.equal(await page.locator('[data-testid=composer-text]').inputValue(), draft);

    // The session ends (cookie gone): sign in again, the draft is there.
    await context.clearCookies();
    await page.reload();
    await page.locator('[data-testid=login-form]').waitFor({ timeout: WAIT });
    await page.locator('input[name=email]').fill(USERS.agent);
    await page.locator('input[name=password]').fill(PASSWORD);
    await page.locator('[data-testid=login-form] button[type=submit]').click();
    await page.locator('[data-testid=composer].internal').waitFor({ timeout: WAIT });
    assert.equal(await page.locator('[data-testid=composer-text]').inputValue(), draft);

    // The requester's reply box keeps its draft too.
    await req.page.goto(`/#/tickets/${tk.id}`);
    await req.page.locator('[data-testid=portal-reply]').fill('Borrador del solicitante');
    await req.page.goto('/#/');
    await req.page.goto(`/#/tickets/${tk.id}`);
    await req.page.locator('[data-testid=portal-reply]').waitFor({ timeout: WAIT });
    assert.equal(await req.page.locator('[data-testid=portal-reply]').inputValue(), 'Borrador del solicitante');
  });
});

test('12b: filters and sort live in the address; queue filters are labelled and readable', async () => {
  const { context, page } = await signIn(browser, server.url, USERS.agent, '/queue/open');
  try {
    await page.locator('[data-testid=queue] tbody tr').first().waitFor({ timeout: WAIT });
    await page.locator('[data-testid=filter-type]').selectOption('incident');
    await page.getByRole('button', { name: 'Ordenar por Prioridad' }).click();
    await page.waitForURL(/#\/queue\/open\?.*type=incident/, { timeout: WAIT });
    await page.waitForURL(/sort=-priority/, { timeout: WAIT });
    await page.reload();
    await page.locator('[data-testid=queue] tbody tr').first().waitFor({ timeout: WAIT });
    assert.equal(await page.locator('[data-testid=filter-type]').inputValue(), 'incident');
    assert.equal(await page.locator('th[aria-sort=descending]').innerText().then((s) => s.includes('Prioridad')), true);
    const types = await page.locator('[data-testid=queue] tbody tr td:nth-child(3)').allInnerTexts();
    assert.ok(types.length > 0 && types.every((x) => x === 'Incidente'), types.join(','));
    // Back from a ticket: the same filtered list.
    await page.locator('[data-testid=queue] tbody tr a').first().click();
    await page.locator('[data-testid=agent-ticket] h1').waitFor({ timeout: WAIT });
    await page.locator('[data-testid=agent-ticket] a.back').click();
    await page.waitForURL(/type=incident/, { timeout: WAIT });

    // Each filter has a visible label, and its box is wide enough for what it shows.
    for (const id of ['filter-status', 'filter-type', 'filter-priority', 'filter-level', 'filter-assignee', 'filter-group']) {
      const sel = page.locator(`[data-testid=${id}]`);
      const label = await sel.evaluate((el) => el.closest('label')?.querySelector('span')?.getBoundingClientRect().width ?? 0);
      assert.ok(label > 0, `${id} has no visible label`);
      // Wide enough for its longest choice, in its own font (not squeezed into a table cell).
      const fits = await sel.evaluate((el) => {
        const c = document.createElement('canvas').getContext('2d');
        c.font = getComputedStyle(el).font;
        const need = Math.max(...[...el.options].map((o) => c.measureText(o.text).width));
        return { need: Math.round(need), have: el.clientWidth, size: parseFloat(getComputedStyle(el).fontSize) };
      });
      assert.ok(fits.have >= fits.need + 16, `${id}: ${fits.need} px of text in a ${fits.have} px box`);
      assert.ok(fits.size >= 13, `${id}: ${fits.size} px text`);
    }
    await shot(page, 'queue-filters');
  } finally {
    await context.close();
  }
});

test('12c: each role lands on a useful queue; agents reach the escalation directory; the header fits 1366 px', async () => {
  for (const [who, landing] of [
    [USERS.supervisor, 'open'],
    [USERS.admin, 'open'],
    [USERS.agent, 'mine'],
  ]) {
    const { context, page } = await signIn(browser, server.url, who, '/');
    try {
      await page.locator(`[data-testid=queue] .tabs a[data-queue=${landing}][aria-current=page]`).waitFor({ timeout: WAIT });
      await page.setViewportSize({ width: 1366, height: 768 });
      for (const lang of ['es-MX', 'en']) {
        await chooseLanguage(page, lang);
        await page.locator('header.topbar nav a').first().waitFor();
        const { height, tops } = await page.evaluate(() => {
          const h = document.querySelector('header.topbar');
          const items = [...h.querySelectorAll('nav a, .tools > *, .brand')].filter((e) => e.getClientRects().length);
          return { height: h.getBoundingClientRect().height, tops: items.map((e) => Math.round(e.getBoundingClientRect().top)) };
        });
        assert.ok(height <= 60, `${who} ${lang}: the header is ${height} px tall at 1366 px`);
        assert.ok(Math.max(...tops) - Math.min(...tops) <= 12, `${who} ${lang}: the header wraps (${tops})`);
      }
      await chooseLanguage(page, 'es-MX');
      if (who === USERS.admin) await shot(page, 'header-1366', { fullPage: false });
      if (who === USERS.agent) {
        await page.locator('[data-testid=nav-escalation]').click();
        await page.locator('[data-testid=admin-escalation] tbody tr').first().waitFor({ timeout: WAIT });
        assert.equal(await page.getByRole('button', { name: 'Nuevo contacto' }).count(), 0);
      }
    } finally {
      await context.close();
    }
  }
});

test('12e: supervisors manage groups; agents see no groups section', async () => {
  const name = `Grupo de guardia ${tag()}`;
  const { context, page } = await signIn(browser, server.url, USERS.supervisor, '/admin/groups');
  try {
    await page.locator('[data-testid=admin-groups]').waitFor({ timeout: WAIT });
    await page.getByRole('button', { name: 'Nuevo grupo' }).click();
    await page.locator('#g-name').fill(name);
    await page.locator('#g-level').selectOption('2');
    await page.locator('fieldset.members input[type=checkbox]').first().check();
    await page.getByRole('button', { name: 'Guardar' }).click();
    const row = page.locator('[data-testid=admin-groups] tbody tr', { hasText: name });
    await row.waitFor({ timeout: WAIT });
    const groups = await call(page, 'GET', '/groups');
    const saved = groups.body.items.find((g) => g.name === name);
    assert.ok(saved, 'the group was not saved');
    assert.equal(saved.support_level, 2);
    assert.equal(saved.member_ids.length, 1);
  } finally {
    await context.close();
  }
  const agent = await signIn(browser, server.url, USERS.agent, '/admin');
  try {
    await agent.page.locator('[data-testid=admin] nav.tabs a').first().waitFor({ timeout: WAIT });
    assert.equal(await agent.page.locator('[data-testid=admin] nav.tabs a[href$="/admin/groups"]').count(), 0);
    const r = await call(agent.page, 'POST', '/groups', { name: `x ${tag()}`, support_level: 1 });
    assert.equal(r.status, 403);
  } finally {
    await agent.context.close();
  }
});

test('12d: time zone from a list, links in text clickable and safe, a favicon, "Organización: Ninguna"', async () => {
  const agent = await signIn(browser, server.url, USERS.agent, '/queue/open');
  try {
    const { page } = agent;
    // The time zone is a list (Intl's zones), saved on the account.
    await page.locator('[data-testid=nav-account]').click();
    const tz = page.locator('#acc-tz');
    await tz.waitFor({ timeout: WAIT });
    assert.equal(await tz.evaluate((el) => el.tagName), 'SELECT');
    assert.ok((await tz.locator('option').count()) > 100);
    await tz.selectOption('Europe/Madrid');
    await page.locator('[data-testid=preferences-save]').click();
    await page.locator('[data-testid=preferences] .ok').waitFor({ timeout: WAIT });
    assert.equal((await call(page, 'GET', '/auth/me')).body.timezone, 'Europe/Madrid');
    await tz.selectOption('America/Mexico_City');
    await page.locator('[data-testid=preferences-save]').click();
    await page.locator('[data-testid=preferences] .ok').waitFor({ timeout: WAIT });
    await shot(page, 'account');

    // A caller with no organisation; a reply with links, one of them not a web link.
    const caller = (await call(page, 'POST', '/users', { role: 'requester', name: `Sin Organización ${tag()}`, phone: '55 9999 0000' })).body;
    const tk = (await call(page, 'POST', '/tickets', {
      type: 'incident', subject: 'Enlaces', description: 'Ver https://example.com/guia?paso=2.', impact: 'not_critical',
      criticality: 'low', requester_id: caller.id, channel: 'phone',
    })).body;
    const body = 'Guía: https://example.com/vpn (paso 3), correo mailto:ayuda@example.com y javascript:alert(1) no.';
    assert.equal((await call(page, 'POST', `/tickets/${tk.id}/comments`, { body, internal: false })).status, 201);
    await page.goto(`/#/tickets/${tk.id}`);
    const reply = page.locator('[data-testid=timeline] .ev-reply');
    await reply.waitFor({ timeout: WAIT });
    const link = reply.locator('a[href="https://example.com/vpn"]');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await reply.locator('a[href="mailto:ayuda@example.com"]').count(), 1);
    assert.equal(await page.locator('a[href^="javascript:"]').count(), 0);
    assert.match(await reply.innerText(), /javascript:alert\(1\) no\./);
    assert.equal(await page.locator('.description a[href="https://example.com/guia?paso=2"]').count(), 1);
    assert.equal(await page.locator('[data-testid=requester-organisation]').innerText(), 'Ninguna');

    // A favicon, served.
    const icon = await page.locator('link[rel=icon]').getAttribute('href');
    assert.ok(icon);
    const res = await page.request.get(new URL(icon, server.url).href);
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-type'], /^image\//);
  } finally {
    await agent.context.close();
  }

  const admin = await signIn(browser, server.url, USERS.admin, '/admin/users');
  try {
    const { page } = admin;
    await page.getByRole('button', { name: 'Nuevo usuario' }).click();
    assert.equal(await page.locator('#u-tz').evaluate((el) => el.tagName), 'SELECT');
    assert.equal(await page.locator('#u-org option').first().innerText(), 'Ninguna');
  } finally {
    await admin.context.close();
  }
});

// ---- Security items, web parts ----

test('S6: one’s own password needs the current one; API tokens listed, created with an expiry, shown once, revoked; settings', async () => {
  const { context, page } = await signIn(browser, server.url, USERS.agent2, '/account');
  try {
    const form = page.locator('[data-testid=change-password]');
    await form.waitFor({ timeout: WAIT });
    await page.locator('#pw-current').fill('no-es-la-actual');
    await page.locator('#pw-new').fill('nueva-clave-2026');
    await page.locator('#pw-repeat').fill('nueva-clave-2026');
    await page.locator('[data-testid=password-submit]').click();
    await page.locator('#pw-current-error', { hasText: 'No es su contraseña actual.' }).waitFor({ timeout: WAIT });
    await page.locator('#pw-current').fill(PASSWORD);
    await page.locator('[data-testid=password-submit]').click();
    await page.locator('[data-testid=password-changed]').waitFor({ timeout: WAIT });
    // Still signed in here; the new password works, and back to the demo's.
    assert.equal((await call(page, 'GET', '/auth/me')).status, 200);
    const back = await call(page, 'PATCH', `/users/${(await call(page, 'GET', '/auth/me')).body.id}`, {
      password: PASSWORD, current_password: 'nueva-clave-2026',
    });
    assert.equal(back.status, 200);

    // My API tokens.
    await page.locator('[data-testid=tokens-link]').click();
    const tokens = page.locator('[data-testid=tokens]');
    await tokens.waitFor({ timeout: WAIT });
    await page.locator('#tk-name').fill('Monitoreo');
    await page.locator('[data-testid=token-expiry]').selectOption('30');
    await page.locator('[data-testid=token-create]').click();
    const secret = page.locator('[data-testid=token-secret]');
    await secret.waitFor({ timeout: WAIT });
    const value = await secret.inputValue();
    assert.ok(value.length >= 20);
    const row = page.locator('[data-testid=token-list] tbody tr', { hasText: 'Monitoreo' });
    await row.waitFor({ timeout: WAIT });
    assert.match(await row.innerText(), /Sin usar/);
    const listed = (await call(page, 'GET', '/tokens')).body.items.find((x) => x.name === 'Monitoreo');
    assert.ok(listed.expires_at, 'no expiry was set');
    const days = (Date.parse(listed.expires_at) - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days < 31, `expires in ${days} days`);
    // The token works, and its use shows.
    const used = await page.request.get(`${server.url}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${value}` } });
    assert.equal(used.status(), 200);
    await shot(page, 'tokens');
    await page.locator('[data-testid=token-created] button', { hasText: 'Listo' }).click();
    await page.reload();
    await row.waitFor({ timeout: WAIT });
    assert.doesNotMatch(await row.innerText(), /Sin usar/);
    assert.equal(await page.locator('[data-testid=token-secret]').count(), 0, 'the secret was shown again');
    await row.getByRole('button', { name: 'Revocar el token Monitoreo' }).click();
    await page.locator(`[data-testid=revoke-${listed.id}-yes]`).click();
    await row.waitFor({ state: 'detached', timeout: WAIT });
    const gone = await page.request.get(`${server.url}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${value}` } });
    assert.equal(gone.status(), 401);
  } finally {
    await context.close();
  }

  // Settings near auto-close: routing and who may create tokens.
  const admin = await signIn(browser, server.url, USERS.admin, '/admin/auto-close');
  try {
    const { page } = admin;
    await page.getByRole('link', { name: 'Enrutamiento' }).click();
    const routing = page.locator('[data-testid=routing-by-level]');
    await routing.waitFor({ timeout: WAIT });
    assert.equal(await routing.isChecked(), true);
    await routing.uncheck();
    await page.locator('[data-testid=admin-routing] button[type=submit]').click();
    await page.locator('[data-testid=admin-routing] .ok').waitFor({ timeout: WAIT });
    assert.deepEqual((await call(page, 'GET', '/settings/routing')).body, { group_by_level: false });
    await routing.check();
    await page.locator('[data-testid=admin-routing] button[type=submit]').click();
    await page.locator('[data-testid=admin-routing] .ok').waitFor({ timeout: WAIT });
    assert.deepEqual((await call(page, 'GET', '/settings/routing')).body, { group_by_level: true });

    await page.getByRole('link', { name: 'Tokens de API' }).click();
    const everyone = page.getByLabel('Todos, también los solicitantes');
    await everyone.waitFor({ timeout: WAIT });
    assert.equal(await page.getByLabel('Solo el personal (agentes, supervisores y administradores)').isChecked(), true);
    await everyone.check();
    await page.locator('[data-testid=admin-token-policy] button[type=submit]').click();
    await page.locator('[data-testid=admin-token-policy] .ok').waitFor({ timeout: WAIT });
    assert.deepEqual((await call(page, 'GET', '/settings/api-tokens')).body, { who: 'everyone' });
    await page.getByLabel('Solo el personal (agentes, supervisores y administradores)').check();
    await page.locator('[data-testid=admin-token-policy] button[type=submit]').click();
    await page.locator('[data-testid=admin-token-policy] .ok').waitFor({ timeout: WAIT });
    assert.deepEqual((await call(page, 'GET', '/settings/api-tokens')).body, { who: 'staff' });
  } finally {
    await admin.context.close();
  }
});

test('S8: a password set by someone else is changed right after sign-in', async () => {
  const admin = await signIn(browser, server.url, USERS.admin, '/admin/users');
  const email = `clave.puesta.${tag()}@demo.example.com`;
  try {
    const made = await call(admin.page, 'POST', '/users', { role: 'requester', name: 'Clave Puesta', email, password: 'la-primera-clave' });
    assert.equal(made.status, 201);
    // The admin sets the password: the server marks it to be changed.
    const set = await call(admin.page, 'PATCH', `/users/${made.body.id}`, { password: 'puesta-por-admin' });
    assert.equal(set.status, 200);
    assert.equal(set.body.must_change_password, true);
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
    const form = page.locator('[data-testid=change-password]');
    await form.waitFor({ timeout: WAIT });
    await page.getByRole('heading', { name: 'Elija una contraseña nueva' }).waitFor();
    assert.equal(await page.locator('[data-testid=portal-list]').count(), 0, 'the portal showed before the new password');
    await shot(page, 'forced-password-change');
    await page.locator('#pw-current').fill('puesta-por-admin');
    await page.locator('#pw-new').fill('solo-yo-la-se');
    await page.locator('#pw-repeat').fill('otra-distinta');
    await page.locator('[data-testid=password-submit]').click();
    await page.locator('#pw-repeat-error').waitFor();
    await page.locator('#pw-repeat').fill('solo-yo-la-se');
    await page.locator('[data-testid=password-submit]').click();
    await page.locator('[data-testid=portal-list], .empty').first().waitFor({ timeout: WAIT });
    assert.equal((await call(page, 'GET', '/auth/me')).body.must_change_password, false);
  } finally {
    await context.close();
  }
});

test('S13: two agents on one ticket: the second change meets a 412, sees what changed, and reapplies in one click', async () => {
  const req = await signIn(browser, server.url, USERS.requester, '/');
  const a = await signIn(browser, server.url, USERS.agent, '/queue/open');
  const b = await signIn(browser, server.url, USERS.agent2, '/queue/open');
  try {
    const tk = await fileRequest(req.page);
    const { page } = a;
    const ifMatch = [];
    page.on('request', (r) => {
      if (r.url().includes(`/api/v1/tickets/${tk.id}`) && r.method() !== 'GET') ifMatch.push(r.headers()['if-match'] ?? null);
    });
    await page.goto(`/#/tickets/${tk.id}`);
    await page.locator('[data-testid=agent-ticket] h1', { hasText: tk.subject }).waitFor({ timeout: WAIT });

    // Meanwhile the other agent changes the priority inputs and answers the requester.
    const other = b.page;
    const seen = await call(other, 'GET', `/tickets/${tk.id}`);
    assert.ok(seen.etag);
    assert.equal((await call(other, 'PATCH', `/tickets/${tk.id}`, { criticality: 'high' }, { 'If-Match': seen.etag })).status, 200);
    const otherReply = `Respuesta de Ana ${tag()}`;
    assert.equal((await call(other, 'POST', `/tickets/${tk.id}/comments`, { body: otherReply, internal: false })).status, 201);

    // The first agent, with what they loaded, sends a reply: 412, reviewed.
    const mine = `Mi respuesta ${tag()}`;
    await page.locator('[data-testid=composer-text]').fill(mine);
    await page.locator('[data-testid=composer-send]').click();
    const panel = page.locator('[data-testid=conflict]');
    await panel.waitFor({ timeout: WAIT });
    assert.match(await panel.locator('[data-testid=conflict-fields] li[data-field=criticality]').innerText(), /Baja → Alta/);
    await panel.locator('[data-testid=conflict-events] .ev-reply', { hasText: otherReply }).waitFor();
    assert.equal(await page.locator('[data-testid=composer-text]').inputValue(), mine, 'the typed reply was lost');
    let evs = (await call(page, 'GET', `/tickets/${tk.id}/events`)).body.items;
    assert.ok(!evs.some((e) => e.body === mine), 'the reply went through without a check');
    await shot(page, 'agent-ticket-conflict');
    await panel.locator('[data-testid=conflict-reapply]').click();
    await page.locator('[data-testid=timeline] .ev-reply', { hasText: mine }).first().waitFor({ timeout: WAIT });
    await panel.waitFor({ state: 'detached' });
    evs = (await call(page, 'GET', `/tickets/${tk.id}/events`)).body.items;
    assert.equal(evs.filter((e) => e.body === mine).length, 1);

    // A field change on a stale version: the same review, and a one-click reapply.
    const fresh = await call(other, 'GET', `/tickets/${tk.id}`);
    assert.equal((await call(other, 'PATCH', `/tickets/${tk.id}`, { type: 'complaint' }, { 'If-Match': fresh.etag })).status, 200);
    await page.locator('#at-impact').selectOption('critical');
    await panel.waitFor({ timeout: WAIT });
    assert.match(await panel.locator('[data-testid=conflict-fields] li[data-field=type]').innerText(), /Incidente → Queja/);
    await panel.locator('[data-testid=conflict-reapply]', { hasText: 'Impacto: Crítico' }).click();
    await panel.waitFor({ state: 'detached', timeout: WAIT });
    const final = (await call(page, 'GET', `/tickets/${tk.id}`)).body;
    assert.equal(final.impact, 'critical');
    assert.equal(final.type, 'complaint', 'the other agent’s change was overwritten');
    assert.ok(ifMatch.length >= 4 && ifMatch.every((h) => /^"\d+"$/.test(h)), `If-Match not sent: ${ifMatch}`);
  } finally {
    await a.context.close();
    await b.context.close();
    await req.context.close();
  }
});

test('S14: bidirectional override characters in user text are neutralised where shown', async () => {
  await withRequesterAndAgent(async (req, agent) => {
    const trick = `Factura \u202Efdp.exe\u202C y \u2067aislado\u2069 ${tag()}`;
    const tk = await fileRequest(req.page, { subject: trick, description: `Adjunto \u202Egpj.exe` });
    assert.equal((await call(agent.page, 'POST', `/tickets/${tk.id}/comments`, { body: `Recibido \u202Etxt.exe`, internal: false })).status, 201);
    const controls = /[\u202A-\u202E\u2066-\u2069]/;
    const pages = [
      [agent.page, `/#/tickets/${tk.id}`, '[data-testid=agent-ticket] [data-testid=timeline] .ev-reply'],
      [agent.page, `/#/queue/open?q=${tk.id}`, `[data-testid=queue] tr[data-ticket-id="${tk.id}"]`],
      [req.page, '/#/', `[data-testid=portal-list] tr[data-ticket-id="${tk.id}"]`],
      [req.page, `/#/tickets/${tk.id}`, '[data-testid=portal-ticket] [data-testid=timeline] .ev-reply'],
    ];
    for (const [page, url, ready] of pages) {
      await page.goto(url);
      await page.locator(ready).first().waitFor({ timeout: WAIT });
      const text = await page.locator('main').evaluate((el) => el.textContent);
      assert.ok(text.includes('Factura fdp.exe'), `${url}: the subject is not shown`);
      assert.doesNotMatch(text, controls, `${url}: an override character reached the page`);
      assert.ok((await page.locator('main bdi').count()) > 0, `${url}: user text is not isolated`);
    }
  });
});
