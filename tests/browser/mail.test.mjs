// The email channel and attachments in the web app, against the real server
// and Chromium: mailboxes administered (the IMAP password write-only), mail
// piped in as the MTA does (`servicedesk mail-ingest`) becoming email
// tickets with their "by email" mark and headers, an automatic reply set
// aside and accepted anyway from "Received mail", files under the event
// they came with (a preview for images, downloads that are attachments
// with nosniff), and uploads from the composers.
// Run: SERVICEDESK_BIN=build/release/src/servicedesk node --test tests/browser/mail.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { useDesk, signIn, shot, call, ingestMail, repo, USERS, chooseLanguage } from './harness.mjs';

const WAIT = 20_000;
const desk = useDesk();
const as = (email, hash) => signIn(desk.browser, desk.server.url, email, hash);

// axe-core from web/node_modules, as in a11y.test.mjs.
const require = createRequire(path.join(repo, 'web/package.json'));
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Fails on serious or critical WCAG 2 A/AA violations in the page as it stands. */
async function audit(page, screen) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} [${v.impact}]: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(found, [], `accessibility violations on ${screen}:\n${found.join('\n')}`);
}

/**
 * Runs SQL on the server's SQLite file (sqlite3 CLI), for a state no API call
 * makes: a mail server's refusal, which needs an SMTP server that refuses.
 */
