// The knowledge base in the web app (issue 10): writing an article with the
// server's live preview and reading its versions' diff; who may publish (and
// the admin setting that lets agents); requesters finding help by unaccented
// prefixes, voting, and solving their problem from a suggestion while typing
// a subject (no ticket, counted by the knowledge report); agents linking a
// suggested article as a ticket's solution, which the requester sees on the
// timeline, and drafting an article from a resolved ticket; and the staff's
// search with its highlighted snippets. Against the real server and Chromium.
// Run: SERVICEDESK_BIN=build/release/src/servicedesk node --test tests/browser/kb.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useDesk, signIn, shot, call, USERS } from './harness.mjs';

const WAIT = 20_000;
const desk = useDesk();
const as = (email, hash) => signIn(desk.browser, desk.server.url, email, hash);

// A word no demo text has, so that searches and suggestions find this run's articles.
const tag = () => `zq${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** Runs `fn` with `email` signed in, then signs out. */
async function withPage(email, hash, fn) {
  const { context, page } = await as(email, hash);
  try {
    return await fn(page);
  } finally {
    await context.close();
  }
}

/** A public, published article, written by the demo supervisor through the API. */
async function publishArticle(fields) {
  return withPage(USERS.supervisor, '/kb', async (page) => {
    const r = await call(page, 'POST', '/articles', {
      language: 'es-MX',
      visibility: 'public',
      status: 'published',
      tags: [],
      ...fields,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  });
}

test('an agent writes an article with a live preview and reads the diff of an edit', async () => {
  const word = tag();
  const title = `Restablecer la contraseña del correo ${word}`;
  const { context, page } = await as(USERS.agent, '/queue/mine');
  try {
    await page.locator('[data-testid=nav-kb]').click();
    await page.locator('[data-testid=kb-list]').waitFor({ timeout: WAIT });
    await page.locator('[data-testid=kb-new]').click();
    const form = page.locator('[data-testid=article-form]');
    await form.waitFor({ timeout: WAIT });
    await form.locator('#ae-title').fill(title);
    // The preview is the server's rendering, asked for once typing pauses.
    const previewed = page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/articles/preview',
    );
    await form.locator('#ae-body').fill('# Pasos\n\n1. Abra **Configuración**.\n2. Elija *Seguridad*.\n3. Cambie la contraseña.\n');
    assert.equal((await previewed).status(), 200);
    const preview = page.locator('[data-testid=article-preview]');
    await preview.locator('strong', { hasText: 'Configuración' }).waitFor({ timeout: WAIT });
    await preview.locator('h1', { hasText: 'Pasos' }).waitFor();
    assert.equal(await preview.locator('ol li').count(), 3);
    await form.locator('#ae-tags').fill('correo, contraseña, correo');
    await shot(page, 'kb-editor-preview');
    await form.locator('[data-testid=article-save]').click();
    await page.waitForURL(/#\/kb\/\d+$/, { timeout: WAIT });
    const id = Number(new URL(page.url()).hash.split('/').pop());
    const view = page.locator('[data-testid=article-view]');
    await view.locator('[data-testid=article-heading]', { hasText: title }).waitFor({ timeout: WAIT });
    await view.locator('[data-testid=article-body] strong', { hasText: 'Configuración' }).waitFor();
    const created = (await call(page, 'GET', `/articles/${id}`)).body;
    assert.equal(created.status, 'draft', 'an agent writes drafts');
    assert.deepEqual([...created.tags].sort(), ['contraseña', 'correo'], 'tags as typed, once each');

    // An edit: one line changed, one added.
    await view.locator('[data-testid=article-edit]').click();
    await page.waitForURL(new RegExp(`#/kb/${id}/edit$`));
    const body = page.locator('#ae-body');
    await page.locator('[data-testid=article-preview] strong', { hasText: 'Configuración' }).waitFor({ timeout: WAIT });
    await body.fill('# Pasos\n\n1. Abra **Configuración**.\n2. Elija *Cuenta y seguridad*.\n3. Cambie la contraseña.\n4. Cierre las otras sesiones.\n');
    await page.locator('[data-testid=article-preview] li', { hasText: 'Cierre las otras sesiones' }).waitFor({ timeout: WAIT });
    await page.locator('[data-testid=article-save]').click();
    await page.waitForURL(new RegExp(`#/kb/${id}$`), { timeout: WAIT });
    await view.locator('[data-testid=article-body] li', { hasText: 'Cierre las otras sesiones' }).waitFor({ timeout: WAIT });

    await view.locator('[data-testid=article-versions]').click();
    await page.waitForURL(new RegExp(`#/kb/${id}/versions$`));
    const versions = page.locator('[data-testid=versions] > li');
    await versions.nth(1).waitFor({ timeout: WAIT });
    assert.equal(await versions.count(), 2);
    const newest = versions.first();
    assert.equal(await newest.getAttribute('data-version'), '2');
    const me = (await call(page, 'GET', '/auth/me')).body;
    assert.equal((await newest.locator('[data-testid=version-editor]').textContent()).trim(), me.name);
    const diff = newest.locator('[data-testid=version-diff]');
    const removed = diff.locator('del[data-op=delete]');
    const added = diff.locator('ins[data-op=insert]');
    assert.equal(await removed.count(), 1);
    assert.match(await removed.textContent(), /Elija \*Seguridad\*/);
    assert.equal(await added.count(), 2);
    assert.match(await added.first().textContent(), /Cuenta y seguridad/);
    assert.match(await added.last().textContent(), /Cierre las otras sesiones/);
    // Not by colour alone: a sign on screen, and words for a screen reader.
    assert.equal((await removed.locator('.diff-mark').textContent()).trim(), '−');
    assert.equal((await added.first().locator('.diff-mark').textContent()).trim(), '+');
    assert.match(await removed.locator('.sr-only').textContent(), /línea quitada/);
    // The first version: all of it added.
    const first = versions.last().locator('[data-testid=version-diff]');
    assert.equal(await first.locator('del').count(), 0);
    assert.ok((await first.locator('ins').count()) >= 4);
    await shot(page, 'kb-versions-diff');
  } finally {
    await context.close();
  }
});

