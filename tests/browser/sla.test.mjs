// Service levels in the web app (issue 8): countdowns in every queue row,
// the due-soonest sort and the breaching-soon queue with its count, the
// clocks' card on a ticket, the warnings and breaches on the timeline, the
// bell, and the administration of policies, calendars, escalation rules and
// the outbox, in es-MX and English, against the real server and Chromium.
// The demo's policies are set up after its history, so that when the server
// starts its sweep puts the open tickets under them and the checks write
// what their history earned.
// Run: SERVICEDESK_BIN=build/release/src/servicedesk node --test tests/browser/sla.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useDesk, signIn, shot, call, USERS, chooseLanguage } from './harness.mjs';

const WAIT = 20_000;
const desk = useDesk();
const as = (email, hash) => signIn(desk.browser, desk.server.url, email, hash);

test('queue rows count down, sort by due and the breaching-soon queue counts', async () => {
  const { context, page } = await as(USERS.agent, '/queue/open');
  try {
    const badges = page.locator('[data-testid=queue] tbody [data-testid=sla-countdown]');
    await badges.first().waitFor({ timeout: WAIT });
    // The sweep has put open tickets under the demo's policies; some are overdue already.
    const count = page.locator('[data-testid=count-breaching]');
    await count.waitFor({ timeout: WAIT });
    assert.ok(Number(await count.textContent()) > 0, 'the breaching-soon queue counts its tickets');
    await page.locator('a[data-queue=breaching]').click();
    await page.waitForURL(/#\/queue\/breaching/);
    await page.locator('[data-testid=queue] tbody tr').first().waitFor({ timeout: WAIT });
    const states = await page.locator('[data-testid=queue] tbody [data-testid=sla-countdown]').evaluateAll((els) =>
      els.map((e) => e.getAttribute('data-state')),
    );
    assert.ok(states.length > 0);
    assert.equal(states[0], 'breached', 'due soonest first: the most overdue leads');
    assert.ok(states.every((s) => s === 'breached' || s === 'warning' || s === 'ok'), `states: ${states}`);
    const first = page.locator('[data-testid=queue] tbody [data-testid=sla-countdown]').first();
    assert.match(await first.textContent(), /Vencido hace/);
    assert.equal(
      await first.evaluate((e) => getComputedStyle(e).backgroundColor),
      'rgb(163, 25, 29)',
      'an overdue countdown is red',
    );
    await shot(page, 'sla-queue-breaching');
    // The count matches the API's.
    const counts = await call(page, 'GET', '/tickets/counts');
    assert.equal(Number(await count.textContent()), counts.body.sla_at_risk);
    // In English too.
    await chooseLanguage(page, 'en');
    await page.getByText(/Overdue by/).first().waitFor({ timeout: WAIT });
    await chooseLanguage(page, 'es-MX');
  } finally {
    await context.close();
  }
});

test('a ticket shows its clocks, its first response, and its breaches on the timeline', async () => {
  const { context, page } = await as(USERS.agent, '/queue/open');
  try {
    const made = await call(page, 'POST', '/tickets', {
      type: 'incident',
      subject: 'Reloj de nivel de servicio',
      description: 'Prueba del reloj.',
      impact: 'not_critical',
      criticality: 'low',
    });
    assert.equal(made.status, 201);
    assert.ok(made.body.sla, 'the demo standard policy applies');
    await page.goto(`/#/tickets/${made.body.id}`);
    const panel = page.locator('[data-testid=sla-panel]');
    await panel.waitFor({ timeout: WAIT });
    await panel.getByText('Estándar (horario de oficina)').waitFor({ timeout: WAIT });
    assert.match(await panel.locator('[data-testid=sla-first-response]').textContent(), /Vence el/);
    await page.locator('textarea').first().fill('Estamos revisando tu caso.');
    await page.getByRole('button', { name: /Enviar respuesta|Responder/ }).first().click();
    await panel.getByText(/Respondida a tiempo/).waitFor({ timeout: WAIT });
    await shot(page, 'sla-ticket-card');

    // A breached demo ticket: its timeline says so, internally.
    const breached = await call(page, 'GET', '/tickets?status=open&sla=breached&sort=sla_due&limit=1');
    assert.equal(breached.status, 200);
    const id = breached.body.items[0].id;
    const events = async () => (await call(page, 'GET', `/tickets/${id}/events`)).body.items;
    let kinds = [];
    for (let i = 0; i < 100 && !kinds.includes('sla_breach'); i++) {
      kinds = (await events()).map((e) => e.kind);
      if (!kinds.includes('sla_breach')) await page.waitForTimeout(200);
    }
    assert.ok(kinds.includes('sla_breach'), `the check wrote the breach: ${kinds}`);
    await page.goto(`/#/tickets/${id}`);
    await page.getByText(/Nivel de servicio incumplido/).first().waitFor({ timeout: WAIT });
    await shot(page, 'sla-timeline-breach');
  } finally {
    await context.close();
  }
});

test('the bell lists what concerns me, links to the ticket and is marked read', async () => {
  const { context, page } = await as(USERS.agent, '/queue/mine');
  try {
    const count = page.locator('[data-testid=bell-count]');
    await count.waitFor({ timeout: WAIT });
    const before = Number(await count.textContent());
    assert.ok(before > 0, 'warnings and breaches of my demo tickets reached me');
    await page.locator('[data-testid=bell]').click();
    const item = page.locator('[data-testid=bell-item]').first();
    await item.waitFor();
    await shot(page, 'sla-bell');
    assert.match(await item.textContent(), /SD-\d+/);
    await item.locator('a').click();
    await page.waitForURL(/#\/tickets\/\d+/);
    await page.locator('[data-testid=bell]').click();
    await page.locator('[data-testid=bell-read-all]').click();
    await count.waitFor({ state: 'detached', timeout: WAIT });
    const left = await call(page, 'GET', '/notifications?unread=true');
    assert.equal(left.body.unread, 0);
  } finally {
    await context.close();
  }
});

test('admins manage policies, calendars and escalation rules, and see the outbox', async () => {
  const { context, page } = await as(USERS.admin, '/admin/service-levels');
  try {
    const table = page.locator('[data-testid=admin-sla-policies]');
    await table.getByText('Crítica (24x7)').waitFor({ timeout: WAIT });
    await page.locator('[data-testid=new-policy]').click();
    const form = page.locator('[data-testid=policy-editor]');
    await form.locator('#p-name').fill('VIP de prueba');
    await form.locator('#p-rank').fill('1');
    await form.getByLabel('Queja').check();
    await form.locator('[data-testid=policy-fr]').fill('30');
    await form.locator('[data-testid=policy-res]').fill('120');
    await form.getByRole('button', { name: 'Guardar' }).click();
    await table.getByText('VIP de prueba').waitFor({ timeout: WAIT });
    const policies = (await call(page, 'GET', '/sla-policies')).body.items;
    const vip = policies.find((p) => p.name === 'VIP de prueba');
    assert.deepEqual(
      [vip.rank, vip.match.types, vip.first_response_minutes, vip.resolution_minutes],
      [1, ['complaint'], 30, 120],
    );
    await shot(page, 'sla-admin-policies');

    await page.goto('/#/admin/calendars');
    const cals = page.locator('[data-testid=admin-calendars]');
    await cals.getByText('Horario de oficina (Ciudad de México)').waitFor({ timeout: WAIT });
    await page.locator('[data-testid=new-calendar]').click();
    const cf = page.locator('[data-testid=calendar-editor]');
    await cf.locator('#c-name').fill('Guardia sábados');
    await cf.locator('[data-day=sat]').fill('08:00-13:00');
    await cf.locator('#c-holidays').fill('2027-12-25 Navidad');
    await cf.getByRole('button', { name: 'Guardar' }).click();
    await cals.getByText('Guardia sábados').waitFor({ timeout: WAIT });
    const cal = (await call(page, 'GET', '/calendars')).body.items.find((c) => c.name === 'Guardia sábados');
    assert.deepEqual(cal.hours.sat, [['08:00', '13:00']]);
    assert.deepEqual(cal.hours.mon, [['09:00', '18:00']]);
    assert.deepEqual(cal.holidays, [{ date: '2027-12-25', name: 'Navidad' }]);
    // A range that is not one is refused in the page, and nothing is saved.
    await cals.getByRole('button', { name: 'Editar: Guardia sábados' }).click();
    await cf.locator('[data-day=sun]').fill('mañana');
    await cf.getByRole('button', { name: 'Guardar' }).click();
    await cf.getByText(/no se entiende/).waitFor();
    await shot(page, 'sla-admin-calendars');

    await page.goto('/#/admin/escalation-rules');
    const rules = page.locator('[data-testid=admin-escalation-rules]');
    await rules.getByText('Loss of functionality: directory level 4').waitFor({ timeout: WAIT });
    await page.locator('[data-testid=new-rule]').click();
    const rf = page.locator('[data-testid=rule-editor]');
    await rf.locator('#r-name').fill('Aviso a jefatura');
    await rf.locator('#r-trigger').selectOption('sla_warning');
    await rf.locator('[data-testid=rule-directory]').selectOption('2');
    await rf.getByRole('button', { name: 'Guardar' }).click();
    await rules.getByText('Aviso a jefatura').waitFor({ timeout: WAIT });
    await shot(page, 'sla-admin-rules');

    await page.goto('/#/admin/outbox');
    const outbox = page.locator('[data-testid=admin-outbox]');
    await outbox.locator('tbody tr').first().waitFor({ timeout: WAIT });
    assert.match(await outbox.locator('tbody tr').first().textContent(), /Escalamiento, nivel [234]/);
    await shot(page, 'sla-admin-outbox');
  } finally {
    await context.close();
  }
});

test('supervisors read compliance as a chart and CSV, and see contracts about to end', async () => {
  const { context, page } = await as(USERS.supervisor, '/queue/open');
  try {
    await page.locator('[data-testid=nav-reports]').click();
    await page.waitForURL(/#\/reports/);
    const total = page.locator('[data-testid=report-total-tickets]');
    await total.waitFor({ timeout: WAIT });
    const api = await call(page, 'GET', '/reports/sla?group_by=type');
    assert.equal(Number(await total.textContent()), api.body.totals.tickets);
    assert.ok(api.body.totals.tickets > 0, 'the demo tickets fell under its policies');
    await page.locator('[data-testid=report-chart] .chart-row').first().waitFor();
    await page.locator('[data-testid=report-group]').selectOption('priority');
    await page.waitForURL(/group_by=priority/);
    await page.locator('[data-testid=report-table] tbody tr[data-key=critical], [data-testid=report-table] tbody tr[data-key=low]').first().waitFor({ timeout: WAIT });
    const href = await page.locator('[data-testid=report-csv]').getAttribute('href');
    assert.match(href, /format=csv/);
    assert.match(href, /group_by=priority/);
    const csv = await page.evaluate(async (h) => {
      const r = await fetch(h, { credentials: 'same-origin' });
      return { type: r.headers.get('Content-Type'), text: await r.text() };
    }, href);
    assert.match(csv.type, /^text\/csv/);
    assert.match(csv.text.split('\r\n').at(-2), /^"total"/);
    await shot(page, 'sla-report');

    await page.goto('/#/admin/contracts');
    const table = page.locator('[data-testid=admin-contracts]');
    await table.getByText('Mesa de ayuda básica').waitFor({ timeout: WAIT });
    await page.locator('[data-testid=contracts-expiring]').selectOption('30');
    await table.getByText('Soporte integral 2026').waitFor({ timeout: WAIT });
    await table.getByText('Mesa de ayuda básica').waitFor({ state: 'detached', timeout: WAIT });
    assert.match(await table.locator('[data-testid=contract-state]').first().textContent(), /Termina en 20 días/);
    await shot(page, 'sla-contracts-expiring');
  } finally {
    await context.close();
  }
});

test('a request from an organisation whose contract ended shows it is outside coverage', async () => {
  const { context, page } = await as(USERS.agent, '/queue/open');
  try {
    const orgs = (await call(page, 'GET', '/organisations')).body.items;
    const directorate = orgs.find((o) => o.name === 'Dirección Ejemplo de Planeación');
    const people = (await call(page, 'GET', `/users?role=requester&organisation_id=${directorate.id}`)).body.items;
    const made = await call(page, 'POST', '/tickets', {
      type: 'incident',
      subject: 'Fuera de contrato',
      description: 'Llamada de un área sin contrato vigente.',
      impact: 'not_critical',
      criticality: 'low',
      requester_id: people[0].id,
    });
    assert.equal(made.status, 201);
    assert.equal(made.body.coverage.status, 'outside');
    await page.goto(`/#/tickets/${made.body.id}`);
    const coverage = page.locator('[data-testid=coverage]');
    await coverage.getByText('Fuera de cobertura').waitFor({ timeout: WAIT });
    await coverage.getByText('Mesa de ayuda básica').waitFor({ timeout: WAIT });
  } finally {
    await context.close();
  }
});