function sql(statement) {
  const r = spawnSync('sqlite3', [desk.server.db, '.timeout 5000', statement], { encoding: 'utf8' });
  assert.equal(r.status, 0, `sqlite3 failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Pipes a message in; it must be committed (exit 0). Returns the answer line. */
function pipe(raw, opts) {
  const r = ingestMail(desk.server, raw.replace(/\r?\n/g, '\r\n'), opts);
  assert.equal(r.status, 0, `mail-ingest failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The ticket id in an answer like "ticket SD-000301". */
function ticketOf(answer) {
  const m = /SD-(\d+)/.exec(answer);
  assert.ok(m, `no ticket in "${answer}"`);
  return Number(m[1]);
}

let seq = 0;
const messageId = (tag) => `<${tag}.${Date.now()}.${++seq}@example.org>`;

/** A small valid PNG, `w` x `h`, one colour. */
function png(w = 8, h = 8, rgb = [200, 30, 40]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const rows = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) rows.set(rgb, y * (w * 3 + 1) + 1 + x * 3);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Breaks base64 into the 76-column lines mail uses. */
const wrap76 = (b64) => b64.match(/.{1,76}/g).join('\n');


/** A ticket the demo requester files through the API; its id. */
async function requesterTicket(subject, description) {
  const { context, page } = await as(USERS.requester, '/');
  try {
    const made = await call(page, 'POST', '/tickets', {
      type: 'incident',
      subject,
      description,
      impact: 'not_critical',
      criticality: 'low',
    });
    assert.equal(made.status, 201);
    return made.body.id;
  } finally {
    await context.close();
  }
}

test('admin creates a mailbox; it is listed with its IMAP settings and last poll, and the password is never echoed', async () => {
  const { context, page } = await as(USERS.admin, '/admin/mailboxes');
  const SECRET = 'S3creto-IMAP-2026';
  const sent = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/v1/mailboxes') && ['POST', 'PATCH'].includes(r.method())) sent.push([r.method(), r.postData()]);
  });
  try {
    await page.setViewportSize({ width: 1366, height: 768 });
    const tabs = page.getByRole('navigation', { name: 'Secciones de administración' });
    await tabs.getByRole('link', { name: 'Buzones de correo' }).waitFor({ timeout: WAIT });
    await tabs.getByRole('link', { name: 'Correo recibido' }).waitFor();
    await page.getByText('Aún no hay buzones.').waitFor({ timeout: WAIT });

    // A wrong server address is refused beside its box, in Spanish.
    await page.locator('[data-testid=new-mailbox]').click();
    const form = page.locator('[data-testid=mailbox-editor]');
    await form.getByLabel('Dirección', { exact: true }).fill('soporte@demo.example.com');
    await form.getByLabel('Servidor IMAP').fill('http://imap.example.com');
    await form.getByRole('button', { name: 'Guardar' }).click();
    await form.locator('#mb-url-error').waitFor({ timeout: WAIT });
    assert.equal(await form.locator('#mb-url-error').textContent(), 'El formato no es válido.');
    assert.equal(await form.getByLabel('Servidor IMAP').getAttribute('aria-invalid'), 'true');

    // Port 9 on loopback refuses at once: the first poll fails and says why.
    await form.getByLabel('Servidor IMAP').fill('imaps://127.0.0.1:9');
    await form.getByLabel('Nombre para mostrar').fill('Mesa de Servicio');
    await form.getByLabel('Remitentes desconocidos').selectOption('refuse');
    await form.getByLabel('Usuario').fill('mesa');
    await form.getByLabel('Contraseña').fill(SECRET);
    await form.getByLabel('Carpeta').fill('Soporte');
    await form.getByLabel('Cifrado (TLS)').selectOption('opportunistic');
    await audit(page, 'admin mailboxes, editor open');
    await form.getByRole('button', { name: 'Guardar' }).click();

    const row = page.locator('[data-testid=admin-mailboxes] tbody tr', { hasText: 'soporte@demo.example.com' });
    await row.waitFor({ timeout: WAIT });
    assert.match(await row.textContent(), /Mesa de Servicio/);
    assert.match(await row.textContent(), /Apartar su correo/);
    const imap = row.locator('[data-testid=mailbox-imap]');
    assert.match(await imap.textContent(), /imaps:\/\/127\.0\.0\.1:9/);
    assert.match(await imap.textContent(), /mesa · Soporte · Si el servidor lo ofrece/);
    assert.equal(await row.locator('[data-testid=mailbox-password]').textContent(), 'Contraseña guardada');

    // The server keeps the password and never gives it back.
    const listed = await call(page, 'GET', '/mailboxes');
    assert.equal(listed.status, 200);
    const box = listed.body.items.find((m) => m.address === 'soporte@demo.example.com');
    assert.deepEqual(
      [box.name, box.unknown_senders, box.imap.url, box.imap.username, box.imap.folder, box.imap.tls, box.imap.has_password],
      ['Mesa de Servicio', 'refuse', 'imaps://127.0.0.1:9', 'mesa', 'Soporte', 'opportunistic', true],
    );
    assert.ok(!('password' in box.imap));
    assert.ok(!JSON.stringify(listed.body).includes(SECRET));

    // The last poll's failure is shown (it runs as soon as the mailbox is saved).
    const pollError = row.locator('[data-testid=mailbox-error]');
    for (let i = 0; i < 40 && !(await pollError.count()); i++) {
      await page.waitForTimeout(500);
      await page.getByRole('link', { name: 'Correo recibido' }).click();
      await page.getByRole('link', { name: 'Buzones de correo' }).click();
      await row.waitFor({ timeout: WAIT });
    }
    assert.match(await pollError.textContent(), /127\.0\.0\.1/);
    assert.match(await row.locator('[data-testid=mailbox-poll]').textContent(), /Falló/);
    await shot(page, 'mail-admin-mailboxes');

    // Editing: the password box is empty and says one is stored; a save without it keeps it.
    await page.getByRole('button', { name: 'Editar: soporte@demo.example.com' }).click();
    const pw = form.getByLabel('Contraseña', { exact: true });
    assert.equal(await pw.inputValue(), '');
    assert.equal(await pw.getAttribute('type'), 'password');
    assert.equal(await pw.getAttribute('placeholder'), 'Guardada');
    assert.match(await form.locator('[data-testid=mailbox-password-hint]').textContent(), /Hay una contraseña guardada/);
    assert.ok(!(await page.content()).includes(SECRET), 'the password is nowhere in the page');
    await form.getByLabel('Nombre para mostrar').fill('Mesa de Servicio (correo)');
    await form.getByRole('button', { name: 'Guardar' }).click();
    await page.locator('[data-testid=admin-mailboxes]').getByText('Mesa de Servicio (correo)').waitFor({ timeout: WAIT });
    const patch = sent.find(([m]) => m === 'PATCH');
    assert.ok(patch, 'the edit was a PATCH');
    assert.ok(!('password' in JSON.parse(patch[1]).imap), `an untouched password is not sent: ${patch[1]}`);
    assert.ok(
      sent.some(([m, b]) => m === 'POST' && JSON.parse(b).imap?.password === SECRET),
      'the create sent the password once',
    );
    const after = (await call(page, 'GET', `/mailboxes/${box.id}`)).body;
    assert.equal(after.imap.has_password, true, 'the stored password is kept');

    // A second mailbox with the same address: the conflict in words.
    await page.locator('[data-testid=new-mailbox]').click();
    await form.getByLabel('Dirección', { exact: true }).fill('SOPORTE@demo.example.com');
    await form.getByRole('button', { name: 'Guardar' }).click();
    await form.getByText('Otro buzón ya tiene esa dirección.').waitFor({ timeout: WAIT });
    await form.getByRole('button', { name: 'Cancelar' }).click();

    // English, and a phone's width.
    await chooseLanguage(page, 'en');
    await page.getByRole('columnheader', { name: 'Last check' }).waitFor({ timeout: WAIT });
    assert.equal(await row.locator('[data-testid=mailbox-password]').textContent(), 'Password stored');
    await chooseLanguage(page, 'es-MX');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: 'Editar: soporte@demo.example.com' }).click();
    await shot(page, 'mail-admin-mailboxes-phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page is ${overflow}px wider than a phone`);
  } finally {
    await context.close();
  }
});