test('an agent cannot publish (the server says why), a supervisor can, and the admin setting lets agents', async () => {
  const word = tag();
  const title = `Solicitar acceso a la carpeta compartida ${word}`;
  let id;
  await withPage(USERS.agent, '/kb/new', async (page) => {
    const form = page.locator('[data-testid=article-form]');
    await form.waitFor({ timeout: WAIT });
    await form.locator('#ae-title').fill(title);
    await form.locator('#ae-body').fill('Pida el acceso a su jefe inmediato con el nombre de la carpeta.');
    await form.locator('#ae-status').selectOption('published');
    const refused = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/articles');
    await form.locator('[data-testid=article-save]').click();
    assert.equal((await refused).status(), 403);
    const error = page.locator('[data-testid=article-error]');
    await error.waitFor({ timeout: WAIT });
    assert.match(await error.textContent(), /Solo los supervisores pueden publicar/);
    await shot(page, 'kb-agent-publish-refused');
    const none = await call(page, 'GET', `/articles?q=${word}`);
    assert.equal(none.body.items.length, 0, 'nothing was saved');
    // As a draft it is saved.
    await form.locator('#ae-status').selectOption('draft');
    await form.locator('[data-testid=article-save]').click();
    await page.waitForURL(/#\/kb\/\d+$/, { timeout: WAIT });
    id = Number(new URL(page.url()).hash.split('/').pop());
    await page.locator('[data-testid=article-view] [data-testid=article-status]', { hasText: 'Borrador' }).waitFor({ timeout: WAIT });
  });

  await withPage(USERS.supervisor, `/kb/${id}/edit`, async (page) => {
    const form = page.locator('[data-testid=article-form]');
    await form.locator('#ae-title').waitFor({ timeout: WAIT });
    await page.waitForFunction((t) => document.querySelector('#ae-title')?.value === t, title, { timeout: WAIT });
    await form.locator('#ae-status').selectOption('published');
    await form.locator('[data-testid=article-save]').click();
    await page.waitForURL(new RegExp(`#/kb/${id}$`), { timeout: WAIT });
    await page.locator('[data-testid=article-view] [data-testid=article-status]', { hasText: 'Publicado' }).waitFor({ timeout: WAIT });
    const a = (await call(page, 'GET', `/articles/${id}`)).body;
    assert.equal(a.status, 'published');
    assert.ok(a.published_at);
    // Supervisors delete; the button is there for them.
    await page.locator('[data-testid=article-delete]').waitFor();
  });

  // The admin lets agents publish; then an agent's article goes out published.
  await withPage(USERS.admin, '/admin/knowledge', async (page) => {
    const box = page.locator('[data-testid=kb-agents-publish]');
    await box.waitFor({ timeout: WAIT });
    assert.equal(await box.isChecked(), false, 'off by default');
    await box.check();
    await page.locator('[data-testid=admin-knowledge] button[type=submit]').click();
    await page.locator('[data-testid=admin-knowledge] [role=status]', { hasText: 'Guardado' }).waitFor({ timeout: WAIT });
    assert.equal((await call(page, 'GET', '/settings/knowledge-base')).body.agents_publish, true);
    await shot(page, 'kb-admin-setting');
  });
  try {
    await withPage(USERS.agent, '/kb', async (page) => {
      const r = await call(page, 'POST', '/articles', {
        title: `Publicado por un agente ${word}`,
        body: 'Texto.',
        language: 'es-MX',
        visibility: 'internal',
        status: 'published',
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.status, 'published');
    });
  } finally {
    await withPage(USERS.admin, '/admin/knowledge', async (page) => {
      const r = await call(page, 'PUT', '/settings/knowledge-base', { agents_publish: false });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    });
  }
});

test('a requester finds a public article by an unaccented prefix and votes it helpful', async () => {
  const word = tag();
  const article = await publishArticle({
    title: `Reinstalar la aplicación de nómina ${word}`,
    body: `Si la **aplicación** de nómina no abre, desinstálela y vuelva a instalarla desde el portal de software.\n\nReferencia: ${word}`,
  });
  const { context, page } = await as(USERS.requester, '/');
  try {
    await page.locator('[data-testid=nav-help]').click();
    await page.locator('[data-testid=help]').waitFor({ timeout: WAIT });
    await page.locator('[data-testid=help-search]').fill('aplicacion nomin');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/help\?q=aplicacion/);
    const hit = page.locator(`[data-testid=help-results] li[data-article-id="${article.id}"]`);
    await hit.waitFor({ timeout: WAIT });
    await hit.locator('[data-testid=result-snippet] mark').first().waitFor();
    const marked = await hit.locator('[data-testid=result-snippet] mark').allTextContents();
    assert.ok(marked.some((m) => /aplicaci[oó]n|n[oó]mina/i.test(m)), `the matched words are highlighted: ${marked}`);
    await shot(page, 'kb-help-search');
    await hit.locator('[data-testid=help-link]').click();
    await page.waitForURL(new RegExp(`#/help/${article.id}$`));
    await page.locator('[data-testid=help-article] [data-testid=article-heading]', { hasText: article.title }).waitFor({ timeout: WAIT });
    await page.locator('[data-testid=article-body] strong', { hasText: 'aplicación' }).waitFor();
    await page.getByText('¿Le fue útil este artículo?').waitFor();
    await page.locator('[data-testid=vote-yes]').click();
    await page.locator('[data-testid=vote-notice]', { hasText: 'Gracias' }).waitFor({ timeout: WAIT });
    assert.equal(await page.locator('[data-testid=vote-yes]').getAttribute('aria-pressed'), 'true');
    const a = (await call(page, 'GET', `/articles/${article.id}`)).body;
    assert.equal(a.helpful_yes, 1);
    assert.equal(a.my_vote, 'yes');
    await shot(page, 'kb-help-article-voted');
    // A requester never reads drafts or internal articles, nor the staff's pages.
    const internal = await call(page, 'GET', '/articles?visibility=internal');
    assert.deepEqual(internal.body.items, []);
  } finally {
    await context.close();
  }
});

test('a requester typing a subject sees a suggestion, solves it there, and no ticket is made', async () => {
  const word = tag();
  const article = await publishArticle({
    title: `La impresora no imprime: revise la cola de impresión ${word}`,
    body: 'Abra **Dispositivos e impresoras**, elija la impresora y cancele los documentos atascados en la cola.',
  });
  const { context, page } = await as(USERS.requester, '/');
  try {
    const before = (await call(page, 'GET', '/tickets?limit=200')).body.items.length;
    await page.goto('/#/new');
    const subject = page.locator('#nr-subject');
    await subject.waitFor({ timeout: WAIT });
    // Typed as a person does; suggestions come once typing pauses.
    await subject.pressSequentially(`mi impresora no imprime ${word}`, { delay: 15 });
    const suggestion = page.locator(`[data-testid=suggestions] li[data-article-id="${article.id}"]`);
    await suggestion.waitFor({ timeout: WAIT });
    assert.ok((await page.locator('[data-testid=suggestions] li').count()) <= 5);
    await suggestion.locator('[data-testid=suggestion]').click();
    const inline = suggestion.locator('[data-testid=suggestion-article]');
    await inline.locator('[data-testid=article-body] strong', { hasText: 'Dispositivos e impresoras' }).waitFor({ timeout: WAIT });
    await shot(page, 'kb-new-request-suggestion');
    const deflected = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/deflections');
    await inline.locator('[data-testid=deflect]').click();
    assert.equal((await deflected).status(), 201);
    await page.locator('[data-testid=deflected]').waitFor({ timeout: WAIT });
    assert.equal(await page.locator('[data-testid=new-request]').count(), 0, 'the form gave way to the thanks');
    await shot(page, 'kb-deflected');
    const after = (await call(page, 'GET', '/tickets?limit=200')).body.items.length;
    assert.equal(after, before, 'no ticket was created');
    assert.equal((await call(page, 'GET', `/tickets?q=${word}`)).body.items.length, 0);
  } finally {
    await context.close();
  }

  // The knowledge report counts it.
  await withPage(USERS.supervisor, `/reports/knowledge?from=${day(-1)}&to=${day(1)}`, async (page) => {
    const r = await call(page, 'GET', `/reports/knowledge?from=${day(-1)}&to=${day(1)}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.deflections >= 1);
    const top = r.body.top_deflecting.find((a) => a.article_id === article.id);
    assert.ok(top, `the article is among the top deflecting: ${JSON.stringify(r.body.top_deflecting)}`);
    assert.equal(top.count, 1);
    const shown = page.locator('[data-testid=kb-report-deflections]');
    await shown.waitFor({ timeout: WAIT });
    assert.equal(Number(await shown.textContent()), r.body.deflections);
    await page.locator(`[data-testid=kb-report-top] tr[data-article-id="${article.id}"]`).waitFor({ timeout: WAIT });
    const rate = await page.locator('[data-testid=kb-report-fcr-rate]').textContent();
    assert.match(rate, r.body.first_contact_rate === null ? /—/ : /^\d+(\.\d)?%$/);
    // The tabs lead between the reports, the period kept.
    await page.locator('[data-testid=report-tab-sla]').click();
    await page.waitForURL(new RegExp(`#/reports\\?from=${day(-1)}`));
    await page.locator('[data-testid=sla-report]').waitFor({ timeout: WAIT });
    await page.locator('[data-testid=report-tab-knowledge]').click();
    await page.locator('[data-testid=kb-report-deflections]').waitFor({ timeout: WAIT });
    await shot(page, 'kb-report');
  });
});

test('an agent links a suggested article as the solution; the requester sees it on the timeline; a resolved ticket drafts an article', async () => {
  const word = tag();
  const article = await publishArticle({
    title: `Conectarse a la VPN desde casa ${word}`,
    body: 'Instale el cliente de VPN, entre con su usuario de red y elija el servidor **Oficina central**.',
  });
  const ticket = await withPage(USERS.requester, '/', async (page) => {
    const r = await call(page, 'POST', '/tickets', {
      type: 'incident',
      subject: `No puedo conectarme a la VPN desde casa ${word}`,
      description: 'La VPN marca error de conexión cuando trabajo desde casa.',
      impact: 'not_critical',
      criticality: 'low',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  });

  const agent = await as(USERS.agent, `/tickets/${ticket.id}`);
  try {
    const page = agent.page;
    const panel = page.locator('[data-testid=kb-panel]');
    const suggested = panel.locator(`[data-testid=kb-suggested] li[data-article-id="${article.id}"]`);
    await suggested.waitFor({ timeout: WAIT });
    await shot(page, 'kb-ticket-suggested');
    await suggested.locator('[data-testid=link-solution]').click();
    await panel.locator('[data-testid=kb-solutions] li', { hasText: article.title }).waitFor({ timeout: WAIT });
    const ev = page.locator('[data-testid=timeline] li[data-kind=solution_linked]');
    await ev.waitFor({ timeout: WAIT });
    assert.equal((await ev.locator('[data-testid=solution-link]').textContent()).trim(), article.title);
    assert.equal(await ev.locator('[data-testid=solution-link]').getAttribute('href'), `#/kb/${article.id}`);
    const solutions = (await call(page, 'GET', `/tickets/${ticket.id}/solutions`)).body.items;
    assert.deepEqual(solutions.map((s) => s.article_id), [article.id]);
  } finally {
    await agent.context.close();
  }

  await withPage(USERS.requester, `/tickets/${ticket.id}`, async (page) => {
    const ev = page.locator('[data-testid=portal-ticket] [data-testid=timeline] li[data-kind=solution_linked]');
    await ev.waitFor({ timeout: WAIT });
    await ev.getByText('Oficina central').waitFor();
    assert.match(await ev.locator('.ev-title').textContent(), /artículo/);
    const link = ev.locator('[data-testid=solution-link]');
    assert.equal((await link.textContent()).trim(), article.title);
    await shot(page, 'kb-portal-solution');
    await link.click();
    await page.waitForURL(new RegExp(`#/help/${article.id}$`));
    await page.locator('[data-testid=help-article] [data-testid=article-heading]', { hasText: article.title }).waitFor({ timeout: WAIT });
  });

  // Resolved with a public answer, the ticket becomes a draft article.
  await withPage(USERS.agent, `/tickets/${ticket.id}`, async (page) => {
    const answer = 'Reinstalamos el cliente de VPN y ya conecta.';
    assert.equal((await call(page, 'POST', `/tickets/${ticket.id}/transitions`, { to: 'in_progress' })).status, 200);
    assert.equal((await call(page, 'POST', `/tickets/${ticket.id}/comments`, { body: answer, internal: false })).status, 201);
    assert.equal((await call(page, 'POST', `/tickets/${ticket.id}/transitions`, { to: 'resolved' })).status, 200);
    await page.reload();
    const draft = page.locator('[data-testid=kb-panel] [data-testid=article-draft]');
    await draft.waitFor({ timeout: WAIT });
    await draft.click();
    await page.waitForURL(/#\/kb\/\d+\/edit$/, { timeout: WAIT });
    await page.waitForFunction((s) => document.querySelector('#ae-title')?.value === s, ticket.subject, { timeout: WAIT });
    assert.match(await page.locator('#ae-body').inputValue(), /Reinstalamos el cliente de VPN/);
    assert.equal(await page.locator('#ae-visibility').inputValue(), 'internal');
    assert.equal(await page.locator('#ae-status').inputValue(), 'draft');
    await page.locator('[data-testid=article-source] a', { hasText: ticket.number }).waitFor();
    await page.locator('[data-testid=article-preview]', { hasText: 'Reinstalamos el cliente de VPN' }).waitFor({ timeout: WAIT });
    await shot(page, 'kb-draft-from-ticket');
  });
});

test('staff search finds tickets and articles with the matched words highlighted', async () => {
  const word = tag();
  const article = await publishArticle({
    title: `Cambiar el tóner de la impresora ${word}`,
    body: 'Abra la tapa frontal, retire el cartucho de tóner y coloque el nuevo.',
  });
  const ticket = await withPage(USERS.requester, '/', async (page) => {
    const r = await call(page, 'POST', '/tickets', {
      type: 'information_request',
      subject: `¿Dónde pido tóner para la impresora? ${word}`,
      description: 'Se acabó el tóner del piso 3.',
      impact: 'not_critical',
      criticality: 'low',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  });
  const { context, page } = await as(USERS.agent, '/queue/mine');
  try {
    await page.locator('[data-testid=nav-search]').click();
    await page.waitForURL(/#\/search/);
    const input = page.locator('[data-testid=search-input]');
    await input.fill(`toner ${word}`);
    await input.press('Enter');
    await page.waitForURL(/q=toner/);
    const results = page.locator('[data-testid=search-results]');
    const art = results.locator(`li[data-kind=article][data-id="${article.id}"]`);
    const tk = results.locator(`li[data-kind=ticket][data-id="${ticket.id}"]`);
    await art.waitFor({ timeout: WAIT });
    await tk.waitFor({ timeout: WAIT });
    await art.locator('[data-testid=result-snippet] mark').first().waitFor();
    const marked = await art.locator('[data-testid=result-snippet] mark').allTextContents();
    assert.ok(marked.some((m) => /t[oó]ner/i.test(m)), `the matched word is highlighted: ${marked}`);
    assert.match(await tk.textContent(), new RegExp(ticket.number));
    assert.match(await tk.locator('.status').textContent(), /Nuevo/);
    assert.equal(await tk.locator('[data-testid=result-link]').getAttribute('href'), `#/tickets/${ticket.id}`);
    await shot(page, 'kb-search-all');

    // One kind at a time.
    await page.locator('nav.tabs a[data-kind=article]').click();
    await page.waitForURL(/kind=article/);
    await tk.waitFor({ state: 'detached', timeout: WAIT });
    await art.waitFor();
    await page.locator('nav.tabs a[data-kind=ticket]').click();
    await page.waitForURL(/kind=ticket/);
    await art.waitFor({ state: 'detached', timeout: WAIT });
    await tk.waitFor();
    await page.locator('[data-testid=search-status]').selectOption('new');
    await page.waitForURL(/status=new/);
    await tk.waitFor({ timeout: WAIT });
    await page.locator('[data-testid=search-status]').selectOption('closed');
    await page.waitForURL(/status=closed/);
    await tk.waitFor({ state: 'detached', timeout: WAIT });
    await page.locator('[data-testid=search-empty]').waitFor({ timeout: WAIT });

    // A query with no letters or digits is refused, in words.
    await page.goto('/#/search?q=%3F%3F');
    await page.locator('[data-testid=search-error]', { hasText: 'al menos una letra' }).waitFor({ timeout: WAIT });

    // The result opens the article.
    await page.goto(`/#/search?q=${word}`);
    await art.locator('[data-testid=result-link]').click();
    await page.waitForURL(new RegExp(`#/kb/${article.id}$`));
    await page.locator('[data-testid=article-view] [data-testid=article-heading]', { hasText: article.title }).waitFor({ timeout: WAIT });
  } finally {
    await context.close();
  }
});