test('a piped message becomes an email ticket; its events show "por correo" with the headers', async () => {
  const first = messageId('vpn');
  const answer = pipe(`From: Ana Pruebas <ana.pruebas@example.org>
To: Mesa <mesa@demo.example.com>
Cc: Jefa de Ana <jefa.ana@example.org>
Subject: La VPN no conecta desde casa
Date: Wed, 02 Dec 2026 10:30:00 -0600
Message-ID: ${first}
X-Mailer: Cartero de pruebas 1.0
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hola, desde ayer la VPN no conecta desde mi casa.
Gracias.
`);
  assert.match(answer, /^ticket SD-\d+$/);
  const id = ticketOf(answer);

  const { context, page } = await as(USERS.agent, `/tickets/${id}`);
  try {
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.locator('[data-testid=agent-ticket] h1').getByText('La VPN no conecta desde casa').waitFor({ timeout: WAIT });
    assert.equal(await page.locator('[data-testid=ticket-channel]').textContent(), 'Correo');
    const created = page.locator('[data-testid=timeline] li[data-kind=created]');
    const mark = created.locator('[data-testid=mail-mark]');
    await mark.waitFor({ timeout: WAIT });
    assert.equal((await mark.locator('summary').first().textContent()).trim(), '✉ Por correo');
    await mark.locator('summary').first().click();
    const facts = mark.locator('[data-testid=mail-facts]');
    assert.equal(await facts.locator('[data-header=From] dd').textContent(), 'Ana Pruebas <ana.pruebas@example.org>');
    assert.equal(await facts.locator('[data-header=To] dd').textContent(), 'Mesa <mesa@demo.example.com>');
    assert.equal(await facts.locator('[data-header=Cc] dd').textContent(), 'Jefa de Ana <jefa.ana@example.org>');
    assert.match(await facts.locator('[data-header=Date] dd').textContent(), /02 Dec 2026 10:30:00/);
    assert.equal(await facts.locator('[data-header=Message-ID] dd').textContent(), first);
    // Every header, under its own disclosure.
    await mark.getByText(/Todos los encabezados \(\d+\)/).click();
    const headers = mark.locator('[data-testid=mail-headers]');
    await headers.getByRole('rowheader', { name: 'X-Mailer' }).waitFor();
    assert.match(await headers.textContent(), /Cartero de pruebas 1\.0/);

    // A reply by mail lands on the same ticket as a reply, with its own mark.
    const reply = pipe(`From: ana.pruebas@example.org
To: mesa@demo.example.com
Subject: Re: [SD-${String(id).padStart(6, '0')}] La VPN no conecta desde casa
Message-ID: ${messageId('vpn-re')}
In-Reply-To: ${first}
References: ${first}

Ya reinicié el módem y sigue igual.
`);
    assert.match(reply, /^comment SD-\d+$/);
    assert.equal(ticketOf(reply), id);
    const replyEvent = page.locator('[data-testid=timeline] li[data-kind=reply]', { hasText: 'reinicié el módem' });
    await replyEvent.waitFor({ timeout: WAIT });
    await replyEvent.locator('[data-testid=mail-mark]').waitFor({ timeout: WAIT });
    assert.equal(await page.locator('[data-testid=mail-mark]').count(), 2, 'one mark per event that came by mail');
    await audit(page, 'agent ticket with the mail headers open');
    await shot(page, 'mail-ticket-headers');

    // An event typed in the desk has no mark. (The mail changed the ticket: a fresh read first, so
    // that the reply is not met by the review of what changed meanwhile.)
    await page.reload();
    await page.locator('[data-testid=mail-mark]').nth(1).waitFor({ timeout: WAIT });
    await page.locator('[data-testid=composer-text]').fill('Revisamos la configuración de su VPN.');
    await page.locator('[data-testid=composer-send]').click();
    const typed = page.locator('[data-testid=timeline] li[data-kind=reply]', { hasText: 'Revisamos la configuración' });
    await typed.waitFor({ timeout: WAIT });
    assert.equal(await typed.locator('[data-testid=mail-mark]').count(), 0);

    await chooseLanguage(page, 'en');
    await created.locator('[data-testid=mail-mark] summary').getByText('By email').waitFor({ timeout: WAIT });
    assert.equal(await page.locator('[data-testid=ticket-channel]').textContent(), 'Email');
    await chooseLanguage(page, 'es-MX');

    // The marks are the API's: one record per message, each on its event.
    const mail = await call(page, 'GET', `/tickets/${id}/mail`);
    assert.equal(mail.status, 200);
    assert.equal(mail.body.items.length, 2);

    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'mail-ticket-headers-phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page is ${overflow}px wider than a phone`);
  } finally {
    await context.close();
  }
});

test('an automatic reply is set aside with its reason translated; "Accept anyway" makes it a ticket', async () => {
  const mid = messageId('ooo');
  const raw = `From: Beto Vacaciones <beto.vacaciones@example.org>
To: mesa@demo.example.com
Subject: Fuera de la oficina: su solicitud
Message-ID: ${mid}
Auto-Submitted: auto-replied
X-Autoreply: yes

Estoy de vacaciones hasta el lunes.
`;
  assert.equal(pipe(raw), 'set_aside auto_submitted');

  const { context, page } = await as(USERS.admin, '/admin/inbound-mail');
  try {
    await page.setViewportSize({ width: 1366, height: 768 });
    const list = page.locator('[data-testid=inbound-list]');
    const row = list.locator('tbody tr', { hasText: 'Fuera de la oficina' });
    await row.waitFor({ timeout: WAIT });
    // By default, only what needs a look: set aside and failed.
    assert.equal(await page.locator('[data-testid=inbound-filter]').inputValue(), 'set_aside,failed');
    const statuses = await list.locator('tbody tr').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-status')));
    assert.ok(statuses.every((s) => s === 'set_aside' || s === 'failed'), `statuses: ${statuses}`);
    assert.match(await row.textContent(), /beto\.vacaciones@example\.org/);
    assert.match(await row.textContent(), /Apartado/);
    assert.equal(await row.locator('[data-testid=inbound-row-reason]').textContent(), 'Respuesta automática (Auto-Submitted)');
    await audit(page, 'received mail, list');
    await shot(page, 'mail-inbound-list');
    await chooseLanguage(page, 'en');
    await row.getByText('Automatic reply (Auto-Submitted)').waitFor({ timeout: WAIT });
    await chooseLanguage(page, 'es-MX');

    // Its page: headers, text, the message as it came.
    await row.locator('[data-testid=inbound-open]').click();
    await page.waitForURL(/#\/admin\/inbound-mail\/\d+/);
    const detail = page.locator('[data-testid=inbound-detail]');
    await detail.locator('[data-testid=inbound-headers]').getByRole('rowheader', { name: 'Auto-Submitted' }).waitFor({ timeout: WAIT });
    assert.match(await detail.locator('[data-testid=inbound-text]').textContent(), /vacaciones hasta el lunes/);
    assert.equal(await detail.locator('[data-testid=inbound-reason]').textContent(), 'Respuesta automática (Auto-Submitted)');
    const rawHref = await detail.locator('[data-testid=inbound-raw]').getAttribute('href');
    const eml = await page.request.get(rawHref);
    assert.equal(eml.status(), 200);
    assert.match(eml.headers()['content-disposition'], /^attachment; filename="message-\d+\.eml"/);
    assert.equal(eml.headers()['x-content-type-options'], 'nosniff');
    assert.match(await eml.text(), /Auto-Submitted: auto-replied/);
    await audit(page, 'received mail, one message');

    // Retry applies the same rules: still set aside. Each button asks first.
    await detail.locator('[data-testid=inbound-retry]').click();
    await detail.locator('[data-testid=inbound-retry-confirm]').waitFor();
    await detail.locator('[data-testid=inbound-retry-yes]').click();
    await detail.locator('[data-testid=inbound-notice]').getByText(/sigue apartado: Respuesta automática/).waitFor({ timeout: WAIT });

    await detail.locator('[data-testid=inbound-accept]').click();
    assert.match(await detail.locator('[data-testid=inbound-accept-confirm]').textContent(), /Aceptarlo aunque parezca automático/);
    await shot(page, 'mail-inbound-detail');
    await detail.locator('[data-testid=inbound-accept-yes]').click();
    const notice = detail.locator('[data-testid=inbound-notice]');
    await notice.getByText(/abrió el ticket SD-\d+/).waitFor({ timeout: WAIT });
    const id = ticketOf(await notice.textContent());
    assert.equal(await detail.locator('[data-testid=inbound-status]').getAttribute('data-status'), 'ticket');
    assert.equal(await detail.locator('[data-testid=inbound-accept]').count(), 0, 'no retry once it is on a ticket');
    const again = await call(page, 'POST', `${rawHref.replace('/api/v1', '').replace(/\/raw$/, '')}/retry`, { accept: true });
    assert.equal(again.status, 409);

    await detail.locator('[data-testid=inbound-ticket]').click();
    await page.waitForURL(new RegExp(`#/tickets/${id}$`));
    await page.locator('[data-testid=agent-ticket] h1').getByText('Fuera de la oficina').waitFor({ timeout: WAIT });
    assert.equal(await page.locator('[data-testid=ticket-channel]').textContent(), 'Correo');

    // It left the default list; it is among those taken, and the same message again counts as a duplicate.
    assert.match(pipe(raw), /^ticket/);
    await page.goto('/#/admin/inbound-mail');
    await page.locator('[data-testid=admin-inbound]').waitFor({ timeout: WAIT });
    await page.waitForLoadState('networkidle');
    assert.equal(await page.locator('[data-testid=inbound-list] tbody tr', { hasText: 'Fuera de la oficina' }).count(), 0);
    await page.locator('[data-testid=inbound-filter]').selectOption('ticket,comment');
    await page.waitForURL(/status=ticket%2Ccomment|status=ticket,comment/);
    const taken = page.locator('[data-testid=inbound-list] tbody tr', { hasText: 'Fuera de la oficina' });
    await taken.waitFor({ timeout: WAIT });
    assert.match(await taken.textContent(), /Ticket creado/);
    assert.equal((await taken.locator('td.num').textContent()).trim(), '1');
    assert.match(await taken.textContent(), new RegExp(`SD-0*${id}`));

    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'mail-inbound-list-phone');
  } finally {
    await context.close();
  }
});

test('a piped message with a PNG shows the file under its event, with a preview and a download that is an attachment', async () => {
  const image = png(8, 8);
  const answer = pipe(`From: Usuario Demo <${USERS.requester}>
To: mesa@demo.example.com
Subject: Error al imprimir (captura adjunta)
Message-ID: ${messageId('png')}
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="frontera"

--frontera
Content-Type: text/plain; charset=utf-8

Adjunto la captura del error y el registro.
--frontera
Content-Type: image/png; name="captura-error.png"
Content-Disposition: attachment; filename="captura-error.png"
Content-Transfer-Encoding: base64

${wrap76(image.toString('base64'))}
--frontera
Content-Type: text/html; name="registro.html"
Content-Disposition: attachment; filename="registro.html"

<script>alert('x')</script><p>registro</p>
--frontera--
`);
  const id = ticketOf(answer);

  const { context, page } = await as(USERS.agent, `/tickets/${id}`);
  try {
    await page.setViewportSize({ width: 1366, height: 768 });
    const created = page.locator('[data-testid=timeline] li[data-kind=created]');
    const files = created.locator('[data-testid=event-file]');
    await files.nth(1).waitFor({ timeout: WAIT });
    assert.equal(await files.count(), 2);
    const pngFile = files.filter({ hasText: 'captura-error.png' });
    const htmlFile = files.filter({ hasText: 'registro.html' });
    assert.match(await pngFile.textContent(), /\d+ B/);
    // The preview: an image from memory (a data: URL), decoded; none for the HTML file.
    const thumb = pngFile.locator('[data-testid=file-thumb]');
    await thumb.waitFor({ timeout: WAIT });
    assert.match(await thumb.getAttribute('src'), /^data:image\/png;base64,/);
    await page.waitForFunction((el) => el.complete && el.naturalWidth === 8, await thumb.elementHandle());
    assert.equal(await htmlFile.locator('[data-testid=file-thumb]').count(), 0);
    const apiImages = await page.locator('img').evaluateAll((imgs) => imgs.filter((i) => i.src.includes('/api/')).length);
    assert.equal(apiImages, 0, 'no <img> loads a file from the API');

    // The download: the same bytes, as an attachment, never sniffed; HTML never served as HTML.
    const link = pngFile.locator('[data-testid=file-download]');
    assert.equal(await link.getAttribute('aria-label'), 'Descargar captura-error.png');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.equal(download.suggestedFilename(), 'captura-error.png');
    const saved = readFileSync(await download.path());
    assert.ok(saved.equals(image), 'the downloaded file is the one sent');
    const res = await page.request.get(await link.getAttribute('href'));
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-disposition'], /^attachment; filename="captura-error\.png"/);
    assert.equal(res.headers()['x-content-type-options'], 'nosniff');
    assert.equal(res.headers()['content-type'], 'image/png');
    const html = await page.request.get(await htmlFile.locator('[data-testid=file-download]').getAttribute('href'));
    assert.match(html.headers()['content-disposition'], /^attachment/);
    assert.equal(html.headers()['x-content-type-options'], 'nosniff');
    assert.doesNotMatch(html.headers()['content-type'], /html/);
    await audit(page, 'agent ticket with files');
    await shot(page, 'mail-ticket-files');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'mail-ticket-files-phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page is ${overflow}px wider than a phone`);
  } finally {
    await context.close();
  }

  // The requester sees the same files on the portal, without the staff's mail mark.
  const portal = await as(USERS.requester, `/tickets/${id}`);
  try {
    const file = portal.page.locator('[data-testid=portal-ticket] [data-testid=event-file]', { hasText: 'captura-error.png' });
    await file.locator('[data-testid=file-thumb]').waitFor({ timeout: WAIT });
    assert.equal(await portal.page.locator('[data-testid=mail-mark]').count(), 0);
    assert.equal(await portal.page.locator('[data-testid=ticket-channel]').textContent(), 'Correo');
    await audit(portal.page, 'portal ticket with files');
    await shot(portal.page, 'mail-portal-files');
  } finally {
    await portal.context.close();
  }
});

test('the file picker refuses a file over 25 MB before sending it, and its chip can be removed', async () => {
  const { context, page } = await as(USERS.requester, '/new');
  let uploads = 0;
  page.on('request', (r) => r.url().includes('/api/v1/uploads') && uploads++);
  try {
    const input = page.locator('#nr-files');
    await input.waitFor({ state: 'attached', timeout: WAIT });
    // Labelled, and reached by the keyboard.
    assert.equal(await page.getByLabel('Adjuntar archivos').getAttribute('id'), 'nr-files');
    await page.locator('#nr-description').focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'nr-files');

    await input.setInputFiles({ name: 'video-enorme.mp4', mimeType: 'video/mp4', buffer: Buffer.alloc(25 * 1024 * 1024 + 1) });
    const chip = page.locator('[data-testid=upload-chip]', { hasText: 'video-enorme.mp4' });
    await chip.waitFor({ timeout: WAIT });
    assert.equal(await chip.getAttribute('data-state'), 'failed');
    assert.equal(await chip.locator('[data-testid=upload-error]').textContent(), 'Pasa de 25 MB, el máximo por archivo.');
    assert.equal(uploads, 0, 'nothing was sent');
    await audit(page, 'new request with a refused file');
    // Sending is held until it is removed.
    await page.locator('#nr-subject').fill('Con un archivo muy grande');
    await page.locator('#nr-description').fill('No debería enviarse con el archivo rechazado.');
    await page.locator('[data-testid=new-request-submit]').click();
    await page.getByRole('alert').getByText('Un archivo no se pudo subir: quítelo antes de enviar.').waitFor({ timeout: WAIT });
    await chip.getByRole('button', { name: 'Quitar video-enorme.mp4' }).click();
    await chip.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'nr-files', 'the focus goes back to the picker');
  } finally {
    await context.close();
  }
});

test('the portal uploads a chosen, a dropped and a pasted file with the new request; they show on the ticket', async () => {
  const { context, page } = await as(USERS.requester, '/new');
  try {
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.locator('#nr-subject').fill('Pantalla azul al iniciar');
    await page.locator('#nr-description').fill('Adjunto una foto de la pantalla y el registro.');
    await page.locator('#nr-files').setInputFiles({ name: 'foto-pantalla.png', mimeType: 'image/png', buffer: png(12, 6, [20, 60, 200]) });
    const chips = page.locator('[data-testid=upload-chip]');
    await chips.filter({ hasText: 'foto-pantalla.png' }).and(page.locator('[data-state=done]')).waitFor({ timeout: WAIT });

    // Dropped onto the form, and pasted from the clipboard (a screenshot comes as "image.png").
    const bytes = [...png(4, 4, [0, 150, 0])];
    const form = page.locator('[data-testid=new-request]');
    await form.evaluate((el, data) => {
      const dt = new DataTransfer();
      dt.items.add(new File(['línea 1\nlínea 2\n'], 'registro.txt', { type: 'text/plain' }));
      el.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      const clip = new DataTransfer();
      clip.items.add(new File([new Uint8Array(data)], 'image.png', { type: 'image/png' }));
      document.querySelector('#nr-description').dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: clip, bubbles: true, cancelable: true }),
      );
    }, bytes);
    await chips.filter({ hasText: 'registro.txt' }).and(page.locator('[data-state=done]')).waitFor({ timeout: WAIT });
    const pasted = chips.filter({ hasText: /captura-\d{4}-\d{2}-\d{2}-\d{4}\.png/ });
    await pasted.and(page.locator('[data-state=done]')).waitFor({ timeout: WAIT });
    const pastedName = (await pasted.locator('.chip-name').textContent()).trim();
    assert.equal(await page.locator('#nr-description').inputValue(), 'Adjunto una foto de la pantalla y el registro.', 'a pasted file is not text');
    await audit(page, 'new request with three files');
    await shot(page, 'mail-portal-new-with-files');

    await page.locator('[data-testid=new-request-submit]').click();
    await page.waitForURL(/#\/tickets\/\d+/);
    const files = page.locator('[data-testid=timeline] li[data-kind=created] [data-testid=event-file]');
    await files.nth(2).waitFor({ timeout: WAIT });
    const names = await files.locator('.file-name').allTextContents();
    assert.deepEqual([...names].sort(), ['foto-pantalla.png', 'registro.txt', pastedName].sort());
    await files.filter({ hasText: 'foto-pantalla.png' }).locator('[data-testid=file-thumb]').waitFor({ timeout: WAIT });
    await shot(page, 'mail-portal-ticket-uploaded');
  } finally {
    await context.close();
  }
});

test('an agent attaches a file to an internal note: staff see it, the requester never does', async () => {
  const id = await requesterTicket('Nota con archivo', 'Para la prueba de archivos internos.');
  const agent = await as(USERS.agent, `/tickets/${id}`);
  try {
    const page = agent.page;
    await page.locator('[data-testid=composer]').waitFor({ timeout: WAIT });
    await page.locator('[data-testid=composer] input[type=radio][value=note]').check();
    await page.locator('[data-testid=composer-text]').fill('Adjunto el diagnóstico interno.');
    await page.locator('#at-files').setInputFiles({ name: 'diagnostico-interno.txt', mimeType: 'text/plain', buffer: Buffer.from('solo personal\n') });
    await page.locator('[data-testid=upload-chip][data-state=done]').waitFor({ timeout: WAIT });
    await audit(page, 'agent composer with a file');
    await page.locator('[data-testid=composer-send]').click();
    const note = page.locator('[data-testid=timeline] li[data-kind=note]', { hasText: 'diagnóstico interno' });
    await note.locator('[data-testid=event-file]', { hasText: 'diagnostico-interno.txt' }).waitFor({ timeout: WAIT });
    // The chips leave with the note.
    await page.locator('[data-testid=upload-chip]').waitFor({ state: 'detached', timeout: WAIT });
    await page.locator('[data-testid=composer-status]').getByText('Nota interna guardada.').waitFor({ timeout: WAIT });
    await shot(page, 'mail-agent-note-file');
  } finally {
    await agent.context.close();
  }
  const requester = await as(USERS.requester, `/tickets/${id}`);
  try {
    await requester.page.locator('[data-testid=portal-ticket] [data-testid=timeline]').waitFor({ timeout: WAIT });
    const listed = await call(requester.page, 'GET', `/tickets/${id}/attachments`);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.items, [], 'an internal note’s file is not listed to the requester');
    assert.equal(await requester.page.getByText('diagnostico-interno.txt').count(), 0);
  } finally {
    await requester.context.close();
  }
});

test('the phone form sends a file with the call', async () => {
  const { context, page } = await as(USERS.agent, '/phone');
  try {
    await page.locator('#pc-search').fill(USERS.requester);
    await page.locator('[data-testid=caller-results] button').first().click();
    await page.locator('#pc-subject').fill('Llamada: no abre el correo');
    await page.locator('#pc-description').fill('Envió una captura por otro medio.');
    await page.locator('#pc-files').setInputFiles({ name: 'captura-llamada.png', mimeType: 'image/png', buffer: png(5, 5) });
    await page.locator('[data-testid=upload-chip][data-state=done]').waitFor({ timeout: WAIT });
    await page.locator('[data-testid=phone-save]').click();
    const created = page.locator('[data-testid=phone-created]');
    await created.waitFor({ timeout: WAIT });
    await page.locator('[data-testid=upload-chip]').waitFor({ state: 'detached', timeout: WAIT }); // ready for the next call
    await created.getByRole('link').click();
    await page.locator('[data-testid=timeline] [data-testid=event-file]', { hasText: 'captura-llamada.png' }).waitFor({ timeout: WAIT });
    assert.equal(await page.locator('[data-testid=ticket-channel]').textContent(), 'Teléfono');
  } finally {
    await context.close();
  }
});

test('a refused delivery: the outbox says so with the mail server\'s answer, and the ticket shows it to staff only', async () => {
  const id = await requesterTicket('Correo que no llega', 'La respuesta de la mesa no me llegó.');
  // What the sender records when the mail server refuses for good (desk/mail_out.cpp).
  const now = Date.now();
  const answer = '550 5.1.1 <nadie@example.org>: Recipient address rejected: User unknown in virtual mailbox table';
  sql(`INSERT INTO outbox (kind, ticket_id, to_address, to_name, language, subject, body, status, created_at,
         message_id, attempts, last_error)
       VALUES ('reply', ${id}, 'nadie@example.org', 'Nadie', 'es-MX', '[SD-${String(id).padStart(6, '0')}] Correo que no llega',
         'Hola', 'failed', ${now}, 'sd.${id}.prueba@servicedesk.invalid', 3, '${answer}');
       INSERT INTO events (ticket_id, kind, actor_id, internal, body, field, new_value, created_at, actor_kind, actor_label)
       VALUES (${id}, 'mail_failed', NULL, 1, '${answer}', 'reply',
         'nadie@example.org', ${now}, 'system', 'mail');`);

  const admin = await as(USERS.admin, '/admin/outbox');
  try {
    const page = admin.page;
    await page.setViewportSize({ width: 1366, height: 768 });
    const rows = page.locator('[data-testid=admin-outbox] tbody tr');
    const failed = rows.filter({ hasText: 'nadie@example.org' });
    await failed.waitFor({ timeout: WAIT });
    const status = failed.locator('[data-testid=outbox-status]');
    assert.equal(await status.getAttribute('data-status'), 'failed');
    assert.match(await status.textContent(), /No se entregó/);
    assert.match(await status.textContent(), /Intentos: 3/);
    assert.match(await failed.locator('[data-testid=outbox-error]').textContent(), /550 5\.1\.1/);
    assert.match(await failed.textContent(), /Respuesta al solicitante/);
    // The demo's mail is held: no SMTP server is configured for this desk.
    const held = rows.locator('[data-testid=outbox-status][data-status=held]').first();
    await held.waitFor({ timeout: WAIT });
    assert.match(await held.textContent(), /Retenido/);
    assert.match(await held.locator('xpath=..').locator('[data-testid=outbox-error]').textContent(), /no hay un servidor de correo/);
    await audit(page, 'admin outbox');
    await shot(page, 'mail-admin-outbox', { fullPage: false });
    await chooseLanguage(page, 'en');
    await status.getByText('Not delivered').waitFor({ timeout: WAIT });
    await chooseLanguage(page, 'es-MX');

    await page.goto(`/#/tickets/${id}`);
    const event = page.locator('[data-testid=timeline] li[data-kind=mail_failed]');
    await event.waitFor({ timeout: WAIT });
    assert.equal(await event.locator('.ev-title').textContent(), 'No se pudo entregar un correo a nadie@example.org');
    assert.equal(await event.locator('.ev-body').textContent(), answer, 'the body keeps the mail server\'s words only');
    assert.equal(await event.getAttribute('data-internal'), 'true');
    await chooseLanguage(page, 'en');
    await event.locator('.ev-title').getByText('A mail to nadie@example.org could not be delivered').waitFor({ timeout: WAIT });
    await chooseLanguage(page, 'es-MX');
    await shot(page, 'mail-ticket-mail-failed');
  } finally {
    await admin.context.close();
  }

  const requester = await as(USERS.requester, `/tickets/${id}`);
  try {
    await requester.page.locator('[data-testid=portal-ticket] [data-testid=timeline] li').first().waitFor({ timeout: WAIT });
    assert.equal(await requester.page.locator('li[data-kind=mail_failed]').count(), 0);
    assert.equal(await requester.page.getByText('550 5.1.1').count(), 0);
  } finally {
    await requester.context.close();
  }
});
